"""The project-local PostGIS cluster: initdb, start, stop, status, URLs, roles.

PostgreSQL refuses to run as root, so when kindmap runs as root every server
command is run as the ``postgres`` OS user (created by Debian's postgresql
package), and the data directory is owned by that user.

The cluster authenticates every connection by password (SCRAM-SHA-256, loopback TCP only).
Three roles:
- ``kindmap_admin``, the cluster's superuser, used here only to create the other roles, the
  databases and their extensions (PostGIS), and by nothing else;
- ``kindmap``, no superuser, the owner of the databases and every table: migrations and loads;
- ``kindmap_api`` (what `kindmap serve` connects as; store/privileges.py grants it what it may do).
Their generated passwords live in ``.kindmap/pgpass`` (mode 0600, libpq's passfile format), which
the URLs name, so no password appears in a URL, a log or a process list. A cluster made when
``kindmap`` was the superuser is converted by the next start (_demote_owner).
"""
from __future__ import annotations

import fcntl
import hashlib
import os
import secrets
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import psycopg
from psycopg import sql
import structlog

from store.settings import DatabaseSettings, database_settings
from store.sql import SqlFiles

SQL = SqlFiles.beside(__file__)

log = structlog.get_logger(__name__)

ADMIN = "kindmap_admin"
OWNER = "kindmap"
API_ROLE = "kindmap_api"
ROLES = (ADMIN, OWNER, API_ROLE)
CONVERTING = "kindmap_converting"  # a superuser of the moment: renames the old superuser, then goes
SYSTEM_DATABASES = ("postgres", "template0", "template1")
SECURE_LOCK_ID = 0x6B6D_5345  # "kmSE": serialises _secure() across processes
# Loopback TCP only (the server listens on no Unix socket); never trust, never ident.
PG_HBA = """# kindmap: password (SCRAM) authentication only
host    all             all             127.0.0.1/32            scram-sha-256
host    all             all             ::1/128                 scram-sha-256
"""
OS_PACKAGE = "postgresql-15-postgis-3"


class LocalDbError(RuntimeError):
    """The local cluster cannot be set up or started; the message says what to do."""


def _as_root() -> bool:
    return os.geteuid() == 0


def bindir(settings: DatabaseSettings | None = None) -> Path:
    settings = settings or database_settings()
    if settings.pg_bin:
        return settings.pg_bin
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if candidates:
        return candidates[-1].parent
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    raise LocalDbError(
        f"PostgreSQL server binaries not found. Install them with: apt-get install {OS_PACKAGE}"
    )


def _pg_user_can_reach(path: Path) -> bool:
    probe = subprocess.run(
        ["runuser", "-u", "postgres", "--", "test", "-x", str(path)], cwd="/", capture_output=True
    )
    return probe.returncode == 0


def data_dir(settings: DatabaseSettings | None = None) -> Path:
    """The cluster's data directory, resolved.

    As root, when the postgres user cannot traverse the project directory (a clone
    under /root, say), the cluster lives under /var/tmp and ``.kindmap/pg`` is a
    symlink to it, so the documented location still holds.
    """
    settings = settings or database_settings()
    pg_dir = settings.pg_dir
    if pg_dir.is_symlink() or pg_dir.exists():
        return pg_dir.resolve()
    if _as_root():
        pg_dir.parent.mkdir(parents=True, exist_ok=True)
        if not _pg_user_can_reach(pg_dir.parent):
            digest = hashlib.sha256(str(pg_dir).encode()).hexdigest()[:12]
            outside = Path("/var/tmp") / f"kindmap-{digest}" / "pg"
            outside.parent.mkdir(parents=True, exist_ok=True)
            os.chmod(outside.parent, 0o755)
            pg_dir.symlink_to(outside, target_is_directory=True)
            return outside
    return pg_dir


