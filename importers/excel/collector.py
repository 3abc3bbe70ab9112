"""The import's pause of the garbage collector: `store.collector` (shared with the exports)."""

from store.collector import collector_paused

__all__ = ["collector_paused"]
