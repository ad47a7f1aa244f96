"""Engine and connection pool for the database in use."""
from functools import lru_cache

from sqlalchemy import Engine, create_engine

from app import localdb
from app.settings import database_settings


def database_url() -> str:
    """KINDMAP_DATABASE_URL when set, otherwise the project-local cluster."""
    settings = database_settings()
    return settings.database_url or localdb.url(settings)


def make_engine(url: str, statement_timeout_ms: int | None = None, jit: bool = True) -> Engine:
    settings = database_settings()
    # Client-side bounds as well as the server's statement timeout: keepalives and a TCP user
    # timeout drop a connection whose peer has vanished, instead of waiting for the kernel's hours.
    connect_args: dict = {"connect_timeout": settings.connect_timeout_s, "keepalives": 1,
                          "keepalives_idle": 10, "keepalives_interval": 5, "keepalives_count": 2,
                          "tcp_user_timeout": settings.tcp_user_timeout_ms}
    options = ([f"-c statement_timeout={statement_timeout_ms}"] if statement_timeout_ms else []) + \
        ([] if jit else ["-c jit=off"])
    if options:
        connect_args["options"] = " ".join(options)
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5,
                         pool_timeout=settings.connect_timeout_s, connect_args=connect_args)


@lru_cache
def engine() -> Engine:
    return make_engine(database_url())


@lru_cache
def api_engine() -> Engine:
    """The API's engine: statements are time-limited so a slow query never hangs a request, and
    never JIT-compiled: the analysis queries are costed high (whole-table CTEs) and compiling
    them takes seconds, more than they run; the rest are too small to gain from it."""
    return make_engine(database_url(), database_settings().statement_timeout_ms, jit=False)
