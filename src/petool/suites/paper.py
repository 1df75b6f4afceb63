"""Published numbers of the benchmarks' papers, and a run placed beside them (``--compare-paper``).

Each benchmark's package registers its own paper numbers here, under its suite's name, kept
beside the code that reproduces them::

    @paper_registry.register("mybench")
    def paper_numbers() -> dict: ...

This module is generic: it holds no benchmark's figures. Every table is one dict of the same
shape::

    {"source": "...", "scale": "fraction", "metrics": [...], "group_key": "by_mode",
     "results": {MODEL: {GROUP: {METRIC: value}}}}

``GROUP`` is where the number lives in petool's metrics: ``metrics[group_key][GROUP][METRIC]``
(a history mode for PEToolBench, a scenario for ToolSpectrum, a split for PTBench), or
``metrics[METRIC]`` when ``GROUP`` is ``"overall"``; a table without ``group_key`` is read
as ``by_mode``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from petool.errors import ConfigError
from petool.registry import Registry

SCALE = "fraction"
DEFAULT_GROUP_KEY = "by_mode"

#: Each benchmark's package registers ``paper_numbers() -> dict`` under its suite's name.
paper_registry: Registry[Callable[[], dict[str, Any]]] = Registry("paper table")


def paper_numbers(suite: str) -> dict[str, Any] | None:
    """A suite's published numbers (a fresh copy), or None when petool has none.

    Args:
        suite: a suite name (``petoolbench``, ``ptbench``, ``toolspectrum``, a plugin's).

    Returns:
        The dict described in the module docstring, with ``group_key`` always set.
    """
    getter = paper_registry.find(suite)
    if getter is None:
        return None
    numbers: dict[str, Any] = copy.deepcopy(getter())
    numbers.setdefault("group_key", DEFAULT_GROUP_KEY)
    return numbers


def all_paper_numbers() -> dict[str, dict[str, Any]]:
    """Every suite's published numbers that petool has, by suite name."""
    found = {name: paper_numbers(name) for name in paper_registry.names()}
    return {name: numbers for name, numbers in found.items() if numbers is not None}


def run_value(metrics: dict[str, Any], group_key: str, group: str, metric: str) -> float | None:
    """A run's value for one paper cell (None when the run has no such number)."""
    node: Any = metrics if group == "overall" else metrics.get(group_key, {}).get(group, {})
    value = node.get(metric) if isinstance(node, dict) else None
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def compare_with_paper(suite: str, metrics: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows placing a run's metrics beside the paper's numbers.

    Args:
        suite: the suite name.
        metrics: a run's ``metrics.json`` object (the suite's scorer output).

    Returns:
        One row per published number: ``{"model", "group", "metric", "paper", "run",
        "delta"}`` (``run`` and ``delta`` None when the run lacks that number).

    Raises:
        ConfigError: petool has no published numbers for the suite.
    """
    numbers = paper_numbers(suite)
    if numbers is None:
        known = ", ".join(sorted(all_paper_numbers()))
        raise ConfigError(f"no published numbers for suite '{suite}' (known: {known})")
    group_key = str(numbers["group_key"])
    rows: list[dict[str, Any]] = []
    for model, groups in numbers["results"].items():
        for group, cells in groups.items():
            for metric, paper in cells.items():
                mine = run_value(metrics, group_key, group, metric)
                delta = None if mine is None else round(mine - float(paper), 6)
                row = {"model": model, "group": group, "metric": metric, "paper": paper}
                rows.append(row | {"run": mine, "delta": delta})
    return rows
