"""SCRAM-SHA-256 password verifiers computed on the client, as `psql`'s `\\password` does.

`ALTER ROLE … PASSWORD 'SCRAM-SHA-256$…'` stores the verifier as given, so the clear password
never travels to the server nor reaches its logs (RFC 5802 and 7677; PostgreSQL's format:
`SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`, each part in base64).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import stringprep
import unicodedata

ITERATIONS = 4096
SALT_BYTES = 16


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def saslprep(password: str) -> str:
    """RFC 4013 SASLprep; a password it refuses is used as typed, as PostgreSQL does."""
    mapped = "".join(
        " " if stringprep.in_table_c12(ch) else ch for ch in password if not stringprep.in_table_b1(ch)
    )
    normalised = unicodedata.normalize("NFKC", mapped)
    prohibited = (
        stringprep.in_table_c12,
        stringprep.in_table_c21,
        stringprep.in_table_c22,
        stringprep.in_table_c3,
        stringprep.in_table_c4,
        stringprep.in_table_c5,
        stringprep.in_table_c6,
        stringprep.in_table_c7,
        stringprep.in_table_c8,
        stringprep.in_table_c9,
        stringprep.in_table_a1,
    )
    if any(check(ch) for ch in normalised for check in prohibited):
        return password
    if any(stringprep.in_table_d1(ch) for ch in normalised):
        if stringprep.in_table_d2(normalised[0]) or not (
            stringprep.in_table_d1(normalised[0]) and stringprep.in_table_d1(normalised[-1])
        ):
            return password
        if any(stringprep.in_table_d2(ch) for ch in normalised):
            return password
    return normalised


def verifier(password: str, *, salt: bytes | None = None, iterations: int = ITERATIONS) -> str:
    """The SCRAM-SHA-256 verifier PostgreSQL stores for `password`."""
    salt = os.urandom(SALT_BYTES) if salt is None else salt
    salted = hashlib.pbkdf2_hmac("sha256", saslprep(password).encode("utf-8"), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
    return f"SCRAM-SHA-256${iterations}:{_b64(salt)}${_b64(stored_key)}:{_b64(server_key)}"
