"""``petool train sft|dpo|configs`` and ``petool export``: thin commands over petool.train.

The options of ``sft`` and ``dpo`` are generated from the config dataclasses, one
``--field-name`` per field (so CLI, YAML and code cannot drift apart), plus ``--config FILE``
(YAML, keys = field names) and ``--trl key=value`` for any other TRL field. An option given
on the command line overrides the YAML file, which overrides the defaults (the paper's).
Heavy libraries are imported only when a command runs.
"""

from __future__ import annotations

import dataclasses
import inspect
import types
import typing
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from petool.errors import ConfigError
from petool.train.config import DPORunConfig, SFTRunConfig, TrainConfig
from petool.train.config_load import build_config, parse_trl_overrides

train_app = typer.Typer(
    help="Train LoRA adapters on a suite: SFT, then DPO from the SFT adapter (TRL + PEFT).",
    no_args_is_help=True,
)
out_console = Console()
err_console = Console(stderr=True)

CONFIG_FILES = {
    "sft": "sft.yaml",
    "dpo": "dpo.yaml",
    "ddp": "accelerate/ddp.yaml",
    "zero2": "accelerate/zero2.yaml",
    "zero3": "accelerate/zero3.yaml",
}


def config_path(name: str) -> Path:
    """The path of a shipped config (``sft``, ``dpo``, ``ddp``, ``zero2``, ``zero3``)."""
    return Path(str(files("petool.train") / "configs" / CONFIG_FILES[name]))


def _cli_type(tp: Any) -> Any:
    """The CLI type of a field: Optional of it, so that an option not given stays None."""
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        tp = next(a for a in typing.get_args(tp) if a is not type(None))
    if typing.get_origin(tp) in (list, dict):  # lists, and the key=value items of ``trl``
        return list[str] | None
    return tp | None


def _option(f: dataclasses.Field[Any], tp: Any) -> typer.models.OptionInfo:
    name = f.name.replace("_", "-")
    help_text = f.metadata.get("help", "")
    if f.default is not dataclasses.MISSING and f.default not in (None, ""):
        shown = f.default if not isinstance(f.default, bool) else str(f.default).lower()
        help_text += f" (default: {shown})"
    if f.name == "trl":
        return typer.Option("--trl", help="a further TRL config field: key=value (repeatable)")
    if tp == bool | None:
        return typer.Option(f"--{name}/--no-{name}", help=help_text)
    if f.name == "modes":  # every command takes --mode (p, r, c or names); --modes too
        return typer.Option("--mode", "--modes", help=help_text)
    return typer.Option(f"--{name}", help=help_text)


def _command(cls: type[TrainConfig], run: Callable[[Any], None], doc: str) -> Callable[..., None]:
    hints = typing.get_type_hints(cls)
    params = [
        inspect.Parameter(
            "config",
            inspect.Parameter.KEYWORD_ONLY,
            default=None,
            annotation=Annotated[
                Path | None, typer.Option("--config", help="YAML file: option names as keys")
            ],
        )
    ]
    for f in dataclasses.fields(cls):
        tp = _cli_type(hints[f.name])
        params.append(
            inspect.Parameter(
                f.name,
                inspect.Parameter.KEYWORD_ONLY,
                default=None,
                annotation=Annotated[tp, _option(f, tp)],
            )
        )

    def command(**kwargs: Any) -> None:
        yaml_path = kwargs.pop("config")
        trl = parse_trl_overrides(kwargs.pop("trl", None))
        overrides = {k: v for k, v in kwargs.items() if v is not None}
        if trl:
            overrides["trl"] = trl
        run(build_config(cls, yaml_path=yaml_path, overrides=overrides))

    command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in params} | {"return": None}
    command.__doc__ = doc
    return command


def _report(result: Any) -> None:
    m = result.metrics
    parts = [f"{result.stage}: {m.get('global_step', '?')} steps"]
    if "first_loss" in m:
        parts.append(f"loss {m['first_loss']:.4g} -> {m['final_loss']:.4g}")
    if "final_reward_margin" in m:
        parts.append(
            f"reward margin {m['first_reward_margin']:.4g} -> {m['final_reward_margin']:.4g}"
        )
    if "tokens_per_s" in m:
        parts.append(f"{m['tokens_per_s']:.0f} tokens/s")
    err_console.print(" · ".join(parts), markup=False, highlight=False)
    if result.eval_metrics is not None:
        from petool.report.table import print_metrics

        print_metrics(result.eval_metrics, out_console)
    err_console.print(f"adapter and run records: {result.out_dir}", markup=False)


