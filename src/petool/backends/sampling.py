"""Sampling options shared by the model backends (``openai:``, ``hf:``, ``vllm:``), and a
small helper for the packages a backend needs.

Defaults make runs repeatable: temperature 0 and a fixed seed. A suite whose faithful prompt
comes with its authors' own sampling (e.g. the papers' temperature 0.1) says so in its
``suite.json`` as ``"sampling": {"temperature": 0.1, ...}``; those values apply when the run
uses the ``faithful`` prompt style. Options given by the user always win.
"""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from petool.errors import ConfigError
from petool.schema import Suite

DEFAULT_MAX_NEW_TOKENS = 512
FAITHFUL_STYLE = "faithful"
_SUITE_KEYS = ("temperature", "top_p", "max_new_tokens")


@dataclass(frozen=True)
class SamplingOptions:
    """How a model samples its answer.

    Attributes:
        temperature: 0 is greedy decoding.
        top_p: nucleus sampling mass; None leaves the server's or library's default.
        max_new_tokens: the longest answer, in tokens.
        seed: passed to the sampler (the API's ``seed``, torch's generator, vLLM's seed).
        stop: strings that end the answer (the answer is cut before them).
    """

    temperature: float = 0.0
    top_p: float | None = None
    max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS
    seed: int | None = 0
    stop: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if not (0 <= self.temperature < math.inf):  # refuses nan and inf too
            raise ConfigError(f"--temperature: expected a value >= 0, got {self.temperature}")
        if self.top_p is not None and not 0 < self.top_p <= 1:
            raise ConfigError(f"--top-p: expected a value in (0, 1], got {self.top_p}")
        if self.max_new_tokens < 1:
            raise ConfigError(f"--max-new-tokens: expected a value >= 1, got {self.max_new_tokens}")

    @property
    def greedy(self) -> bool:
        """True when decoding is deterministic (temperature 0)."""
        return self.temperature == 0

    def as_dict(self) -> dict[str, Any]:
        """The options as plain JSON values (for config.json and cache keys)."""
        data = asdict(self)
        data["stop"] = list(self.stop)
        return data


def _stop_tuple(stop: str | Sequence[str] | None) -> tuple[str, ...]:
    if stop is None:
        return ()
    if isinstance(stop, str):
        return (stop,) if stop else ()
    if not all(isinstance(s, str) and s for s in stop):
        raise ConfigError(f"stop: expected non-empty strings, got {list(stop)!r}")
    return tuple(stop)


def suite_sampling(suite: Suite | None, prompt_style: str | None) -> dict[str, Any]:
    """The sampling a suite asks for in faithful mode (``suite.json`` field ``sampling``).

    Args:
        suite: The suite (None: no suite defaults).
        prompt_style: The prompt style of the run; suite defaults apply only to ``faithful``.

    Returns:
        The suite's values for ``temperature``, ``top_p`` and ``max_new_tokens`` (those given).

    Raises:
        ConfigError: The suite's ``sampling`` field is not an object of numbers.
    """
    if suite is None or prompt_style != FAITHFUL_STYLE:
        return {}
    raw = (suite.info.model_extra or {}).get("sampling")
    if raw is None:
        return {}
    where = f"suite '{suite.name}': suite.json field 'sampling"
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where}': expected an object, got {type(raw).__name__}")
    values: dict[str, Any] = {}
    for key in _SUITE_KEYS:
        value = raw.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{where}.{key}': expected a number, got {value!r}")
        values[key] = int(value) if key == "max_new_tokens" else float(value)
    return values


def resolve_sampling(
    suite: Suite | None = None,
    prompt_style: str | None = None,
    *,
    temperature: float | None = None,
    top_p: float | None = None,
    max_new_tokens: int | None = None,
    seed: int | None = 0,
    stop: str | Sequence[str] | None = None,
) -> SamplingOptions:
    """Sampling options: user options over the suite's faithful-mode values over defaults.

    Args:
        suite: The suite being run (for its faithful-mode sampling), or None.
        prompt_style: The run's prompt style.
        temperature: User's temperature, or None for the default.
        top_p: User's top_p, or None.
        max_new_tokens: User's answer length limit, or None for the default.
        seed: The sampler's seed.
        stop: Stop strings.

    Returns:
        The resolved :class:`SamplingOptions`.

    Raises:
        ConfigError: A value out of range.
    """
    base = SamplingOptions(seed=seed, stop=_stop_tuple(stop))
    from_suite = suite_sampling(suite, prompt_style)
    user = {"temperature": temperature, "top_p": top_p, "max_new_tokens": max_new_tokens}
    chosen = {**from_suite, **{k: v for k, v in user.items() if v is not None}}
    return replace(base, **chosen) if chosen else base


@dataclass(frozen=True)
class SamplingRequest:
    """The sampling options a user gave (None: not given); resolved per suite in ``setup``."""

    temperature: float | None = None
    top_p: float | None = None
    max_new_tokens: int | None = None
    seed: int | None = 0
    stop: str | Sequence[str] | None = None

    def resolve(
        self, suite: Suite | None = None, prompt_style: str | None = None
    ) -> SamplingOptions:
        """The options for a run of ``suite`` in ``prompt_style`` (see :func:`resolve_sampling`)."""
        return resolve_sampling(
            suite,
            prompt_style,
            temperature=self.temperature,
            top_p=self.top_p,
            max_new_tokens=self.max_new_tokens,
            seed=self.seed,
            stop=self.stop,
        )


def cut_at_stop(text: str, stop: Sequence[str]) -> str:
    """The text before the first occurrence of any stop string (the whole text if none)."""
    cut = len(text)
    for s in stop:
        index = text.find(s)
        if 0 <= index < cut:
            cut = index
    return text[:cut]


def require_module(module: str, spec: str, extra: str) -> None:
    """Raise a one-line ConfigError when ``module`` is not installed.

    Args:
        module: The import name (``openai``, ``transformers``, ``vllm``).
        spec: The backend spec, for the message.
        extra: The petool extra that installs it.
    """
    if importlib.util.find_spec(module) is None:
        raise ConfigError(f"{spec} needs the '{module}' package: pip install 'petool[{extra}]'")


def reseed(backend: Any, seed: int) -> None:
    """Make ``backend`` sample with ``seed`` from its next request on (a trial of ``--trials``).

    A backend with its own ``reseed(seed)`` method is asked to; otherwise its ``seed``
    attribute (``random``, ``ranker``), its requested sampling (``SamplingRequest``) and its
    resolved sampling (``SamplingOptions``, what ``openai:``, ``hf:`` and ``vllm:`` send to
    their sampler) are given the new seed. A response cache keys on the request, seed included,
    so trials are never answered from each other's cache rows.
    """
    hook = getattr(backend, "reseed", None)
    if callable(hook):
        hook(seed)
        return
    if isinstance(getattr(backend, "seed", None), int):
        backend.seed = seed
    requested = getattr(backend, "_sampling", None)
    if isinstance(requested, SamplingRequest):
        backend._sampling = replace(requested, seed=seed)
    resolved = getattr(backend, "sampling", None)
    if isinstance(resolved, SamplingOptions):
        backend.sampling = replace(resolved, seed=seed)