def _run(args: list[str], check: bool = True) -> subprocess.CompletedProcess:
    if _as_root():
        args = ["runuser", "-u", "postgres", "--", *args]
    proc = subprocess.run(args, cwd="/", capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise LocalDbError(f"{' '.join(args)} failed:\n{proc.stdout}{proc.stderr}")
    return proc


def initialised(settings: DatabaseSettings | None = None) -> bool:
    return (data_dir(settings) / "PG_VERSION").exists()


def init(settings: DatabaseSettings | None = None) -> bool:
    """Create the cluster if it does not exist yet. Returns True when it was created."""
    settings = settings or database_settings()
    directory = data_dir(settings)
    if initialised(settings):
        return False
    directory.mkdir(parents=True, exist_ok=True)
    if _as_root():
        shutil.chown(directory, "postgres", "postgres")
    os.chmod(directory, 0o700)
    with tempfile.NamedTemporaryFile("w", prefix="kindmap-pw-") as pwfile:
        pwfile.write(passwords(settings)[ADMIN] + "\n")
        pwfile.flush()
        if _as_root():
            shutil.chown(pwfile.name, "postgres")
        _run([str(bindir(settings) / "initdb"), "-D", str(directory), "-U", ADMIN,
              "--auth=scram-sha-256", f"--pwfile={pwfile.name}", "--encoding=UTF8", "--no-locale"])
    log.info("localdb.initialised", data_dir=str(directory))
    return True


def passfile(settings: DatabaseSettings | None = None) -> Path:
    """``.kindmap/pgpass``: the local roles' passwords, beside the data directory."""
    settings = settings or database_settings()
    return settings.pg_dir.parent / "pgpass"


def _read_passwords(path: Path) -> dict[str, str]:
    entries = (line.split(":", 4) for line in path.read_text().splitlines() if line.count(":") >= 4)
    return {entry[3]: entry[4] for entry in entries}


def passwords(settings: DatabaseSettings | None = None) -> dict[str, str]:
    """Role → password, generated into the passfile (0600) for every role it does not name yet
    (a passfile from before ``kindmap_admin`` gains its line), under a lock: processes starting at
    once (pytest-xdist workers) must agree on one password."""
    path = passfile(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a") as out:
        fcntl.flock(out, fcntl.LOCK_EX)
        known = _read_passwords(path)
        missing = [role for role in ROLES if role not in known]
        if missing:
            out.write("".join(f"*:*:*:{role}:{secrets.token_urlsafe(24)}\n" for role in missing))
            out.flush()
            known = _read_passwords(path)
    return known


def _secure(settings: DatabaseSettings) -> None:
    """Give the roles their passwords, ``kindmap`` no superuser and every database, then switch
    the cluster to SCRAM (idempotent).

    A cluster initialised before kindmap used passwords trusts local connections: this is what
    converts it (the passwords are set while trust still lets us in, then pg_hba is replaced)."""
    with _admin(settings) as conn:
        # one at a time: two processes starting at once (pytest-xdist workers) would otherwise race
        # on CREATE ROLE and on the roles' catalog rows ("tuple concurrently updated")
        conn.execute("SELECT pg_advisory_lock(%s)", (SECURE_LOCK_ID,))
        known = passwords(settings)
        for role in (OWNER, API_ROLE):
            if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone():
                conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
            conn.execute(sql.SQL("ALTER ROLE {} NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS")
                         .format(sql.Identifier(role)))
        for role in ROLES:  # utility statements take no bound parameters
            conn.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.Identifier(role),
                                                                    sql.Literal(known[role])))
        conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(CONVERTING)))
        owned_by_admin = conn.execute(
            "SELECT datname FROM pg_database WHERE datdba = %s::regrole AND datname <> ALL(%s)",
            (ADMIN, list(SYSTEM_DATABASES))).fetchall()
        for (database,) in owned_by_admin:
            _hand_over(settings, database)
        hba = data_dir(settings) / "pg_hba.conf"
        if hba.read_text() != PG_HBA:
            hba.write_text(PG_HBA)  # rewritten in place: keeps the postgres user's ownership
            conn.execute("SELECT pg_reload_conf()")
            log.info("localdb.password_authentication", passfile=str(passfile(settings)))


def _admin(settings: DatabaseSettings, database: str = "postgres") -> psycopg.Connection:
    """A connection as the cluster's superuser. A cluster made when ``kindmap`` was its superuser
    (no ``kindmap_admin`` yet) is converted first."""
    passwords(settings)  # the passfile names every role (one from before kindmap_admin gains its line)
    try:
        return _connect(settings, database, ADMIN)
    except Refused:
        try:
            old = _connect(settings, "postgres", OWNER)
        except Refused:  # converted by another process this moment (the new owner has no password yet)
            time.sleep(1)
            return _connect(settings, database, ADMIN)
        with old:
            if not old.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()[0]:
                raise
            _demote_owner(settings, old)
        return _connect(settings, database, ADMIN)


def _demote_owner(settings: DatabaseSettings, old: psycopg.Connection) -> None:
    """``kindmap``, the cluster's bootstrap superuser (initdb -U kindmap), becomes ``kindmap_admin``
    (a bootstrap superuser cannot lose the attribute) and a new ``kindmap`` without superuser is
    created; _secure then hands it every database. A role cannot rename itself, so a superuser of
    the moment (dropped by _secure) does it."""
    old.execute("SELECT pg_advisory_lock(%s)", (SECURE_LOCK_ID,))
    if old.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (ADMIN,)).fetchone():
        return  # another process converted it meanwhile
    password = passwords(settings)[ADMIN]
    old.execute(sql.SQL("CREATE ROLE {} SUPERUSER LOGIN PASSWORD {}").format(
        sql.Identifier(CONVERTING), sql.Literal(password)))
    with psycopg.connect(host="127.0.0.1", port=settings.pg_port, user=CONVERTING, password=password,
                         dbname="postgres", autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql.SQL("ALTER ROLE {} RENAME TO {}").format(sql.Identifier(OWNER), sql.Identifier(ADMIN)))
        conn.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.Identifier(ADMIN), sql.Literal(password)))
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(OWNER)))
    log.info("localdb.owner_without_superuser", superuser=ADMIN, owner=OWNER)


