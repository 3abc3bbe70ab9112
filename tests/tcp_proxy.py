"""A TCP forwarder in front of the test PostgreSQL server that a test cuts and restores: the
outages of a regional server without touching the server the other tests share.

`cut()` closes every forwarded connection and the listening port (new connections are then
refused); `silence()` accepts connections and never answers (a server gone mute); `restore()`
forwards again, on the same port.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from types import TracebackType


class TcpProxy:
    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._listener: socket.socket | None = None
        self._stop = threading.Event()
        self._silent = False
        self.port = self._listen(0)

    def __enter__(self) -> TcpProxy:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.cut()

    def _listen(self, port: int) -> int:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        for _ in range(40):  # the previous listener's thread may still be leaving its poll
            try:
                listener.bind(("127.0.0.1", port))
                break
            except OSError:
                time.sleep(0.05)
        else:
            listener.bind(("127.0.0.1", port))
        listener.listen(16)
        listener.settimeout(0.05)
        self._stop = threading.Event()
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener, self._stop), daemon=True).start()
        return int(listener.getsockname()[1])

    def _accept(self, listener: socket.socket, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            with self._lock:
                self._sockets.append(client)
            if self._silent:
                continue  # held open, never answered
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._sockets.append(upstream)
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()
        listener.close()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        for end in (source, sink):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        """The server is gone: open connections drop, new ones are refused."""
        self._stop.set()
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)  # stops listening at once
            self._listener.close()
            self._listener = None
        with self._lock:
            held, self._sockets = self._sockets, []
        for end in held:
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)
            end.close()

    def silence(self) -> None:
        """The server accepts connections but never answers."""
        self.cut()
        self._silent = True
        self._listen(self.port)

    def restore(self) -> None:
        """The server is back, on the same address."""
        self.cut()
        self._silent = False
        self._listen(self.port)
