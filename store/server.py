"""Connections to the regional PostgreSQL server: the app's own schema, its search path,
timeouts, connection failures explained in French, and addresses shown without secrets.

Every connection the app opens searches `pg_catalog` first (implicitly: PostgreSQL searches it
before any schema not naming it), then the app's schema only, then `pg_temp` last — never
`public` nor a schema a delegation could write to, so that nobody can slip an operator or a
function of their own under the app's queries (CVE-2018-1058). `check_search_path` refuses a
database where that schema is writable by anyone but its owner.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from sqlalchemy import Connection, text
from sqlalchemy.engine import URL, make_url

from store.errors import StoreError

#: The app's schema on the server, unless the URL's `options` give a search_path.
DEFAULT_SCHEMA = "suivi_sts"
ENV_SCHEMA = "SUIVI_STS_PG_SCHEMA"
#: Seconds to connect, and to wait for a lock held by someone else (SUIVI_STS_PG_TIMEOUT).
ENV_TIMEOUT = "SUIVI_STS_PG_TIMEOUT"
DEFAULT_TIMEOUT_S = 10
#: Seconds one statement of the app may run on the server (SUIVI_STS_PG_STATEMENT_TIMEOUT).
ENV_STATEMENT_TIMEOUT = "SUIVI_STS_PG_STATEMENT_TIMEOUT"
DEFAULT_STATEMENT_TIMEOUT_S = 300
_SEARCH_PATH = re.compile(r"(?:^|\s)-c\s*search_path\s*=\s*([^\s]+)")
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class ServerUnreachable(StoreError):
    """The server could not be reached or refused the connection (message in French).

    `transient`: trying again later may succeed (server stopped or silent, network down,
    connection cut); not so for a refused identity, an unknown database or a TLS requirement.
    """

    def __init__(self, message: str, *, transient: bool = True) -> None:
        super().__init__(message)
        self.transient = transient


class UnsafeServer(StoreError):
    """The server's schema could be changed by others than its owner: the app refuses it."""


def _seconds(name: str, default: int) -> int:
    try:
        return max(1, int(os.environ.get(name, default)))
    except ValueError:
        return default


def timeout_s() -> int:
    """Connection and lock-wait timeout, in seconds (10 by default)."""
    return _seconds(ENV_TIMEOUT, DEFAULT_TIMEOUT_S)


def statement_timeout_s() -> int:
    return _seconds(ENV_STATEMENT_TIMEOUT, DEFAULT_STATEMENT_TIMEOUT_S)


def app_schema(url: str | URL) -> str:
    """The schema holding the app's tables: the URL's search_path option, else `suivi_sts`."""
    options = str(make_url(url).query.get("options") or "")
    found = _SEARCH_PATH.search(unquote(options))
    schema = found.group(1).split(",")[0].strip().strip('"') if found else ""
    schema = schema or os.environ.get(ENV_SCHEMA) or DEFAULT_SCHEMA
    if not _IDENTIFIER.match(schema) or schema.startswith("pg_"):
        raise StoreError(f"Nom de schéma invalide pour Suivi STS : « {schema} ».")
    return schema


def connect_args() -> dict[str, Any]:
    """libpq settings of every connection: a connection timeout, TCP keepalives so that a
    server gone silent is noticed, and data left unacknowledged no longer than the timeout (a
    network cut under a query in progress)."""
    return {
        "connect_timeout": timeout_s(),
        "tcp_user_timeout": timeout_s() * 1000,
        "keepalives": 1,
        "keepalives_idle": 30,
        "keepalives_interval": 10,
        "keepalives_count": 3,
    }


def session_settings(schema: str) -> dict[str, str]:
    """What every app session sets first: the safe search path and bounded waits."""
    return {
        "search_path": f'"{schema}", pg_temp',
        "lock_timeout": f"{timeout_s()}s",
        "statement_timeout": f"{statement_timeout_s()}s",
    }


def startup_options(schema: str, given: str | None = None) -> str:
    """libpq `options` carrying the session settings, so that the server applies them before
    the first query: the driver's own first queries (type look-ups) would otherwise run on the
    role's default path, where an operator planted in a writable `public` would be chosen."""
    escaped = (
        "-c {}={}".format(name, value.replace("\\", "\\\\").replace(" ", "\\ "))
        for name, value in session_settings(schema).items()
    )
    return " ".join([*([given] if given else []), *escaped])


