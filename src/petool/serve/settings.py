"""Serve settings: one pydantic model the CLI fills and every worker reads back."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, Field

ENV_VAR = "PETOOL_SERVE_SETTINGS"


class ServeSettings(BaseModel):
    """Everything the app needs; ``db`` None means SQLite in ``data_dir``."""

    data_dir: Path = Path("petool-data")
    db: str | None = None
    backend: str = "ranker"
    migrate: bool = True
    warm: bool = Field(default=True, description="start the default backend before serving")
    rate_limit: float = Field(default=50.0, description="requests/s per key; 0: none")
    burst: float = 100.0
    max_body: int = 1_000_000
    upstream: str | None = None
    upstream_key: str | None = Field(default=None, repr=False)
    upstream_model: str | None = None
    upstream_timeout: float = Field(default=60.0, gt=0, description="seconds per upstream call")
    proxy_top_k: int = Field(
        default=8,
        ge=1,
        le=500,
        description="tools the proxy keeps (header x-petool-top-k overrides)",
    )

    @property
    def url(self) -> str:
        """The database URL."""
        return self.db or f"sqlite+aiosqlite:///{(self.data_dir / 'petool.db').resolve()}"

    def to_env(self) -> None:
        """Hand the settings to uvicorn's worker processes."""
        os.environ[ENV_VAR] = self.model_dump_json()

    @classmethod
    def from_env(cls) -> ServeSettings:
        """The settings the CLI handed over (defaults when none)."""
        raw = os.environ.get(ENV_VAR)
        return cls.model_validate_json(raw) if raw else cls()
