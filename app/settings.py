"""Configuration from environment variables, one class per concern.

Every variable is prefixed ``KINDMAP_``; the README lists them all.
"""
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class DatabaseSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KINDMAP_")

    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of an existing PostGIS database. When set, kindmap uses it "
        "and never starts its own cluster.",
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


class ApiSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KINDMAP_")

    host: str = Field("127.0.0.1", description="Interface the API server binds to.")
    port: int = Field(8000, description="Port of the API server.")
    default_limit: int = Field(100, description="Features per page when no limit is given.")
    max_limit: int = Field(10000, description="Largest limit a client may ask for.")


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
