"""Backend specs (``ranker``, ``oracle``, ``openai:MODEL``, ``pkg.mod:Factory``) to backends.

Built-in backends register with :func:`register_backend`; third-party ones are found through
the ``petool.backends`` entry-point group or given as a dotted path ``package.module:Factory``.
A factory is called as ``factory(argument, **options)`` where ``argument`` is the text after
the first ``:`` of the spec (or None).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any

from petool.backends.base import Backend
from petool.errors import ConfigError

BackendFactory = Callable[..., Backend]

_REGISTRY: dict[str, BackendFactory] = {}
_BUILTIN_MODULES = {
    "oracle": "petool.backends.oracle",
    "random": "petool.backends.random_backend",
    "ranker": "petool.backends.ranker_backend",
    "openai": "petool.backends.openai_backend",
    "hf": "petool.backends.hf_backend",
    "vllm": "petool.backends.vllm_backend",
}


def register_backend(name: str) -> Callable[[BackendFactory], BackendFactory]:
    """Decorator: register a backend factory under ``name``."""

    def deco(factory: BackendFactory) -> BackendFactory:
        _REGISTRY[name] = factory
        return factory

    return deco


def _load_dotted(path: str) -> Any:
    module_name, _, attr = path.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(
            f"backend '{path}': cannot import module '{module_name}' ({exc})"
        ) from None
    try:
        return getattr(module, attr)
    except AttributeError:
        raise ConfigError(f"backend '{path}': module '{module_name}' has no '{attr}'") from None


def _find_factory(name: str) -> BackendFactory | None:
    if name in _REGISTRY:
        return _REGISTRY[name]
    if name in _BUILTIN_MODULES:
        importlib.import_module(_BUILTIN_MODULES[name])
        return _REGISTRY.get(name)
    for ep in entry_points(group="petool.backends"):
        if ep.name == name:
            factory: BackendFactory = ep.load()
            return factory
    return None


def available_backends() -> list[str]:
    """Names of built-in and entry-point backends."""
    names = set(_REGISTRY) | set(_BUILTIN_MODULES)
    names |= {ep.name for ep in entry_points(group="petool.backends")}
    return sorted(names)


def make_backend(spec: str, **options: Any) -> Backend:
    """Build a backend from its spec string."""
    spec = spec.strip()
    if not spec:
        raise ConfigError("backend spec is empty; try 'ranker', 'oracle' or 'openai:MODEL'")
    name, sep, argument = spec.partition(":")
    factory = _find_factory(name)
    if factory is None and sep:  # a dotted path: package.module:factory
        dotted: BackendFactory = _load_dotted(spec)
        return dotted(None, **options)
    if factory is None:
        known = ", ".join(available_backends())
        raise ConfigError(f"unknown backend '{name}' (known: {known}; or package.module:factory)")
    return factory(argument if sep else None, **options)
