"""Backend specs (``ranker``, ``oracle``, ``openai:MODEL``, ``pkg.mod:Factory``) to backends.

``ranker+BACKEND`` (``ranker:k=3+openai:MODEL``) is the ranker chained before any backend
(:mod:`petool.backends.ranker_chain`).

Built-in backends register with :func:`register_backend` (each module is imported only when its
name is asked for, so ``hf`` does not load torch for ``oracle``); third-party ones are found
through the ``petool.backends`` entry-point group or given as a dotted path
``package.module:Factory``. A factory is called as ``factory(argument, **options)`` where
``argument`` is the text after the first ``:`` of the spec (or None).

A factory declares the options it takes by its keyword parameters (a backend class is its own
factory: its ``__init__`` keywords are its options). :func:`make_backend` refuses any other
option with one line naming the backend and what it takes, so a ``--temperature`` given to a
backend that does not sample is an error, not silently dropped. ``seed`` and ``concurrency``
(:data:`COMMON_OPTIONS`) are accepted by every backend, and passed only to a factory that
names them. A factory with ``**options`` takes anything (plugins may check their own).

A spec is always typed by the user (a CLI option or Python code); a backend named inside a data
file is never resolved through a dotted path.
"""

from __future__ import annotations

import importlib.util
import inspect
from collections.abc import Callable
from typing import Any

from petool.backends.base import Backend
from petool.errors import ConfigError
from petool.registry import Registry

BackendFactory = Callable[..., Backend]

COMMON_OPTIONS = ("seed", "concurrency")
"""Options every backend accepts (the CLI passes them to all; a backend may ignore them)."""

backends: Registry[BackendFactory] = Registry(
    "backend",
    group="petool.backends",
    builtins=(),
    lazy={
        "oracle": "petool.backends.oracle",
        "random": "petool.backends.random_backend",
        "ranker": "petool.backends.ranker_backend",
        "openai": "petool.backends.openai_backend",
        "hf": "petool.backends.hf_backend",
        "vllm": "petool.backends.vllm_backend",
    },
)


def register_backend(name: str) -> Callable[[BackendFactory], BackendFactory]:
    """Decorator: register a backend factory under ``name``."""
    return backends.register(name)


def available_backends() -> list[str]:
    """Names of built-in and entry-point backends."""
    return backends.names()


def _is_module(name: str) -> bool:
    """Whether ``name`` is an importable module (found without running it)."""
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def factory_options(factory: BackendFactory) -> tuple[str, ...] | None:
    """The keyword options ``factory`` takes after its spec argument; None if it takes any
    (a ``**options`` parameter)."""
    params = list(inspect.signature(factory).parameters.values())[1:]
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return None
    keywords = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return tuple(p.name for p in params if p.kind in keywords)


def _resolve(spec: str) -> tuple[str, BackendFactory, str | None]:
    """The backend's name (for messages), its factory and the spec argument."""
    spec = spec.strip()
    if not spec:
        raise ConfigError("backend spec is empty; try 'ranker', 'oracle' or 'openai:MODEL'")
    if "+" in spec and spec.partition("+")[0].partition(":")[0].strip() == "ranker":
        from petool.backends.ranker_chain import make_chain  # ranker+BACKEND: the chain

        return spec, make_chain, spec
    name, sep, argument = spec.partition(":")
    factory = backends.find(name)
    if factory is None and sep and _is_module(name):  # a dotted path: package.module:factory
        return spec, backends.get(spec, trusted=True), None
    if factory is None:
        raise backends.unknown(name)
    return name, factory, argument if sep else None


def backend_options(spec: str) -> tuple[str, ...] | None:
    """The options the backend of ``spec`` accepts (:data:`COMMON_OPTIONS` first); None if it
    takes any. Nothing is built.

    Raises:
        ConfigError: the spec names no backend.
    """
    own = factory_options(_resolve(spec)[1])
    return None if own is None else _with_common(own)


def _with_common(own: tuple[str, ...]) -> tuple[str, ...]:
    return (*COMMON_OPTIONS, *(o for o in own if o not in COMMON_OPTIONS))


def make_backend(spec: str, **options: Any) -> Backend:
    """Build a backend from its spec string (always typed by the user, so a dotted path
    ``package.module:Factory`` may be imported).

    Args:
        spec: ``NAME``, ``NAME:ARGUMENT`` or ``package.module:Factory``.
        options: the backend's options; one set to None counts as not given.

    Raises:
        ConfigError: an unknown backend, or an option the backend does not take (one line
            naming the backend and the options it takes).
    """
    name, factory, argument = _resolve(spec)
    given = {k: v for k, v in options.items() if v is not None}
    own = factory_options(factory)
    if own is not None:
        takes = _with_common(own)
        unknown = [k for k in given if k not in takes]
        if unknown:
            plural = "s" if len(unknown) > 1 else ""
            listed = ", ".join(f"'{k}'" for k in unknown)
            raise ConfigError(
                f"backend '{name}' takes no option{plural} {listed} (it takes: {', '.join(takes)})"
            )
        given = {k: v for k, v in given.items() if k in own}
    return factory(argument, **given)
