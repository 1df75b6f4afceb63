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


def load_suite_dir(path: str | Path, *, lenient: bool = False) -> Suite:
    """Load and cross-check a suite directory.

    Checks beyond the schema (:func:`check_suite`): unique tool names and task ids, every tool
    a task names (candidates, gold, functional group, history) is in the toolset, the gold
    tools are among the candidates (or the task is declared open with ``meta.open_candidates``),
    and every task's split is declared in suite.json. Errors name the file and line; with
    ``lenient`` the referential problems become warnings counted in ``suite.load_warnings``
    (and in the config.json of a run), never silently dropped.
    """
    root = Path(path)
    if not root.is_dir():
        raise InputError(f"{root}: not a suite directory (expected {', '.join(SUITE_FILES)})")
    info = read_json_model(root / "suite.json", SuiteInfo)
    check_names(info, root / "suite.json")
    tools = read_jsonl(root / "tools.jsonl", Tool)
    tasks = read_jsonl(root / "tasks.jsonl", Task)
    problems = check_suite(root, tools, tasks, splits=info.splits, lenient=lenient)
    return Suite(info=info, tools=tools, tasks=tasks, load_warnings=problems)


def check_names(info: SuiteInfo, where: Path) -> None:
    """A suite file names its scorer and prompt style; both must be registered.

    Data names no code: a dotted path ``module:function`` in a file is refused before anything
    is imported (a user's own scorer is registered, or installed as an entry point).
    """
    from petool.prompts.registry import prompt_styles
    from petool.scoring.registry import scorers

    scorers.check(info.scorer, f"{where}: field 'scorer'")
    prompt_styles.check(info.prompt_style, f"{where}: field 'prompt_style'")


def check_suite(
    root: Path,
    tools: list[Tool],
    tasks: list[Task],
    *,
    splits: list[str] | None = None,
    lenient: bool = False,
) -> list[str]:
    """Referential checks of a suite; raises InputError naming file, line and field.

    Duplicate tool names and task ids always stop. The rest (unknown tools, gold outside the
    candidates, undeclared splits) stop too unless ``lenient``, which returns them instead.
    """
    names: dict[str, int] = {}
    for i, tool in enumerate(tools, start=1):
        if tool.name in names:
            raise InputError(
                f"{root / 'tools.jsonl'}:{i}: field 'name': duplicate tool name '{tool.name}'"
                f" (first on line {names[tool.name]})"
            )
        names[tool.name] = i
    problems: list[str] = []

    def problem(line: str) -> None:
        if not lenient:
            raise InputError(line)
        problems.append(line)

    seen: dict[str, int] = {}
    declared = set(splits) if splits is not None else None
    for i, task in enumerate(tasks, start=1):
        where = f"{root / 'tasks.jsonl'}:{i}"
        if task.id in seen:
            raise InputError(f"{where}: field 'id': duplicate task id '{task.id}'")
        seen[task.id] = i
        if declared is not None and task.meta.split not in declared:
            problem(
                f"{where}: field 'meta.split': split '{task.meta.split}' is not declared in"
                f" suite.json (splits: {', '.join(sorted(declared))})"
            )
        for j, cand in enumerate(task.candidates):
            if cand not in names:
                problem(f"{where}: field 'candidates.{j}': unknown tool '{cand}'")
        candidates = set(task.candidates)
        for j, call in enumerate(task.gold):
            if call.tool not in names:
                problem(f"{where}: field 'gold.{j}.tool': unknown tool '{call.tool}'")
            elif task.candidates and call.tool not in candidates:
                problem(
                    f"{where}: field 'gold.{j}.tool': '{call.tool}' is not among the task's"
                    " candidates"
                )
        if task.gold and not task.candidates and not task.meta.open_candidates:
            problem(
                f"{where}: field 'candidates': empty, but the task has a gold call (list the"
                " candidates, or set meta.open_candidates to rank the whole toolset)"
            )
        for j, name in enumerate(task.meta.functional_group):
            if name not in names:
                problem(f"{where}: field 'meta.functional_group.{j}': unknown tool '{name}'")
        for j, step in enumerate(task.user.history):
            if step.call.tool not in names:
                problem(
                    f"{where}: field 'user.history.{j}.call.tool': unknown tool '{step.call.tool}'"
                )
    return problems


def export_suite_dir(suite: Suite, path: str | Path) -> Path:
    """Write a suite as a directory (atomically per file); return the directory."""
    root = Path(path)
    root.mkdir(parents=True, exist_ok=True)
    write_json(root / "suite.json", suite.info)
    write_jsonl(root / "tools.jsonl", suite.tools)
    write_jsonl(root / "tasks.jsonl", suite.tasks)
    return root
