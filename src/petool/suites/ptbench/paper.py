"""PTBench's published numbers, for ``--compare-paper``: :func:`paper_numbers`."""

from __future__ import annotations

from typing import Any

from petool.suites.ptbench.scorer import ACC_KEYS


def paper_numbers() -> dict[str, Any]:
    """PTBench's published numbers (arXiv 2505.04072, Table 2).

    ``results`` is empty: the table could not be read from the sources available offline when
    the scorer was written (the stored copies of the paper stop before the results), and
    numbers are never typed in from memory. Fill it as ``{model: {split: {column: value}}}``
    (``split``: ``untrained_user``, ``trained_user`` or ``overall``; columns as in
    :data:`~petool.suites.ptbench.scorer.ACC_KEYS`, fractions) once the table is at hand.

    Returns:
        ``{"source", "scale", "metrics", "group_key": "by_split", "results": {}}``.
    """
    return {
        "source": (
            "Huang et al., Advancing and Benchmarking Personalized Tool Invocation for LLMs,"
            " arXiv 2505.04072, Table 2 (not yet recorded)"
        ),
        "scale": "fraction",
        "metrics": list(ACC_KEYS),
        "group_key": "by_split",
        "results": {},
    }
