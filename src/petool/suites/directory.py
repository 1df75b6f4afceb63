"""A suite on disk: ``suite.json``, ``tools.jsonl``, ``tasks.jsonl`` in one directory."""

from __future__ import annotations

from pathlib import Path

from petool.errors import InputError
from petool.io import read_json_model, read_jsonl, write_json, write_jsonl
from petool.schema import Suite, SuiteInfo, Task, Tool

SUITE_FILES = ("suite.json", "tools.jsonl", "tasks.jsonl")


def is_suite_dir(path: str | Path) -> bool:
    """Whether ``path`` is a directory holding a ``suite.json``."""
    return (Path(path) / "suite.json").is_file()


def load_suite_dir(path: str | Path) -> Suite:
    """Load and cross-check a suite directory.

    Checks beyond the schema: tool names are unique, task ids are unique, every candidate
    and every gold tool is in the toolset. Errors name the file and line.
    """
    root = Path(path)
    if not root.is_dir():
        raise InputError(f"{root}: not a suite directory (expected {', '.join(SUITE_FILES)})")
    info = read_json_model(root / "suite.json", SuiteInfo)
    check_names(info, root / "suite.json")
    tools = read_jsonl(root / "tools.jsonl", Tool)
    tasks = read_jsonl(root / "tasks.jsonl", Task)
    check_suite(root, tools, tasks)
    return Suite(info=info, tools=tools, tasks=tasks)


def check_names(info: SuiteInfo, where: Path) -> None:
    """A suite file names its scorer and prompt style; both must be registered.

    Data names no code: a dotted path ``module:function`` in a file is refused before anything
    is imported (a user's own scorer is registered, or installed as an entry point).
    """
    from petool.prompts.registry import prompt_styles
    from petool.scoring.registry import scorers

    scorers.check(info.scorer, f"{where}: field 'scorer'")
    prompt_styles.check(info.prompt_style, f"{where}: field 'prompt_style'")


def check_suite(root: Path, tools: list[Tool], tasks: list[Task]) -> None:
    """Referential checks of a suite; raises InputError naming file and line."""
    names: dict[str, int] = {}
    for i, tool in enumerate(tools, start=1):
        if tool.name in names:
            raise InputError(
                f"{root / 'tools.jsonl'}:{i}: field 'name': duplicate tool name '{tool.name}'"
                f" (first on line {names[tool.name]})"
            )
        names[tool.name] = i
    seen: dict[str, int] = {}
    for i, task in enumerate(tasks, start=1):
        where = f"{root / 'tasks.jsonl'}:{i}"
        if task.id in seen:
            raise InputError(f"{where}: field 'id': duplicate task id '{task.id}'")
        seen[task.id] = i
        for j, cand in enumerate(task.candidates):
            if cand not in names:
                raise InputError(f"{where}: field 'candidates.{j}': unknown tool '{cand}'")
        for j, call in enumerate(task.gold):
            if call.tool not in names:
                raise InputError(f"{where}: field 'gold.{j}.tool': unknown tool '{call.tool}'")


def export_suite_dir(suite: Suite, path: str | Path) -> Path:
    """Write a suite as a directory (atomically per file); return the directory."""
    root = Path(path)
    root.mkdir(parents=True, exist_ok=True)
    write_json(root / "suite.json", suite.info)
    write_jsonl(root / "tools.jsonl", suite.tools)
    write_jsonl(root / "tasks.jsonl", suite.tasks)
    return root
