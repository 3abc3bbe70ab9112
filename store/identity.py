"""Who is working: the name written in the journal."""

from __future__ import annotations

import getpass
import os


def current_user() -> str:
    """`SUIVI_STS_USER`, else the login name."""
    try:
        return os.environ.get("SUIVI_STS_USER") or getpass.getuser()
    except (KeyError, OSError):
        return "inconnu"
