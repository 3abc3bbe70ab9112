"""A regional server as docs/deployment.md sets it up, in a database of its own where `public`
still lets everybody create objects (PostgreSQL ≤ 14): the ground of the attack tests.

The administrator is a non-superuser owner with CREATEROLE; departments 09 and 31 are loaded
and their roles granted with the documented commands (`suivi-sts … init`, `admin grant`), run
in-process. Every role logs in with a SCRAM-SHA-256 password (group `suivi_sts_scram`, see
.ci/start-postgres).
"""

from __future__ import annotations

import contextlib
import io
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg

from tests.conftest import MINI_REFERENCE, PG_URL
from tui.cli import main

SCRAM_GROUP = "suivi_sts_scram"


@dataclass
class Region:
    database: str
    admin: str
    admin_password: str
    dt09: str
    dt31: str
    ro09: str
    password: str  # every delegation's, as given to `admin grant`
    outputs: list[str]  # everything the commands printed

    def url(self, role: str, password: str | None = None, database: str | None = None) -> str:
        """postgresql://role:password@host:port/database (no search_path: the app's default)."""
        assert PG_URL is not None
        parts = urlsplit(PG_URL)
        secret = f":{quote(password)}" if password else ""
        netloc = f"{role}{secret}@{parts.hostname}:{parts.port}"
        return urlunsplit((parts.scheme, netloc, f"/{database or self.database}", "", ""))

    def admin_url(self) -> str:
        return self.url(self.admin, self.admin_password)

    def role_url(self, role: str) -> str:
        return self.url(role, self.password)

    def connect(self, role: str) -> psycopg.Connection:
        """A hand-written SQL session, as psql would open it."""
        return psycopg.connect(self.role_url(role), autocommit=True)

    def run(self, *argv: str, env: dict[str, str] | None = None) -> tuple[int, str]:
        """`suivi-sts ARGV`, in-process; (exit code, stdout + stderr)."""
        out = io.StringIO()
        saved = {k: os.environ.get(k) for k in env or {}}
        os.environ.update(env or {})
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
                code = main(list(argv))
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
        self.outputs.append(out.getvalue())
        return code, out.getvalue()


def superuser() -> psycopg.Connection:
    assert PG_URL is not None
    return psycopg.connect(PG_URL, autocommit=True)


def superuser_on(database: str) -> psycopg.Connection:
    assert PG_URL is not None
    parts = urlsplit(PG_URL)
    return psycopg.connect(urlunsplit((parts.scheme, parts.netloc, f"/{database}", "", "")), autocommit=True)


@contextlib.contextmanager
def regional_server(folder: Path) -> Iterator[Region]:
    tag = uuid.uuid4().hex[:8]
    region = Region(
        database=f"t_region_{tag}",
        admin=f"t_admin_{tag}",
        admin_password=f"adm-{uuid.uuid4().hex}",
        dt09=f"t_dt09_{tag}",
        dt31=f"t_dt31_{tag}",
        ro09=f"t_ro09_{tag}",
        password=f"dlg-{uuid.uuid4().hex}",
        outputs=[],
    )
    with superuser() as conn:
        conn.execute(
            f"CREATE ROLE {region.admin} LOGIN CREATEROLE IN ROLE {SCRAM_GROUP} "
            f"PASSWORD '{region.admin_password}'"
        )
        conn.execute(f"CREATE DATABASE {region.database} OWNER {region.admin}")
    with superuser_on(region.database) as conn:
        conn.execute("GRANT CREATE ON SCHEMA public TO PUBLIC")  # as up to PostgreSQL 14
    try:
        _set_up(region, folder)
        yield region
    finally:
        with superuser() as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {region.database} WITH (FORCE)")
            for role in (region.dt09, region.dt31, region.ro09, region.admin):
                conn.execute(f"DROP ROLE IF EXISTS {role}")


def _set_up(region: Region, folder: Path) -> None:
    """docs/deployment.md, sections 2 and 3."""
    doc31 = folder / "haute-garonne.yaml"
    text = MINI_REFERENCE.read_text("utf-8")
    doc31.write_text(
        text.replace('{code: "09", nom: "Ariège"}', '{code: "31", nom: "Haute-Garonne"}'), "utf-8"
    )
    for reference in (MINI_REFERENCE, doc31):
        code, said = region.run("--db", region.admin_url(), "init", "--reference", str(reference))
        assert code == 0, said
    grants = ((region.dt09, "09", False), (region.dt31, "31", False), (region.ro09, "09", True))
    for role, department, read_only in grants:
        argv = ["--db", region.admin_url(), "admin", "grant", role, "--department", department]
        code, said = region.run(
            *argv, *(["--read-only"] if read_only else []), env={"SUIVI_STS_ROLE_PASSWORD": region.password}
        )
        assert code == 0, said
    with superuser() as conn:
        for role, _department, _read_only in grants:
            conn.execute(f"GRANT {SCRAM_GROUP} TO {role}")
