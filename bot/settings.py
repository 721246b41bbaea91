"""Typed settings from the environment or ``.env`` (DESIGN.md's settings table)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated
from urllib.parse import parse_qs, unquote, urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_MAX_BODY_BYTES = 1_048_576
"""Largest request body ``/slack/events`` reads; Slack's own payloads are far smaller."""
DEFAULT_KNOWLEDGE_DIR = Path("seeds")
"""``INNOV_KNOWLEDGE_DIR`` unset, or set but empty (``INNOV_KNOWLEDGE_DIR=`` in ``.env``)."""
DEFAULT_HEAD_SECONDS = 10.0
"""Seconds an HTTP connection may take to send a request's head before it is closed (``bot.worker``)."""


REDIS_URL_SHAPE = "redis://host:6379/0 (or rediss://..., unix:///path/to/redis.sock?db=0)"


def redis_url_problem(url: str) -> str | None:
    """What is wrong with ``url`` as ``REDIS_URL``, in one line naming the setting; None when it is usable.

    redis-py reads a database it cannot parse ("/abc", "?db=x" on some paths) as database 0, and "/1/2" as
    12, so the database is checked here: a whole number, at most once. Whether the server has that
    database only the server can say (:func:`bot.redis_store.database_problem`).
    """
    if not url.lower().startswith(("redis://", "rediss://", "unix://")):
        return f"REDIS_URL must look like {REDIS_URL_SHAPE}"
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = -1
    if port is not None and not 1 <= port <= 65535:
        return "REDIS_URL: the port must be a number from 1 to 65535, as in redis://host:6379/0"
    query = parse_qs(parts.query)
    if len(query.get("db", [])) > 1:
        return "REDIS_URL names the database twice (?db=...): give it once, as in redis://host:6379/0"
    path = unquote(parts.path).removeprefix("/")
    if "db" in query and path and parts.scheme.lower() != "unix":
        return "REDIS_URL names the database twice (a path and ?db=): give it once, as in redis://host:6379/0"
    if "db" in query:
        database = query["db"][0]
    elif parts.scheme.lower() == "unix":
        database = "0"
    else:
        database = path or "0"
    if not (database.isascii() and database.isdigit()):
        shown = database if len(database) <= 20 else database[:20] + "..."
        return (
            "REDIS_URL: the database (the number after the port, as in redis://host:6379/0) must be a "
            f"whole number from 0 up, not {shown!r}"
        )
    # Imported here: the server's master process must not import redis-py before gevent patches sockets.
    from redis.connection import parse_url

    try:
        parse_url(url)
    except ValueError as exc:  # anything else redis-py refuses, in its own words
        return f"REDIS_URL must look like {REDIS_URL_SHAPE}: {exc}"
    return None


MAX_CACHE_TTL = 365 * 86400
"""``INNOV_CACHE_TTL`` at most (a year): Redis refuses a ``SET ... EX`` past its range ("value is not an
integer or out of range"), so a larger value would cache nothing."""