def on_connect(schema: str) -> Any:
    """The engine's connect hook: the session's settings, committed (a rollback would undo them)."""

    def configure(dbapi_connection: Any, _record: Any) -> None:
        settings = session_settings(schema)
        with dbapi_connection.cursor() as cursor:
            for name, value in settings.items():
                cursor.execute("SELECT pg_catalog.set_config(%s, %s, false)", (name, value))
        dbapi_connection.commit()

    return configure


# --- passwords: asked when the server wants one, kept in this process only --------------------

#: Asks for the password of a server address (shown without password); None: do not ask.
PasswordPrompt = Callable[[str], "str | None"]
_prompt: list[PasswordPrompt] = []
_passwords: dict[str, str] = {}


def set_password_prompt(prompt: PasswordPrompt | None) -> None:
    """How to ask for a missing password (the command line asks on the terminal, hidden)."""
    _prompt.clear()
    if prompt is not None:
        _prompt.append(prompt)


#: Where libpq looks for a password file it will never find: it then stays silent.
_NO_PASSFILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "aucun-fichier", "pgpass")


def unsafe_passfile(passfile: str | None = None) -> str | None:
    """libpq's password file (`passfile`, else PGPASSFILE, else ~/.pgpass) when libpq would
    refuse it — readable by others, or not a plain file — in French; libpq would write its
    English warning on the terminal, so the app points it elsewhere and says this instead."""
    if os.name == "nt":  # libpq checks no permission there
        return None
    path = passfile or os.environ.get("PGPASSFILE") or os.path.join(os.path.expanduser("~"), ".pgpass")
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None
    if not stat.S_ISREG(mode):
        return f"Le fichier de mots de passe « {path} » n'est pas un fichier ordinaire : il est ignoré."
    if mode & 0o077:
        return (
            f"Le fichier de mots de passe « {path} » est lisible par d'autres utilisateurs (droits "
            f"{stat.S_IMODE(mode):04o}) : il est ignoré. Protégez-le : chmod 600 {path}"
        )
    return None


def do_connect(url: str) -> Any:
    """The engine's connect hook: the session settings given at start-up; libpq finds the
    password (~/.pgpass, PGPASSFILE, PGSERVICE); when it finds none the user is asked once, and
    the answer stays in memory for this process."""
    key = display_url(url)
    schema = app_schema(url)

    def connect(dialect: Any, _record: Any, cargs: Any, cparams: dict[str, Any]) -> Any:
        # a copy: SQLAlchemy hands every connection the same dictionary
        params = {**cparams, "options": startup_options(schema, cparams.get("options"))}
        if "password" not in params and key in _passwords:
            params["password"] = _passwords[key]
        if "password" not in params and unsafe_passfile(params.get("passfile")):
            params["passfile"] = _NO_PASSFILE  # said in French (`unsafe_passfile`), not by libpq
        try:
            return dialect.connect(*cargs, **params)
        except dialect.loaded_dbapi.OperationalError as exc:
            if "no password supplied" not in str(exc) or "password" in params or not _prompt:
                raise
            password = _prompt[0](key)
            if not password:
                raise
            connection = dialect.connect(*cargs, **{**params, "password": password})
            _passwords[key] = password
            return connection

    return connect


# --- the schema may only be written by its owner ------------------------------------------------