def _hand_over(settings: DatabaseSettings, database: str) -> None:
    """``database`` and what the superuser owns in it become the owner's (store/sql/owner_takes_over.sql)."""
    with _connect(settings, database, ADMIN) as conn, conn.transaction():
        conn.execute(sql.SQL("ALTER DATABASE {} OWNER TO {}").format(sql.Identifier(database),
                                                                    sql.Identifier(OWNER)))
        statements = conn.execute(SQL.text("owner_takes_over"), {"owner": OWNER, "admin": ADMIN}).fetchall()
        for (statement,) in statements:
            conn.execute(statement)
    log.info("localdb.database_handed_over", database=database, owner=OWNER, objects=len(statements))


def running(settings: DatabaseSettings | None = None) -> bool:
    settings = settings or database_settings()
    if not initialised(settings):
        return False
    proc = _run([str(bindir(settings) / "pg_ctl"), "status", "-D", str(data_dir(settings))], check=False)
    return proc.returncode == 0


def start(settings: DatabaseSettings | None = None) -> None:
    """Initialise (first time), start the server, create the database and PostGIS."""
    settings = settings or database_settings()
    init(settings)
    if not running(settings):
        directory = data_dir(settings)
        options = (f"-p {settings.pg_port} -c listen_addresses=127.0.0.1 "
                   "-c unix_socket_directories=''")
        proc = _run([str(bindir(settings) / "pg_ctl"), "start", "-D", str(directory), "-w", "-t", "60",
                     "-l", str(directory / "server.log"), "-o", options], check=False)
        if proc.returncode != 0:
            tail = (directory / "server.log").read_text(errors="replace")[-2000:]
            raise LocalDbError(f"PostgreSQL did not start on port {settings.pg_port}:\n{tail}")
        log.info("localdb.started", port=settings.pg_port)
    _secure(settings)
    ensure_database(settings)


def stop(settings: DatabaseSettings | None = None) -> bool:
    settings = settings or database_settings()
    if not running(settings):
        return False
    _run([str(bindir(settings) / "pg_ctl"), "stop", "-D", str(data_dir(settings)), "-m", "fast", "-w"])
    log.info("localdb.stopped")
    return True


def url(settings: DatabaseSettings | None = None, database: str | None = None, role: str = OWNER) -> str:
    """The owner's URL (migrations, loads), or with ``role=API_ROLE`` the API's (``role=ADMIN``:
    the superuser's, for what only a superuser may do, e.g. a tablespace); the password is read
    from the passfile the URL names."""
    settings = settings or database_settings()
    return (f"postgresql+psycopg://{role}@127.0.0.1:{settings.pg_port}/"
            f"{database or settings.pg_database}?passfile={quote(str(passfile(settings)))}")


def api_url(settings: DatabaseSettings | None = None, database: str | None = None) -> str:
    return url(settings, database, API_ROLE)


class Refused(LocalDbError):
    """The cluster refuses the role's password (or has no such role)."""


REFUSALS = ("password authentication failed", "no password supplied", "does not exist")


def _connect(settings: DatabaseSettings, database: str, role: str = ADMIN) -> psycopg.Connection:
    deadline = time.monotonic() + 30
    while True:
        try:
            return psycopg.connect(host="127.0.0.1", port=settings.pg_port, user=role,
                                   dbname=database, autocommit=True, connect_timeout=5,
                                   passfile=str(passfile(settings)))
        except psycopg.OperationalError as error:
            if any(refusal in str(error) for refusal in REFUSALS):
                raise Refused(f"the cluster refuses {role} with the password in {passfile(settings)}; if "
                              "that file was lost, remove the cluster (make clean-db) and start again")
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def ensure_database(settings: DatabaseSettings | None = None, database: str | None = None) -> None:
    """Create ``database`` (default: the configured one), the owner's, with the postgis extension
    (which only a superuser may create)."""
    settings = settings or database_settings()
    database = database or settings.pg_database
    with _connect(settings, "postgres") as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(database),
                                                                      sql.Identifier(OWNER)))
    with _connect(settings, database) as conn:
        available = conn.execute(
            "SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'").fetchone()
        if not available:
            raise LocalDbError(f"The PostGIS extension is not installed. Run: apt-get install {OS_PACKAGE}")
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")


def copy_database(source: str, copy: str, settings: DatabaseSettings | None = None) -> None:
    """``copy``, afresh, as a file-level copy of ``source`` (CREATE DATABASE … TEMPLATE: no other
    session may be connected to ``source`` meanwhile), the owner's."""
    settings = settings or database_settings()
    drop_database(copy, settings)
    with _connect(settings, "postgres") as conn:
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {} OWNER {}").format(
            sql.Identifier(copy), sql.Identifier(source), sql.Identifier(OWNER)))


def drop_database(database: str, settings: DatabaseSettings | None = None) -> None:
    settings = settings or database_settings()
    with _connect(settings, "postgres") as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
