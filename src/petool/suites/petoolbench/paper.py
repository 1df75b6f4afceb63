"""PEToolBench's published numbers (PEToolLLM, arXiv 2502.18980), for ``--compare-paper``."""

from __future__ import annotations

import copy
from typing import Any

_PAPER: dict[str, Any] = {
    "source": (
        "Xu et al., PEToolLLM: Towards Personalized Tool Learning in Large Language Models,"
        " arXiv 2502.18980 (ACL 2025), main results on the PEToolBench test set"
    ),
    "scale": "fraction",
    "metrics": ["tool_accuracy", "parameter_accuracy"],
    "group_key": "by_mode",
    "results": {
        "GPT-4o": {"rated": {"tool_accuracy": 0.457, "parameter_accuracy": 0.796}},
        "PEToolLLaMA": {"rated": {"tool_accuracy": 0.784, "parameter_accuracy": 0.897}},
    },
}


def paper_numbers() -> dict[str, Any]:
    """The paper's published numbers for a compare view (a fresh copy).

    Returns:
        ``{"source", "scale": "fraction", "metrics", "group_key": "by_mode", "results":
        {model: {mode: {metric: value}}}}``; modes are petool's (``rated`` = the paper's
        rating-integrated setting), read from the scorer output's ``by_mode``.
    """
    return copy.deepcopy(_PAPER)