def check_search_path(conn: Connection, schema: str) -> None:
    """Refuse a schema on the path that anyone but its owner (or a superuser) could write to."""
    path = conn.execute(text("SELECT pg_catalog.current_schemas(false)")).scalar_one()
    if path[:1] != [schema] and path:
        raise UnsafeServer(
            f"Chemin de recherche inattendu sur le serveur ({', '.join(path)}) : Suivi STS ne "
            f"travaille que dans le schéma « {schema} »."
        )
    writers = conn.execute(
        text(
            "SELECT n.nspname, r.rolname FROM pg_catalog.pg_namespace n "
            "JOIN pg_catalog.pg_roles r ON pg_catalog.has_schema_privilege(r.oid, n.oid, 'CREATE') "
            "WHERE n.nspname = ANY (pg_catalog.current_schemas(true)) "
            "AND n.nspname <> 'pg_catalog' AND n.nspname NOT LIKE 'pg\\_temp\\_%' "
            "AND r.oid <> n.nspowner AND NOT r.rolsuper ORDER BY 1, 2"
        )
    ).all()
    public = conn.execute(
        text(
            "SELECT n.nspname FROM pg_catalog.pg_namespace n, "
            "LATERAL pg_catalog.aclexplode(n.nspacl) a WHERE a.grantee = 0 "
            "AND a.privilege_type = 'CREATE' AND n.nspname = ANY (pg_catalog.current_schemas(true))"
        )
    ).all()
    if writers or public:
        names = sorted({r for _n, r in writers} | ({"PUBLIC (tout le monde)"} if public else set()))
        shown = ", ".join(names[:5]) + (" …" if len(names) > 5 else "")
        raise UnsafeServer(
            f"Le schéma « {schema} » du serveur peut être modifié par d'autres rôles que son "
            f"propriétaire ({shown}) : l'un d'eux pourrait y glisser une fonction ou un opérateur "
            "exécuté avec les droits des autres délégations (CVE-2018-1058). Suivi STS refuse de "
            f"s'en servir. L'administrateur doit retirer ce droit (REVOKE CREATE ON SCHEMA "
            f'"{schema}" FROM …) ; voir docs/deployment.md.'
        )
    _check_owner(conn, schema)


def _check_owner(conn: Connection, schema: str) -> None:
    """The schema belongs to whoever owns the app's tables: no delegation owns it."""
    row = conn.execute(
        text(
            "SELECT pg_catalog.pg_get_userbyid(n.nspowner), "
            "(SELECT pg_catalog.pg_get_userbyid(c.relowner) FROM pg_catalog.pg_class c "
            " WHERE c.relnamespace = n.oid AND c.relname = 'alembic_version'), "
            "(SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.oid = n.nspowner) "
            "FROM pg_catalog.pg_namespace n WHERE n.nspname = :s"
        ),
        {"s": schema},
    ).first()
    if row is None:
        return
    owner, tables_owner, owner_is_superuser = row
    if tables_owner is not None and tables_owner != owner and not owner_is_superuser:
        raise UnsafeServer(
            f"Le schéma « {schema} » appartient à « {owner} », pas au propriétaire des tables de "
            f"Suivi STS (« {tables_owner} ») : Suivi STS refuse de s'en servir."
        )


def ensure_schema(conn: Connection, schema: str) -> None:
    """Create the app's schema (owned by the connected administrator) when it is missing."""
    exists = conn.execute(
        text("SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = :s"), {"s": schema}
    ).first()
    if exists:
        return
    may_create = conn.execute(
        text("SELECT pg_catalog.has_database_privilege(pg_catalog.current_database(), 'CREATE')")
    ).scalar_one()
    if not may_create:
        raise StoreError(
            f"Le schéma « {schema} » n'existe pas sur le serveur : l'administrateur régional doit "
            "d'abord l'installer (suivi-sts --db … init avec le compte propriétaire)."
        )
    conn.execute(text(f'CREATE SCHEMA "{schema}"'))


# --- addresses without secrets, failures in French ----------------------------------------------


def display_url(url: str | URL) -> str:
    """The address as it may be shown or stored: no password (the user name stays)."""
    try:
        parsed = make_url(url)
    except Exception:  # noqa: BLE001 - never let a malformed address leak through an error
        return "(adresse illisible)"
    parsed = parsed._replace(password=None)  # URL.set() takes None as "unchanged"
    if parsed.drivername.startswith("postgresql"):
        parsed = parsed.set(drivername="postgresql")
    query = {k: v for k, v in parsed.query.items() if k.lower() not in {"password", "passfile"}}
    return parsed.set(query=query).render_as_string(hide_password=False)


def has_password(url: str | URL) -> bool:
    try:
        parsed = make_url(url)
    except Exception:  # noqa: BLE001
        return False
    return bool(parsed.password) or "password" in {k.lower() for k in parsed.query}


