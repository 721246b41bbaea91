"""Typed settings from the environment or ``.env`` (DESIGN.md's settings table)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_MAX_BODY_BYTES = 1_048_576
"""Largest request body ``/slack/events`` reads; Slack's own payloads are far smaller."""


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
    innov_knowledge_dir: Path = Path("seeds")
    innov_index_dir: Path | None = None  # saved indexes; None: .innov-index/ beside the knowledge dir
    innov_max_file_bytes: int = Field(default=8 * 1024 * 1024, ge=1024, description="per knowledge file")
    innov_max_kb_bytes: int = Field(default=1024**3, ge=1024, description="all knowledge files together")
    innov_build_memory_mb: int = Field(default=3072, ge=256, description="address space of a build")
    innov_build_seconds: float = Field(default=300.0, gt=0, description="wall-clock limit of a build")
    innov_cache_ttl: int = Field(default=86400, ge=1)
    innov_rate_limit: int = Field(default=10, ge=1, description="questions per user per minute")
    innov_channel_rate_limit: int = Field(
        default=20, ge=1, description="public posts (and automatic-reply work) per channel per minute"
    )
    innov_feedback: bool = Field(
        default=True, description="record votes, declined questions and thread context (on/off)"
    )
    log_level: str = "INFO"
    innov_max_body_bytes: int = Field(default=DEFAULT_MAX_BODY_BYTES, ge=1024)

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

    @field_validator("innov_feedback", mode="before")
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
        # Parsed here, with redis-py's own parser, so a typo is one clear line at start-up rather than a
        # traceback from the first request. The URL is never echoed: it may carry a password.
        if value is None:
            return None
        from redis.connection import parse_url

        try:
            parse_url(value)
        except ValueError as exc:
            reason = str(exc).split(":")[0] if "://" not in str(exc) else "not a Redis URL"
            raise ValueError(
                f"REDIS_URL must look like redis://host:6379/0 (or rediss://, unix://): {reason}"
            ) from None
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
