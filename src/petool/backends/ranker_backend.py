"""``ranker``: petool's embedded default backend, the personalized ranker.

Specs:

* ``ranker`` — the learned ranker shipped inside the package
  (``petool/ranker/data/ranker.json``, see :mod:`petool.ranker.learned`); the zero-shot one
  when a build lacks that file;
* ``ranker:zero-shot`` (``ranker:zero-shot,half_life=3``, or just ``ranker:half_life=3``) —
  the zero-shot ranker with its hyperparameters (:class:`~petool.ranker.model.RankerConfig`);
* ``ranker:DIR`` or ``ranker:FILE.json`` — a model trained with ``petool ranker train``.

It answers in the unified text format ``{"tool_name": ..., "parameters": {...}}`` so its
output goes through the same parser and scorer as any model's. The embedding model is
loaded lazily in ``setup`` (``petool --help`` never imports sentence-transformers).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

from petool.backends.base import Backend, BackendResponse
from petool.backends.registry import register_backend
from petool.embedding import TextEncoder
from petool.errors import BackendError, ConfigError
from petool.ranker.catalog import DEFAULT_SHORTLIST, CatalogIndex, shortlist_tasks
from petool.ranker.learned import SHIPPED_MODEL, LearnedRanker, RankerModel
from petool.ranker.model import PersonalizedRanker, RankerConfig
from petool.schema import Suite, Task


class RankerBackend(Backend):
    """Backend wrapping :class:`~petool.ranker.model.PersonalizedRanker`.

    Args:
        config: ranker hyperparameters.
        device: torch device for the embedding model.
        seed: recorded for reproducibility (the ranker is deterministic).
        encoder: text encoder (default: the process-wide all-MiniLM-L6-v2 embedder).
        model: a trained model: the learned ranker (None: the zero-shot ranker).
    """

    name = "ranker"
    batch_size = 64
    max_concurrency = 1

    def __init__(
        self,
        config: RankerConfig | None = None,
        device: str = "cpu",
        seed: int = 0,
        encoder: TextEncoder | None = None,
        model: RankerModel | None = None,
    ):
        self.ranker: PersonalizedRanker | LearnedRanker
        if model is not None:
            self.ranker = LearnedRanker(model, encoder=encoder, device=device)
        else:
            self.ranker = PersonalizedRanker(config=config, encoder=encoder, device=device)
        self.seed = seed
        self._suite: str | None = None
        self.shortlist = DEFAULT_SHORTLIST  # tools a task without candidates is ranked among
        self.catalog: CatalogIndex | None = None

    def setup(self, suite: Suite) -> None:
        """Index the suite's tools (embeds each tool text once)."""
        self.ranker.index(suite.tools)
        self.catalog = CatalogIndex.build(suite.tools, self.ranker.encoder)
        self._suite = suite.name

    def _require_setup(self) -> None:
        if self._suite is None:
            raise BackendError("ranker: setup(suite) was not called", retryable=False)

    async def generate(self, tasks: Sequence[Task]) -> list[BackendResponse]:
        """Rank and fill each task in a worker thread; one JSON answer per task."""
        self._require_setup()
        rankings = await asyncio.to_thread(
            lambda: self.ranker.rank_batch(shortlist_tasks(tasks, self.catalog, self.shortlist))
        )
        return [
            BackendResponse(output=r.answer_text(), explanation=r.explanation or None)
            for r in rankings
        ]

    def explain(self, task: Task) -> dict[str, Any]:
        """Per-candidate relevance/preference/habit scores and filled arguments of one task."""
        self._require_setup()
        return self.ranker.explain(task)

    def config(self) -> dict[str, Any]:
        """Name, embedding model, device, seed and hyperparameters."""
        return {"name": self.name, "seed": self.seed, **self.ranker.config_dict()}


_CONFIG_FIELDS = {f.name: f.type for f in fields(RankerConfig)}


def _parse_overrides(argument: str | None, base: RankerConfig | None) -> RankerConfig:
    """``base`` (default: the defaults) with the hyperparameters of ``ranker:key=value,...``."""
    values: dict[str, str] = {}
    for part in (argument or "").split(","):
        if not part.strip():
            continue
        key, sep, raw = part.partition("=")
        key = key.strip()
        if not sep or key not in _CONFIG_FIELDS:
            known = ", ".join(sorted(_CONFIG_FIELDS))
            raise ConfigError(
                f"backend 'ranker:{argument}': expected key=value with key in {known}"
            )
        values[key] = raw.strip()
    config: dict[str, Any] = {}
    for key, raw in values.items():
        kind = int if _CONFIG_FIELDS[key] in (int, "int") else float
        try:
            config[key] = kind(raw)
        except ValueError:
            raise ConfigError(
                f"backend 'ranker': option '{key}' expects a number, got {raw!r}"
            ) from None
    return replace(base or RankerConfig(), **config)


ZERO_SHOT = "zero-shot"


def _model_path(argument: str) -> Path | None:
    """The model file a ``ranker:ARG`` names (a directory or a .json file), else None."""
    if "=" in argument or argument.split(",")[0].strip() == ZERO_SHOT:
        return None
    return Path(argument).expanduser()


@register_backend("ranker")
def make_ranker(
    argument: str | None = None,
    *,
    seed: int | None = 0,
    device: str | None = None,
    config: RankerConfig | None = None,
) -> RankerBackend:
    """Factory for ``ranker`` (the shipped learned model), ``ranker:zero-shot[,key=value...]``
    or ``ranker:key=value,...`` (the zero-shot ranker; hyperparameters over those of
    ``config``) and ``ranker:DIR`` (a trained model)."""
    dev, seed_ = device or "cpu", int(seed) if seed is not None else 0
    arg = (argument or "").strip()
    if not arg and config is None and SHIPPED_MODEL.is_file():
        return RankerBackend(model=RankerModel.load(SHIPPED_MODEL), device=dev, seed=seed_)
    path = _model_path(arg) if arg else None
    if path is not None:
        if not path.exists():
            raise ConfigError(
                f"backend 'ranker:{arg}': no such model (expected a directory or .json file "
                f"from petool ranker train, '{ZERO_SHOT}', or key=value hyperparameters)"
            )
        return RankerBackend(model=RankerModel.load(path), device=dev, seed=seed_)
    if arg.split(",")[0].strip() == ZERO_SHOT:
        arg = arg.partition(",")[2]
    return RankerBackend(config=_parse_overrides(arg, config), device=dev, seed=seed_)