def scrub(message: str, url: str | URL | None = None) -> str:
    """A message with any password it could carry removed."""
    if url is not None:
        try:
            password = make_url(url).password
        except Exception:  # noqa: BLE001
            password = None
        if password:
            message = message.replace(str(password), "***")
    message = re.sub(r"(postgres(?:ql)?(?:\+\w+)?://[^:/@\s]*):[^@\s]*@", r"\1:***@", message)
    return re.sub(r"(password\s*=\s*)\S+", r"\1***", message, flags=re.IGNORECASE)


def _where(url: URL) -> str:
    host = url.host or "localhost (socket)"
    port = f":{url.port}" if url.port else ""
    return f"{host}{port}"


def connection_failure(exc: BaseException, url: str | URL) -> ServerUnreachable | None:
    """The French explanation of a failed connection, or None if `exc` is not one."""
    detail = str(exc)
    low = detail.lower()
    starts = ("connection failed", "failed to resolve host", "connection to server")
    if not (low.startswith(starts) or "connection to server" in low or "timeout expired" in low):
        return None
    parsed = make_url(url)
    where, database, role = _where(parsed), parsed.database or "?", parsed.username or "?"
    transient = False
    if "timeout expired" in low or "timed out" in low:
        text_ = (
            f"Le serveur {where} ne répond pas : pas de réponse en {timeout_s()} s "
            f"(réseau coupé, pare-feu, serveur bloqué ? délai réglable par {ENV_TIMEOUT})."
        )
        transient = True
    elif "connection refused" in low:
        text_ = f"Le serveur {where} refuse la connexion : serveur arrêté, ou mauvaise adresse ou port ?"
        transient = True
    elif "resolve host" in low or "translate host name" in low or "name or service not known" in low:
        text_ = f"Serveur inconnu : « {parsed.host} » (nom mal écrit, ou réseau indisponible ?)."
        transient = True
    elif "no password supplied" in low:
        text_ = (
            f"Le serveur {where} demande le mot de passe du rôle « {role} » : donnez-le quand il "
            "est demandé, ou dans le fichier ~/.pgpass (PGPASSFILE), jamais dans l'adresse."
        )
    elif "password authentication failed" in low or "authentication failed" in low:
        text_ = f"Le serveur {where} a refusé l'identification du rôle « {role} » (mot de passe incorrect ?)."
    elif "database" in low and "does not exist" in low:
        text_ = f"La base « {database} » n'existe pas sur le serveur {where}."
    elif "role" in low and "does not exist" in low:
        text_ = f"Le rôle « {role} » n'existe pas sur le serveur {where}."
    elif "invalid response to ssl negotiation" in low or "expected authentication request" in low:
        text_ = (
            f"Ce qui répond en {where} n'est pas un serveur PostgreSQL (mauvais port ou mauvaise adresse ?)."
        )
    elif "no encryption" in low or "ssl off" in low:
        text_ = (
            f"Le serveur {where} exige une connexion chiffrée : ajoutez "
            "« ?sslmode=verify-full&sslrootcert=… » à l'adresse (voir docs/deployment.md)."
        )
    elif "ssl" in low or "certificate" in low or "tls" in low:
        text_ = (
            f"Connexion chiffrée (TLS) impossible avec le serveur {where} : le serveur ne la "
            "propose pas ou son certificat n'a pas pu être vérifié (autorité de certification "
            "de la région, nom du serveur)."
        )
    elif "pg_hba.conf" in low or "no pg_hba" in low:
        text_ = (
            f"Le serveur {where} n'autorise pas le rôle « {role} » à se connecter à la base « {database} »."
        )
    elif "too many connections" in low or "remaining connection slots" in low:
        text_ = f"Le serveur {where} n'accepte plus de connexions pour le moment : réessayez plus tard."
        transient = True
    elif "server closed the connection" in low or "terminated" in low:
        text_ = f"La connexion avec le serveur {where} a été coupée : réessayez."
        transient = True
    else:
        text_ = f"Connexion au serveur {where} impossible."
        transient = True
    return ServerUnreachable(text_, transient=transient)


__all__ = [
    "DEFAULT_SCHEMA",
    "ServerUnreachable",
    "UnsafeServer",
    "app_schema",
    "check_search_path",
    "connect_args",
    "connection_failure",
    "display_url",
    "ensure_schema",
    "on_connect",
    "scrub",
    "set_password_prompt",
    "startup_options",
    "timeout_s",
    "unsafe_passfile",
]
