"""Configuration from environment variables, one class per concern.

Every variable is prefixed ``KINDMAP_``; the README lists them all.
"""
from functools import lru_cache
from pathlib import Path

import platformdirs
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class DatabaseSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KINDMAP_")

    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of an existing PostGIS database. When set, kindmap uses it "
        "and never starts its own cluster. Migrations and loads connect with it (the owner role).",
    )
    api_database_url: str | None = Field(
        None,
        description="SQLAlchemy URL the API (`kindmap serve`) connects with: the same database as a "
        "role that may read and write only what store/privileges.py grants it. Without it, with "
        "KINDMAP_DATABASE_URL set, the API connects as the owner.",
    )
    pg_port: int = Field(55432, description="Port of the project-local PostGIS cluster.")
    pg_dir: Path = Field(
        PROJECT_ROOT / ".kindmap" / "pg", description="Data directory of the project-local cluster."
    )
    pg_bin: Path | None = Field(
        None, description="Directory holding initdb/pg_ctl; found under /usr/lib/postgresql by default."
    )
    pg_database: str = Field("kindmap", description="Database name in the project-local cluster.")
    statement_timeout_ms: int = Field(30000, description="Per-statement timeout for API queries.")
    connect_timeout_s: int = Field(5, description="Seconds before a connection attempt gives up.")
    pool_size: int = Field(
        8, ge=1, description="Connections each API worker keeps open, and the requests it runs at once "
        "(its thread pool): a request never waits for, nor opens, a connection of its own.")
    tcp_user_timeout_ms: int = Field(
        5000, description="Milliseconds unacknowledged data may wait before the connection to the "
        "database is dropped (libpq tcp_user_timeout; with TCP keepalives this bounds a lost network).")


class ApiSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KINDMAP_")

    host: str = Field("127.0.0.1", description="Interface the API server binds to.")
    port: int = Field(8000, description="Port of the API server.")
    default_limit: int = Field(100, description="Features per page when no limit is given.")
    max_limit: int = Field(10000, description="Largest limit a client may ask for.")
    max_offset: int = Field(1_000_000_000, description="Largest offset a client may ask for.")
    exact_count_limit: int = Field(
        100_000, description="numberMatched is counted exactly up to this many matches; beyond, it is "
        "the planner's estimate for an unfiltered collection and omitted for a filtered one.")
    cache_max_age_s: int = Field(
        0, description="Cache-Control max-age of data answers; 0 makes caches revalidate every time "
        "(a cheap 304 by ETag), so a load is seen at once.")
    allowed_hosts: str = Field(
        "localhost,127.0.0.1,[::1]",
        description="Host header values served, comma-separated (links and redirects are built from "
        "it); `*` serves any host. Add the public name when deployed behind a proxy.")
    cors_origins: str = Field(
        "*", description="Origins a browser may call the API from, comma-separated; `*` for any, "
        "empty for none.")
    request_timeout_s: float = Field(
        8.0, gt=0, description="Deadline of a request's answer (its first byte) but the analyses': past it "
        "the API answers 503 (e.g. while the database hangs).")
    analysis_timeout_s: float = Field(
        120.0, gt=0, description="The same deadline for the expensive analyses (app/costs.py: /priorities, "
        "/gaps, /closures, /scenarios, area summaries, the small-area layer), their wait included.")
    analysis_concurrency: int = Field(
        2, ge=1, description="Expensive analyses one worker runs at once (the rest of its pool and threads "
        "stay for pages, tiles and /health).")
    analysis_queue: int = Field(32, ge=0, description="Analyses that may wait for one of those; beyond, 503 "
                                "with Retry-After.")
    analysis_per_client: int = Field(
        16, ge=1, description="Analyses one client address may have running or waiting; beyond, 429 with "
        "Retry-After (a map asks for a screenful of small-area tiles at once).")
    analysis_cache_bytes: int = Field(
        64 * 2**20, ge=0, description="Answers of analyses kept per worker (by URL and data version) and "
        "served again while no served table changes.")
    health_timeout_s: float = Field(3.0, description="Deadline of /health's database check.")
    reads_need_key: bool = Field(False, description="Reads need an API key with scope `read`.")
    max_url_bytes: int = Field(16384, description="Longest path + query string accepted (414 beyond).")
    max_body_bytes: int = Field(1_048_576, description="Largest request body accepted (413 beyond).")
    max_vertices: int = Field(10_000, description="Most vertices a polygon sent in a request may have.")
    max_edit_body_bytes: int = Field(16384, description="Largest body of a place written or proposed "
                                     "(413 beyond; a place is a point and a few properties).")
    trusted_proxies: str = Field(
        "", description="Addresses (IPs, CIDR networks, comma-separated) of reverse proxies whose "
        "X-Forwarded-For and X-Forwarded-Proto are believed; empty (the default): none, so a client "
        "never chooses its own address (docs/deploying.md).")
    proposals_open: bool = Field(True, description="The public may propose places without a key.")
    proposals_per_client: int = Field(
        5, description="Proposals one client address may send per window (429 beyond); counted in the "
        "database, so the limit holds across every worker and server.")
    proposals_window_s: int = Field(3600, description="The window of proposals_per_client, in seconds.")

    def allowed_host_list(self) -> list[str]:
        """Lower-case host names; empty when every host is served (`*`)."""
        hosts = [h.strip().lower() for h in self.allowed_hosts.split(",") if h.strip()]
        return [] if "*" in hosts else hosts

    def trusted_proxy_list(self) -> list[str]:
        return [p.strip() for p in self.trusted_proxies.split(",") if p.strip()]

    def cors_origin_list(self) -> list[str]:
        return [o.strip() for o in self.cors_origins.split(",") if o.strip()]


class LogSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KINDMAP_")

    log_level: str = Field("INFO", description="Logging level.")
    log_json: bool = Field(False, description="Emit logs as JSON lines instead of console text.")


@lru_cache
def database_settings() -> DatabaseSettings:
    return DatabaseSettings()


@lru_cache
def api_settings() -> ApiSettings:
    return ApiSettings()


@lru_cache
def log_settings() -> LogSettings:
    return LogSettings()


class DataSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KINDMAP_")

    data_dir: Path = Field(
        default_factory=lambda: Path(platformdirs.user_cache_dir("kindmap")) / "data",
        description="Where `kindmap data fetch` keeps the catalog's files (default the user cache "
        "directory, e.g. ~/.cache/kindmap/data); a manifest's file missing beside the clone is read "
        "from here.")
    data_mirror: str | None = Field(
        None, description="Fetch from this mirror instead of the catalog's URLs: a base URL or a local "
        "directory laid out like ../shared/data (files at the same relative paths).")
    data_timeout_s: float = Field(
        30.0, description="Seconds `kindmap data fetch` waits for a connection or for the next bytes "
        "of a download before it counts the attempt as stalled.")
    data_attempts: int = Field(
        5, ge=1, description="Attempts per file (with exponential backoff); an interrupted download "
        "resumes where it stopped (HTTP Range).")


@lru_cache
def data_settings() -> DataSettings:
    return DataSettings()