def _split_csv(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    """Every setting innov reads; build one per test rather than sharing a singleton."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    port: int = Field(default=3000, ge=1, le=65535)
    redis_url: str | None = None
    innov_admins: Annotated[frozenset[str], NoDecode] = frozenset()
    innov_auto_reply_channels: Annotated[frozenset[str], NoDecode] = frozenset()
    innov_knowledge_dir: Path = DEFAULT_KNOWLEDGE_DIR
    innov_index_dir: Path | None = None  # saved indexes; None: .innov-index/ beside the knowledge dir
    innov_max_file_bytes: int = Field(default=8 * 1024 * 1024, ge=1024, description="per knowledge file")
    innov_max_kb_bytes: int = Field(default=1024**3, ge=1024, description="all knowledge files together")
    innov_build_memory_mb: int = Field(default=3072, ge=256, description="address space of a build")
    innov_build_seconds: float = Field(
        default=300.0, gt=0, description="wall-clock limit of a build (moved on while it embeds)"
    )
    innov_cache_ttl: int = Field(
        default=86400,
        ge=1,
        le=MAX_CACHE_TTL,
        description="seconds an answer stays cached; at most a year (Redis refuses an expiry past its range)",
    )
    innov_rate_limit: int = Field(default=10, ge=1, description="questions per user per minute")
    innov_channel_rate_limit: int = Field(
        default=20, ge=1, description="public posts (and automatic-reply work) per channel per minute"
    )
    innov_feedback: bool = Field(
        default=True, description="record votes, declined questions and thread context (on/off)"
    )
    innov_semantic: bool = Field(
        default=True, description="answer with meaning (the embedding model): on/off"
    )
    # Another copy of the pinned model file (default: the package's); empty means the default.
    innov_embedding_model: Path | None = None
    innov_semantic_max_passages: int = Field(
        default=20_000, ge=0, description="larger knowledge bases are lexical-only (embedding takes minutes)"
    )
    log_level: str = "INFO"
    innov_max_body_bytes: int = Field(default=DEFAULT_MAX_BODY_BYTES, ge=1024)
    innov_head_seconds: float = Field(default=DEFAULT_HEAD_SECONDS, gt=0, le=300)

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level

    @field_validator("innov_admins", "innov_auto_reply_channels", mode="before")
    @classmethod
    def _csv(cls, value: object) -> object:
        return _split_csv(value)

    @field_validator("innov_embedding_model", "innov_index_dir", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # `INNOV_EMBEDDING_MODEL=` in .env is "not set", not the current directory.
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("innov_knowledge_dir", mode="before")
    @classmethod
    def _empty_is_default(cls, value: object) -> object:
        # `INNOV_KNOWLEDGE_DIR=` is "not set", as for the index dir and the model: the default, never the
        # current directory (which read a checkout's README.md as an article without front matter).
        return DEFAULT_KNOWLEDGE_DIR if isinstance(value, str) and not value.strip() else value

    @field_validator("innov_feedback", "innov_semantic", mode="before")
    @classmethod
    def _on_off(cls, value: object) -> object:
        if isinstance(value, str) and value.strip().lower() in {"on", "off"}:
            return value.strip().lower() == "on"
        return value

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and value.get_secret_value() and not value.get_secret_value().startswith("xox"):
            raise ValueError("SLACK_BOT_TOKEN must be a bot token starting with 'xoxb-'")
        return value if value is not None and value.get_secret_value() else None

    @field_validator("slack_app_token")
    @classmethod
    def _app_token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if (
            value is not None
            and value.get_secret_value()
            and not value.get_secret_value().startswith("xapp-")
        ):
            raise ValueError("SLACK_APP_TOKEN must be an app-level token starting with 'xapp-'")
        return value if value is not None and value.get_secret_value() else None

    @field_validator("slack_signing_secret", mode="after")
    @classmethod
    def _empty_secret(cls, value: SecretStr | None) -> SecretStr | None:
        return value if value is not None and value.get_secret_value() else None

    @field_validator("innov_index_dir", mode="before")
    @classmethod
    def _empty_index_dir(cls, value: object) -> object:
        return value or None

    @field_validator("redis_url", mode="before")
    @classmethod
    def _empty_redis(cls, value: object) -> object:
        return value or None

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        # Checked here, so a typo is one clear line at start-up rather than a traceback from the first
        # request, or a database redis-py silently reads as 0. The URL is never echoed: it may carry a
        # password.
        if value is None:
            return None
        problem = redis_url_problem(value)
        if problem is not None:
            raise ValueError(problem)
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("SLACK_API_URL must be an http(s) URL such as https://slack.com/api/")
        return value if value.endswith("/") else value + "/"

    @property
    def has_slack(self) -> bool:
        """Slack credentials are configured (otherwise innov runs as a local console)."""
        return self.slack_bot_token is not None

    def is_admin(self, user_id: str) -> bool:
        return user_id in self.innov_admins

    def auto_replies_in(self, channel_id: str) -> bool:
        return "*" in self.innov_auto_reply_channels or channel_id in self.innov_auto_reply_channels


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once; tests build ``Settings(...)`` themselves instead."""
    return Settings()
