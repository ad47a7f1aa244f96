"""Engines and connection pools for the database in use: the owner's (migrations, loads, keys)
and the API's (a role that reads, and writes only what store/privileges.py grants)."""
import os
import time
from functools import lru_cache

import structlog
from sqlalchemy import Connection, Engine, create_engine, event, exc, text
from sqlalchemy.engine import make_url

from store import localdb
from store.settings import database_settings

log = structlog.get_logger(__name__)


def database_url() -> str:
    """The owner's URL: KINDMAP_DATABASE_URL when set, otherwise the project-local cluster's."""
    settings = database_settings()
    return settings.database_url or localdb.url(settings)


def api_database_url() -> str:
    """The API's URL: KINDMAP_API_DATABASE_URL, else the local cluster's API role; with only
    KINDMAP_DATABASE_URL set (an external PostGIS configured the old way), that one."""
    settings = database_settings()
    if settings.api_database_url:
        return settings.api_database_url
    if settings.database_url:
        log.warning("db.api_runs_as_owner", hint="set KINDMAP_API_DATABASE_URL to a role with fewer rights")
        return settings.database_url
    return localdb.api_url(settings)


def api_role() -> str | None:
    """The role the grants are for; None when the API connects as the owner."""
    settings = database_settings()
    if settings.api_database_url:
        return make_url(settings.api_database_url).username
    return None if settings.database_url else localdb.API_ROLE


def make_engine(url: str, statement_timeout_ms: int | None = None) -> Engine:
    settings = database_settings()
    # Client-side bounds as well as the server's statement timeout: keepalives and a TCP user
    # timeout drop a connection whose peer has vanished, instead of waiting for the kernel's hours.
    connect_args: dict = {"connect_timeout": settings.connect_timeout_s, "keepalives": 1,
                          "keepalives_idle": 10, "keepalives_interval": 5, "keepalives_count": 2,
                          "tcp_user_timeout": settings.tcp_user_timeout_ms}
    # Never JIT-compiled: the analysis queries are costed high (whole-table CTEs) and compiling
    # them takes seconds, more than they run; the rest are too small to gain from it. Every engine
    # (the API's, a load's, a test's in-process app) plans alike.
    # libpq reads PGOPTIONS only when no options are given: the user's come first, kept.
    # A backend checks every few seconds, mid-query, that its client is still there, so a killed
    # load doesn't hold the load lock for the rest of its statement.
    options = [os.environ.get("PGOPTIONS", ""), "-c jit=off",
               f"-c client_connection_check_interval={CLIENT_CHECK_MS}"] + \
        ([f"-c statement_timeout={statement_timeout_ms}"] if statement_timeout_ms else [])
    connect_args["options"] = " ".join(o for o in options if o)
    # Overflow connections (past pool_size) are closed on return: under load each would be a new
    # backend per request. The API runs at most pool_size requests at once (app/main.py), so only
    # a streamed download holding its connection between chunks reaches into the overflow.
    engine = create_engine(url, pool_size=settings.pool_size, max_overflow=5, pool_timeout=settings.connect_timeout_s,
                           connect_args=connect_args)
    _ping_when_idle(engine, PING_AFTER_IDLE_S)
    return engine


CLIENT_CHECK_MS = 5000

# A pooled connection idle this long is pinged before use (a database restarted meanwhile has
# closed it); one used a moment ago is not: a ping on every checkout is a round trip per request.
PING_AFTER_IDLE_S = 1.0


def _ping_when_idle(engine: Engine, idle_s: float) -> None:
    @event.listens_for(engine, "connect")
    def connected(dbapi_connection, record):
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkin")
    def returned(dbapi_connection, record):
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def taken(dbapi_connection, record, proxy):
        if time.monotonic() - record.info.get("idle_since", 0.0) < idle_s:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:  # the pool drops this connection and takes another
            raise exc.DisconnectionError(str(error)) from error


def reading(engine: Engine) -> Connection:
    """A connection for reads only, outside any transaction (autocommit): no BEGIN and ROLLBACK
    round trips around a request's one or two queries."""
    return engine.connect().execution_options(isolation_level="AUTOCOMMIT")


@lru_cache
def engine() -> Engine:
    return make_engine(database_url())


@lru_cache
def api_engine() -> Engine:
    """The API's engine (its own role): statements are time-limited so a slow query never hangs a
    request."""
    return make_engine(api_database_url(), database_settings().statement_timeout_ms)


# Serialises the writes to places and their derived tables: two loads of overlapping rows, or a
# load and a planner's edit, must not interleave (loaders/pipeline.py, edits/places.py).
LOAD_LOCK_ID = 0x6B696E64


def hold_load_lock(conn: Connection) -> None:
    """Wait for the load lock; held until the transaction ends."""
    conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": LOAD_LOCK_ID})