def _run_sft(config: SFTRunConfig) -> None:
    from petool.train.trainers import train_sft

    _report(train_sft(config))


def _run_dpo(config: DPORunConfig) -> None:
    from petool.train.trainers import train_dpo

    _report(train_dpo(config))


train_app.command("sft")(
    _command(
        SFTRunConfig,
        _run_sft,
        "Supervised fine-tuning (LoRA): instruction, history and candidates -> the gold call.",
    )
)
train_app.command("dpo")(
    _command(
        DPORunConfig,
        _run_dpo,
        "DPO from the SFT adapter: the preferred call over a rejected one (mix configurable).",
    )
)


@train_app.command("configs")
def configs_command(
    name: Annotated[
        str | None, typer.Argument(help="sft, dpo, ddp, zero2 or zero3: print only its path")
    ] = None,
) -> None:
    """Print the paths of the shipped configs (YAML defaults, accelerate DDP / ZeRO-2 / 3)."""
    if name is not None:
        if name not in CONFIG_FILES:
            raise ConfigError(f"unknown config '{name}' (shipped: {', '.join(CONFIG_FILES)})")
        out_console.print(str(config_path(name)), markup=False, highlight=False, soft_wrap=True)
        return
    for key in CONFIG_FILES:
        out_console.print(
            f"{key}\t{config_path(key)}", markup=False, highlight=False, soft_wrap=True
        )


def export_command(
    out: Annotated[Path, typer.Option(help="folder to write")],
    suite: Annotated[str, typer.Option(help="suite name or directory")] = "demo",
    data: Annotated[Path | None, typer.Option(help="the suite's data directory")] = None,
    split: Annotated[str, typer.Option(help="the split to export")] = "train",
    mode: Annotated[
        list[str] | None, typer.Option(help="history mode(s): preferred, rated, chronological")
    ] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="only the first N tasks")] = None,
    format: Annotated[
        str, typer.Option(help="llamafactory (alpaca + ranking) or trl (JSONL rows)")
    ] = "llamafactory",
    kind: Annotated[list[str] | None, typer.Option(help="sft and/or dpo (default both)")] = None,
    by_mode: Annotated[
        bool, typer.Option("--by-mode", help="one file per history mode (_p, _r, _c)")
    ] = False,
    prompt_style: Annotated[str | None, typer.Option(help="prompt style (default: suite's)")] = (
        None
    ),
    rejected_preference: Annotated[float, typer.Option(help="DPO mix weight")] = 1.0,
    rejected_functionality: Annotated[float, typer.Option(help="DPO mix weight")] = 0.0,
    rejected_parameters: Annotated[float, typer.Option(help="DPO mix weight")] = 0.0,
    pairs_per_task: Annotated[int, typer.Option(min=1, help="DPO pairs per task")] = 1,
    seed: Annotated[int, typer.Option(help="seed of the DPO draw")] = 0,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="replace a non-empty --out whole")
    ] = False,
) -> None:
    """Export a suite's training data for LLaMA-Factory (with dataset_info.json) or TRL."""
    from petool.io import claim_output_dir
    from petool.train.export import export_training_data

    claim_output_dir(out, what="export folder", overwrite=overwrite, create=False)
    written = export_training_data(
        suite=suite,
        data=data,
        out=out,
        split=split,
        modes=mode,
        limit=limit,
        format=format,
        kinds=kind,
        by_mode=by_mode,
        prompt_style=prompt_style,
        mix={
            "preference": rejected_preference,
            "functionality": rejected_functionality,
            "parameters": rejected_parameters,
        },
        pairs_per_task=pairs_per_task,
        seed=seed,
    )
    for name, n in written.items():
        err_console.print(f"{name}: {n} rows", markup=False, highlight=False)
    out_console.print(str(out), markup=False, highlight=False)
