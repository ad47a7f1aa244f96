"""The project-local PostGIS cluster: initdb, start, stop, status, URL.

PostgreSQL refuses to run as root, so when kindmap runs as root every server
command is run as the ``postgres`` OS user (created by Debian's postgresql
package), and the data directory is owned by that user.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import time
from pathlib import Path

import psycopg
import structlog

from app.settings import DatabaseSettings, database_settings

log = structlog.get_logger(__name__)

SUPERUSER = "kindmap"
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
    _run([str(bindir(settings) / "initdb"), "-D", str(directory), "-U", SUPERUSER,
          "--auth=trust", "--encoding=UTF8", "--no-locale"])
    log.info("localdb.initialised", data_dir=str(directory))
    return True


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
    ensure_database(settings)


def stop(settings: DatabaseSettings | None = None) -> bool:
    settings = settings or database_settings()
    if not running(settings):
        return False
    _run([str(bindir(settings) / "pg_ctl"), "stop", "-D", str(data_dir(settings)), "-m", "fast", "-w"])
    log.info("localdb.stopped")
    return True


def url(settings: DatabaseSettings | None = None, database: str | None = None) -> str:
    settings = settings or database_settings()
    return (f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{settings.pg_port}/"
            f"{database or settings.pg_database}")


def _connect(settings: DatabaseSettings, database: str) -> psycopg.Connection:
    deadline = time.monotonic() + 30
    while True:
        try:
            return psycopg.connect(host="127.0.0.1", port=settings.pg_port, user=SUPERUSER,
                                   dbname=database, autocommit=True, connect_timeout=5)
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def ensure_database(settings: DatabaseSettings | None = None, database: str | None = None) -> None:
    """Create ``database`` (default: the configured one) with the postgis extension."""
    settings = settings or database_settings()
    database = database or settings.pg_database
    with _connect(settings, "postgres") as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{database}"')
    with _connect(settings, database) as conn:
        available = conn.execute(
            "SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'").fetchone()
        if not available:
            raise LocalDbError(f"The PostGIS extension is not installed. Run: apt-get install {OS_PACKAGE}")
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")


def drop_database(database: str, settings: DatabaseSettings | None = None) -> None:
    settings = settings or database_settings()
    with _connect(settings, "postgres") as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
