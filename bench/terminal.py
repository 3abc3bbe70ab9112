"""A program in a pseudo-terminal, as a user runs it: keys typed, the screen's text watched.

`Terminal` starts a command on a pty of a given size, reads what it draws, and times how long
until a text appears on the screen (escape sequences removed); `rss_mib` reads its resident
memory from /proc (Linux). Used by bench/tui_bench.py.
"""

from __future__ import annotations

import codecs
import contextlib
import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import termios
import time
from pathlib import Path

#: Escape sequences (CSI, OSC, charset and keypad modes): what remains is the text drawn.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b[=>78]"
)

#: Keys as a terminal sends them.
F2, F4 = "\x1bOQ", "\x1bOS"
CTRL_Q, CTRL_U = "\x11", "\x15"


class Terminal:
    """A command running in a pseudo-terminal of `size` (columns, lines)."""

    def __init__(
        self, command: list[str], *, size: tuple[int, int] = (120, 40), env: dict[str, str] | None = None
    ):
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            command,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env={**os.environ, "TERM": "xterm-256color", **(env or {})},
            start_new_session=True,
            close_fds=True,
        )
        os.close(slave)
        self.fd = master
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.raw = ""

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return False
        try:
            chunk = os.read(self.fd, 1 << 16)
        except OSError:  # the program has left
            return False
        self.raw += self._decoder.decode(chunk)
        return bool(chunk)

    def mark(self) -> int:
        """Where the screen's output is now: `wait_for` looks only at what comes after."""
        while self._read(0):
            pass
        return len(self.raw)

    def wait_for(self, pattern: str | re.Pattern[str], *, since: int = 0, timeout: float = 60.0) -> float:
        """perf_counter() when `pattern` (text or regex) appears in the text drawn after `since`."""
        regex = re.compile(re.escape(pattern)) if isinstance(pattern, str) else pattern
        deadline = time.perf_counter() + timeout
        checked = since
        while True:
            if len(self.raw) > checked:
                if regex.search(_ESCAPES.sub("", self.raw[since:])):
                    return time.perf_counter()
                checked = len(self.raw)
            left = deadline - time.perf_counter()
            if left <= 0 or self.process.poll() is not None and not self._read(0):
                tail = _ESCAPES.sub("", self.raw[since:])[-800:]
                raise TimeoutError(f"« {regex.pattern} » n'est pas apparu ; fin de l'écran : {tail!r}")
            self._read(min(left, 0.05))

    def type(self, keys: str) -> float:
        """Send keys; perf_counter() just before they leave."""
        start = time.perf_counter()
        os.write(self.fd, keys.encode())
        return start

    def rss_mib(self) -> float:
        """Resident memory of the program (VmRSS), in MiB."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        kib = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))  # type: ignore[union-attr]
        return kib / 1024

    def close(self) -> None:
        """Ctrl+Q, then the program is stopped if it is still there."""
        with contextlib.suppress(OSError):
            os.write(self.fd, CTRL_Q.encode())
        deadline = time.perf_counter() + 5
        while self.process.poll() is None and time.perf_counter() < deadline:
            self._read(0.05)
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        os.close(self.fd)

    def __enter__(self) -> Terminal:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
