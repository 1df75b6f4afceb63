"""petool: personalized tool learning for LLMs.

The public API (everything else is free to move)::

    from petool import load_suite, make_backend, evaluate, score
    result = evaluate(load_suite("demo"), make_backend("ranker"), out_dir="runs/x")

Names are imported lazily so that ``import petool`` and ``petool --help`` stay fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    "Backend": "petool.backends.base",
    "BackendError": "petool.errors",
    "BackendResponse": "petool.backends.base",
    "ConfigError": "petool.errors",
    "DataMissingError": "petool.errors",
    "InputError": "petool.errors",
    "Interaction": "petool.schema",
    "ParamRoles": "petool.schema",
    "PetoolError": "petool.errors",
    "Prediction": "petool.schema",
    "RunError": "petool.errors",
    "Suite": "petool.schema",
    "SuiteInfo": "petool.schema",
    "Task": "petool.schema",
    "TaskMeta": "petool.schema",
    "Tool": "petool.schema",
    "ToolCall": "petool.schema",
    "UserContext": "petool.schema",
    "evaluate": "petool.run",
    "load_suite": "petool.suites.registry",
    "make_backend": "petool.backends.registry",
    "parse_output": "petool.parsing",
    "register_backend": "petool.backends.registry",
    "register_scorer": "petool.scoring.registry",
    "register_suite": "petool.suites.registry",
    "score": "petool.run",
}

__all__ = [
    "Backend",
    "BackendError",
    "BackendResponse",
    "ConfigError",
    "DataMissingError",
    "InputError",
    "Interaction",
    "ParamRoles",
    "PetoolError",
    "Prediction",
    "RunError",
    "Suite",
    "SuiteInfo",
    "Task",
    "TaskMeta",
    "Tool",
    "ToolCall",
    "UserContext",
    "__version__",
    "evaluate",
    "load_suite",
    "make_backend",
    "parse_output",
    "register_backend",
    "register_scorer",
    "register_suite",
    "score",
]

if TYPE_CHECKING:
    from petool.backends.base import Backend, BackendResponse
    from petool.backends.registry import make_backend, register_backend
    from petool.errors import (
        BackendError,
        ConfigError,
        DataMissingError,
        InputError,
        PetoolError,
        RunError,
    )
    from petool.parsing import parse_output
    from petool.run import evaluate, score
    from petool.schema import (
        Interaction,
        ParamRoles,
        Prediction,
        Suite,
        SuiteInfo,
        Task,
        TaskMeta,
        Tool,
        ToolCall,
        UserContext,
    )
    from petool.scoring.registry import register_scorer
    from petool.suites.registry import load_suite, register_suite


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'petool' has no attribute '{name}'")


def __dir__() -> list[str]:
    return __all__
