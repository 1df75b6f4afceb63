"""``petool ranker train``: train the learned personalized ranker on the train splits of suites.

``--suite`` takes a registered suite name or a suite directory, repeatable; a suite that needs
its data folder is given as ``NAME=DATA_DIR`` (e.g. ``petoolbench=./petoolbench-train`` with
PEToolBench's train files). ``--also-masked S`` adds suite ``S`` a second time with its tools'
non-functional attributes removed (the ``--mask-attributes`` transform), so the model also
learns to rank from history when a benchmark's tools carry no attributes. The model is
written to ``OUT/ranker.json`` with its data, features and config inside.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from petool.errors import ConfigError
from petool.schema import Suite

ranker_app = typer.Typer(help="The learned personalized ranker: train a model.")
err_console = Console(stderr=True)


def _load(spec: str) -> tuple[str, Suite]:
    from petool.suites.registry import load_suite

    name, sep, data = spec.partition("=")
    if sep and not data.strip():
        raise ConfigError(f"--suite '{spec}': expected NAME=DATA_DIR")
    suite = load_suite(name.strip(), (data.strip() or None) if sep else None)
    return suite.name, suite  # recorded by name, not path: the model bytes do not name folders


@ranker_app.command("train")
def train_cmd(
    suite: Annotated[
        list[str],
        typer.Option(help="suite name or directory (NAME=DATA_DIR for a data folder); repeatable"),
    ],
    out: Annotated[Path, typer.Option(help="model directory (ranker.json is written inside)")],
    also_masked: Annotated[
        list[str] | None,
        typer.Option(help="a --suite to add again with its tools' attributes masked"),
    ] = None,
    seed: Annotated[int, typer.Option(help="LightGBM seed")] = 0,
    rounds: Annotated[int, typer.Option(min=1, help="boosting rounds of the ranking model")] = 300,
) -> None:
    """Train the ranker on the suites' train splits; same data and seed give the same bytes."""
    from petool.ranker.numerics import is_portable, portable_env
    from petool.ranker.training import TrainConfig, train_ranker
    from petool.suites.transforms import SuiteTransforms, apply_transforms

    started = time.perf_counter()
    loaded: list[tuple[str, Suite]] = []
    masked = list(also_masked or [])
    unknown = [m for m in masked if m not in suite]
    if unknown:
        raise ConfigError(f"--also-masked {unknown[0]}: not one of the --suite values")
    for spec in suite:
        label, data = _load(spec)
        loaded.append((label, data))
        if spec in masked:
            masked_suite, _ = apply_transforms(data, [], SuiteTransforms(mask_attributes=True))
            loaded.append((f"{label}:masked", masked_suite))
    model = train_ranker(
        loaded,
        TrainConfig(seed=seed, rounds=rounds),
        progress=lambda line: err_console.print(line, highlight=False),
    )
    path = model.save(out)
    err_console.print(
        f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB) "
        f"in {time.perf_counter() - started:.0f} s",
        highlight=False,
    )
    if portable_env() and not is_portable():
        err_console.print(
            "native numerics: the same data and seed give these bytes on CPUs that compute "
            f"as this one does (PyTorch on {model.training['numerics']['torch_cpu_capability']}"
            '); for bytes that match on any x86-64 CPU, train under eval "$(python -m '
            'petool.ranker.numerics)"',
            highlight=False,
        )
