"""The ``petoolbench`` suite: PEToolBench (PEToolLLM, arXiv 2502.18980) in petool's schema.

Source: travis-xu/PEToolBench (test data released as ``user_entries_test.json.zip``; the
benchmark's distribution is the HF dataset ``travisxu/PEToolBench``). Each test entry is one
user and one query, usable in three history modes; every mode present becomes one task:

* id ``<entry_id>:<mode>`` with ``mode`` one of ``preferred`` (native code ``p``, prompt
  ``instruction_preferred``), ``rated`` (``r``, ``instruction_ratings``) and
  ``chronological`` (``c``, ``instruction_chronological``); :func:`task_id` builds it;
* ``system_prompt``: the authors' rendered prompt for that mode, verbatim, and
  ``instruction``: the query. The suite's prompt style is ``faithful`` (system prompt + query
  as the user turn), exactly the messages of the official ``run_experiment.py``;
* ``user.history``: the interaction history recovered from that prompt (instruction, call,
  rating +1/-1 in rated mode, ``step`` = position, so chronological order is kept), and
  ``candidates``: the candidate tool names in prompt order, so structured backends (the
  ranker) see what the model sees;
* ``gold``: ``api_call_ground_truth`` (one call; PEToolBench never asks for no call);
* ``meta``: ``split="test"``, ``category`` (the gold tool's category), ``history_length``
  (the native field: the user's whole history; the prompt shows at most 20 of it, recorded as
  ``history_shown``), ``functional_group`` (``apis_same_func`` as tool names, for the error
  taxonomy only, never model input), ``preferred_tool`` (the gold tool) and ``native``
  (``entry_id``, ``func``, ``tool_comb``, ``num_tools_combined``, ``api_id``, ``mode_code``).

The toolset is the union of every entry's candidates (``apis_candidate``: description and
required/optional parameters as a JSON Schema; ``app`` = the provider, the middle part of
``<Category>.<Provider>.<API>``) plus tools seen only in histories (parameters = the argument
names their calls used). See ``docs/suites/petoolbench.md``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from petool.errors import InputError
from petool.schema import (
    HISTORY_MODES,
    HistoryMode,
    Suite,
    SuiteInfo,
    Task,
    TaskMeta,
    Tool,
    ToolCall,
    UserContext,
)
from petool.suites.petoolbench.files import (
    FETCH_HINT,
    TestFile,
    locate_test_files,
    read_json_document,
)
from petool.suites.petoolbench.meta import NativeEntry, TaskExtras
from petool.suites.petoolbench.modes import CODE_OF_MODE, PROMPT_KEYS
from petool.suites.petoolbench.prompt_structure import (
    history_interactions,
    native_call,
    parse_prompt,
)
from petool.suites.petoolbench.tools import candidate_tool, observed_tool, tool_category

NAME = "petoolbench"
DESCRIPTION = "PEToolBench (arXiv 2502.18980): 1,000 test users x 3 history modes, official scorer"


def task_id(entry_id: Any, mode: HistoryMode) -> str:
    """The petool task id of a native entry in a history mode: ``<entry_id>:<mode>``."""
    return f"{entry_id}:{mode}"


class _Toolset:
    """Tools by name: candidate specs first (first spec wins), then history-only tools."""

    def __init__(self) -> None:
        self.tools: dict[str, Tool] = {}
        self.seen: dict[str, list[ToolCall]] = {}

    def add_candidate(self, spec: Mapping[str, Any]) -> str:
        name = spec.get("tool_name")
        if isinstance(name, str) and name in self.tools:
            return name
        tool = candidate_tool(spec)
        self.tools[tool.name] = tool
        return tool.name

    def observe(self, call: ToolCall) -> None:
        self.seen.setdefault(call.tool, []).append(call)

    def all(self) -> list[Tool]:
        extra = [observed_tool(n, calls) for n, calls in self.seen.items() if n not in self.tools]
        return [*self.tools.values(), *extra]


def _json_field(entry: Mapping[str, Any], key: str) -> Any:
    """A field that PEToolBench may store as JSON text (``apis_candidate``) or as a value."""
    value = entry.get(key)
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise ValueError(f"field '{key}': not valid JSON ({exc.msg})") from None
    return value


def _functional_group(entry: Mapping[str, Any]) -> list[str]:
    items = _json_field(entry, "apis_same_func") or []
    if not isinstance(items, list):
        raise ValueError("field 'apis_same_func': expected a list")
    names: list[str] = []
    for i, item in enumerate(items):
        parts = [item.get(k) if isinstance(item, dict) else None for k in _SAME_FUNC_KEYS]
        if not all(isinstance(p, str) for p in parts):
            raise ValueError(f"field 'apis_same_func'[{i}]: expected {', '.join(_SAME_FUNC_KEYS)}")
        names.append("<{}>.<{}>.<{}>".format(*parts))
    return names


_SAME_FUNC_KEYS = ("category_name", "tool_name", "api_name")


def _modes_of(entry: Mapping[str, Any], mode: HistoryMode | None) -> list[HistoryMode]:
    if mode is not None:
        if PROMPT_KEYS[mode] not in entry:
            raise ValueError(f"field '{PROMPT_KEYS[mode]}' is missing (a {mode}-mode file)")
        return [mode]
    modes = [m for m in HISTORY_MODES if PROMPT_KEYS[m] in entry]
    if not modes:
        raise ValueError(f"no prompt field ({', '.join(PROMPT_KEYS.values())})")
    return modes


def _history_length(entry: Mapping[str, Any]) -> int | None:
    value = entry.get("history_length")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"field 'history_length': expected an integer, got {value!r}")
    return value


def _native(entry: Mapping[str, Any], mode: HistoryMode) -> NativeEntry:
    api = entry.get("api_ground_truth")
    return NativeEntry(
        entry_id=entry["entry_id"],
        mode_code=CODE_OF_MODE[mode],
        func=entry.get("func"),
        tool_comb=entry.get("tool_comb"),
        num_tools_combined=entry.get("num_tools_combined"),
        api_id=api.get("api_id") if isinstance(api, dict) else None,
    )


def _entry_tasks(entry: Any, mode: HistoryMode | None, tools: _Toolset) -> list[Task]:
    """The tasks of one native entry (raises ValueError with the field at fault)."""
    if not isinstance(entry, dict):
        raise ValueError(f"expected an object, got {type(entry).__name__}")
    entry_id = entry.get("entry_id")
    if isinstance(entry_id, bool) or not isinstance(entry_id, int | str) or entry_id == "":
        raise ValueError("field 'entry_id': expected an integer or a non-empty string")
    query = entry.get("query")
    if not isinstance(query, str):
        raise ValueError("field 'query': expected a string")
    gold = native_call(entry.get("api_call_ground_truth"), "field 'api_call_ground_truth'")
    specs = _json_field(entry, "apis_candidate")
    if specs is not None and not isinstance(specs, list):
        raise ValueError("field 'apis_candidate': expected a list of tools")
    history_length = _history_length(entry)
    group = _functional_group(entry)
    tasks: list[Task] = []
    for m in _modes_of(entry, mode):
        key = PROMPT_KEYS[m]
        prompt = entry[key]
        if not isinstance(prompt, str):
            raise ValueError(f"field '{key}': expected a string")
        try:
            parts = parse_prompt(prompt)
            history = history_interactions(parts.history, m)
            names = [tools.add_candidate(spec) for spec in parts.candidates]
        except ValueError as exc:
            raise ValueError(f"field '{key}': {exc}") from None
        if specs is not None:
            declared = [s.get("tool_name") if isinstance(s, dict) else None for s in specs]
            if declared != names:
                raise ValueError(f"field '{key}': its candidate list differs from 'apis_candidate'")
        for item in history:
            tools.observe(item.call)
        tools.observe(gold)
        meta = TaskMeta(
            split="test",
            category=tool_category(gold.tool),
            history_length=history_length,
            functional_group=group,
            preferred_tool=gold.tool,
            **TaskExtras(history_shown=len(history), native=_native(entry, m)).meta_fields(),
        )
        user = UserContext(user_id=str(entry_id), history=history, history_mode=m)
        tasks.append(
            Task(
                id=task_id(entry_id, m),
                instruction=query,
                user=user,
                candidates=names,
                gold=[gold],
                meta=meta,
                system_prompt=prompt,
            )
        )
    return tasks


def tasks_from_entries(
    entries: Any, source: str | Path, mode: HistoryMode | None = None
) -> list[Task]:
    """Convert a list of native test entries into tasks (one per entry and mode present).

    Args:
        entries: the decoded JSON of a test file (a list of entry objects).
        source: the file name, for error messages.
        mode: the only mode to read (a per-mode file); None reads every prompt present.

    Returns:
        The tasks, entry by entry, modes in the order preferred, rated, chronological.

    Raises:
        InputError: not a list, an empty list or a malformed entry (one line naming the
            file, the entry's index and id, and the field).
    """
    return _read_entries(entries, source, mode, _Toolset())


def _read_entries(
    entries: Any, source: str | Path, mode: HistoryMode | None, toolset: _Toolset
) -> list[Task]:
    if not isinstance(entries, list):
        raise InputError(f"{source}: expected a JSON list of entries; {FETCH_HINT}")
    if not entries:
        raise InputError(f"{source}: the file holds no entries; {FETCH_HINT}")
    tasks: list[Task] = []
    for index, entry in enumerate(entries):
        try:
            tasks.extend(_entry_tasks(entry, mode, toolset))
        except ValueError as exc:
            ident = entry.get("entry_id") if isinstance(entry, dict) else None
            label = f"entry {index}" + (f" (entry_id {ident})" if ident is not None else "")
            reason = " ".join(str(exc).split())  # one line, even for a pydantic error
            raise InputError(f"{source}: {label}: {reason}; {FETCH_HINT}") from None
    return tasks


def _default_dir() -> Path:
    from petool.suites.fetch import cache_dir  # lazy: the loader itself needs no network code

    return Path(cache_dir(NAME))


def _order(tasks: Sequence[Task]) -> list[Task]:
    """Entry-major order (first appearance), modes in HISTORY_MODES order."""
    first: dict[str, int] = {}
    for t in tasks:
        first.setdefault(t.user.user_id, len(first))
    rank: dict[str | None, int] = {m: i for i, m in enumerate(HISTORY_MODES)}
    return sorted(tasks, key=lambda t: (first[t.user.user_id], rank.get(t.user.history_mode, 9)))


def load_files(files: Sequence[TestFile]) -> Suite:
    """Build the suite from explicit test files (see :func:`load_petoolbench`)."""
    toolset = _Toolset()
    tasks: list[Task] = []
    for f in files:
        tasks.extend(_read_entries(read_json_document(f.path), f.path, f.mode, toolset))
    seen: set[str] = set()
    for t in tasks:
        if t.id in seen:
            raise InputError(f"task id '{t.id}' appears twice (a repeated entry_id in the data)")
        seen.add(t.id)
    modes = [m for m in HISTORY_MODES if any(t.user.history_mode == m for t in tasks)]
    info = SuiteInfo(
        name=NAME,
        scorer=NAME,
        prompt_style="faithful",
        description=DESCRIPTION,
        splits=["test"],
        default_split="test",
        modes=modes,
        files=[f.path.name for f in files],
        source="travis-xu/PEToolBench; HF dataset travisxu/PEToolBench",
    )
    return Suite(info=info, tools=toolset.all(), tasks=_order(tasks))


def load_petoolbench(data: Path | None = None) -> Suite:
    """Load PEToolBench's test set as a suite.

    Args:
        data: a directory holding ``user_entries_test.json`` (or ``.json.zip``), or the
            per-mode ``user_entries_test_{p,r,c}.json[.zip]`` (directly or under
            ``dataset_test/``), or one such file; None: petool's data cache.

    Returns:
        The suite: 3 tasks per entry when all three prompts are there, scorer and prompt
        style as in the module docstring.

    Raises:
        DataMissingError: no test file (the message names the command that fetches it).
        InputError: a truncated or malformed file (one line: file, entry, field, what to do).
    """
    root = Path(data) if data is not None else _default_dir()
    return load_files(locate_test_files(root))
