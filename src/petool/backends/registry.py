"""Backend specs (``ranker``, ``oracle``, ``openai:MODEL``, ``pkg.mod:Factory``) to backends.

Built-in backends register with :func:`register_backend` (each module is imported only when its
name is asked for, so ``hf`` does not load torch for ``oracle``); third-party ones are found
through the ``petool.backends`` entry-point group or given as a dotted path
``package.module:Factory``. A factory is called as ``factory(argument, **options)`` where
``argument`` is the text after the first ``:`` of the spec (or None).

A spec is always typed by the user (a CLI option or Python code); a backend named inside a data
file is never resolved through a dotted path.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import Any

from petool.backends.base import Backend
from petool.errors import ConfigError
from petool.registry import Registry

BackendFactory = Callable[..., Backend]

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


def make_backend(spec: str, **options: Any) -> Backend:
    """Build a backend from its spec string (always typed by the user, so a dotted path
    ``package.module:Factory`` may be imported)."""
    spec = spec.strip()
    if not spec:
        raise ConfigError("backend spec is empty; try 'ranker', 'oracle' or 'openai:MODEL'")
    name, sep, argument = spec.partition(":")
    factory = backends.find(name)
    if factory is None and sep and _is_module(name):  # a dotted path: package.module:factory
        dotted = backends.get(spec, trusted=True)
        return dotted(None, **options)
    if factory is None:
        backends.get(name, trusted=False)  # raises: unknown backend, with a did-you-mean
        raise AssertionError("unreachable")
    return factory(argument if sep else None, **options)
