"""PTBench (Huang et al., arXiv 2505.04072) as a petool suite: :func:`load_ptbench`.

Source: hyfshadow/PTBench at commit 9678ecc80b3b39fa9694f25662c44bf4245f0486 (the code read
for this adapter: ``run.py``, ``src/predict_api.py``, ``src/predict_oss.py``,
``src/template.py``, ``src/test_acc.py``, ``src/test_error.py``, ``src/overall.py``).

Files read (relative to the data directory, or one folder below it):
``test_untrained_user/data.json`` (split ``untrained_user``, 609 records in the paper) and
``test_trained_user/data.json`` (``trained_user``, 474): JSON lists of records with
``user_profile``, ``platforms``, ``tools`` (shown to the model verbatim), ``query``,
``answer`` = ``[platform, [{function: {param: [acceptable values]}}, ...]]``, ``query_params``
and ``profile_params`` (the parameter names the query, resp. the profile, supplies).

Mapping into the schema:

* Task ids ``<split>:<index>`` (0-based position in the file); ``meta.split`` is the split,
  ``meta.category`` the gold platform, ``meta.query_params`` / ``meta.profile_params`` the
  native lists; the position and the native ``answer``, ``platforms``, ``tools`` (for the
  official scorer and the prompt) are PTBench's own fields (:mod:`.meta`). The default split
  is ``all`` (both, as PTBench's own ``run.py`` runs them): the official scorer then reports
  each split and their sample-weighted overall; ``--split untrained_user`` runs one.
* Gold: one :class:`~petool.schema.ToolCall` per answer function, named
  ``"<platform>.<function>"`` (platforms offer functions of the same name) with
  ``app=platform``; each parameter's first acceptable value goes to ``arguments``, the others
  to ``alternatives`` (a parameter with no acceptable value is left out of ``arguments`` and
  kept in the native answer).
* ``user_profile`` goes to ``user.profile`` (a non-object profile as ``{"text": ...}``); the
  user id is a hash of the profile. ``system_prompt`` is PTBench's rendered prompt
  (:mod:`.prompt`); suite prompt style and scorer are ``ptbench``.
* Tools: the layout of ``tools`` could not be checked against the released files here, so
  :mod:`.tools` reads the common shapes and every gold function is added from the answers;
  tools are named ``"<platform>.<function>"``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from petool.errors import DataMissingError, InputError
from petool.io import read_json
from petool.schema import (
    ALL_SPLITS,
    Suite,
    SuiteInfo,
    Task,
    TaskMeta,
    ToolCall,
    UserContext,
)
from petool.suites.fetch import cache_dir
from petool.suites.ptbench.meta import RAW_PROFILE, SOURCE, PTBenchNative
from petool.suites.ptbench.prompt import render_system_prompt
from petool.suites.ptbench.tools import Toolset, extract_tools

NAME = "ptbench"
DEFAULT_SPLIT = ALL_SPLITS  # both splits, as PTBench's run.py; ``--split trained_user`` for one
SPLIT_DIRS: dict[str, str] = {
    "untrained_user": "test_untrained_user",
    "trained_user": "test_trained_user",
}
DATA_FILE = "data.json"
REQUIRED_FILES: tuple[str, ...] = tuple(f"{d}/{DATA_FILE}" for d in SPLIT_DIRS.values())
FETCH_HINT = "run `petool data fetch ptbench` to download it again"
DESCRIPTION = "PTBench (arXiv 2505.04072): platform preference + profile-dependent parameters"
_ANSWER_SHAPE = "expected [platform, [{function: {param: [acceptable values]}}, ...]]"


def _fail(path: Path, index: int, field: str, problem: str) -> InputError:
    return InputError(f"{path}: record {index}: field '{field}': {problem}; {FETCH_HINT}")


def locate_data(root: Path) -> Path:
    """The folder holding the split files (both, or at least one): ``root`` or one folder
    below it (an archive)."""
    wanted = REQUIRED_FILES
    candidates = [root, *(sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else [])]
    for need in (all, any):
        for folder in candidates:
            if need((folder / w).is_file() for w in wanted):
                return folder
    missing = next(w for w in wanted if not (root / w).is_file())
    raise DataMissingError(
        f"PTBench: {root / missing} not found; run `petool data fetch ptbench` or pass --data "
        "DIR (the folder holding test_untrained_user/data.json and test_trained_user/data.json)"
    )


def _records(path: Path) -> list[Any]:
    try:
        data = read_json(path)
    except InputError as exc:
        raise InputError(f"{exc}; {FETCH_HINT}") from None
    if not isinstance(data, list):
        raise InputError(
            f"{path}: expected a JSON list of PTBench records, got {type(data).__name__};"
            f" {FETCH_HINT}"
        )
    return data


def _gold(path: Path, index: int, answer: Any) -> list[ToolCall]:
    if not (isinstance(answer, list) and len(answer) == 2):
        raise _fail(path, index, "answer", _ANSWER_SHAPE)
    platform, funcs = answer
    if not isinstance(platform, str) or not platform or not isinstance(funcs, list):
        raise _fail(path, index, "answer", _ANSWER_SHAPE)
    calls = []
    for j, func in enumerate(funcs):
        if not (isinstance(func, dict) and func and isinstance(next(iter(func)), str)):
            raise _fail(path, index, f"answer.1.{j}", "expected {function: {param: [values]}}")
        name, params = next(iter(func.items()))
        if not isinstance(params, dict):
            raise _fail(path, index, f"answer.1.{j}.{name}", "expected {param: [values]}")
        arguments: dict[str, Any] = {}
        alternatives: dict[str, list[Any]] = {}
        for param, values in params.items():
            accepted = values if isinstance(values, list) else [values]
            if accepted:
                arguments[param] = accepted[0]
                if len(accepted) > 1:
                    alternatives[param] = list(accepted[1:])
        calls.append(
            ToolCall(
                tool=f"{platform}.{name}",
                app=platform,
                arguments=arguments,
                alternatives=alternatives,
            )
        )
    return calls


def _names(path: Path, index: int, record: Mapping[str, Any], field: str) -> list[str]:
    value = record[field]
    if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
        raise _fail(path, index, field, "expected a list of parameter names")
    return list(value)


def _user(profile: Any) -> tuple[UserContext, str | None]:
    text = json.dumps(profile, sort_keys=True, ensure_ascii=False, default=str)
    user_id = "u" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:10]
    if isinstance(profile, dict):
        return UserContext(user_id=user_id, profile=dict(profile)), None
    return UserContext(user_id=user_id, profile={"text": profile}), RAW_PROFILE


def record_task(path: Path, split: str, index: int, record: Any, toolset: Toolset) -> Task:
    """One native record as a Task (its tools are added to ``toolset``)."""
    if not isinstance(record, dict):
        raise InputError(f"{path}: record {index}: expected a JSON object; {FETCH_HINT}")
    fields = ("user_profile", "platforms", "tools", "query", "answer")
    for field in (*fields, "query_params", "profile_params"):
        if field not in record:
            raise _fail(path, index, field, "missing")
    if not isinstance(record["query"], str):
        raise _fail(path, index, "query", "expected a string")
    gold = _gold(path, index, record["answer"])
    query_params = _names(path, index, record, "query_params")
    profile_params = _names(path, index, record, "profile_params")
    candidates = toolset.add_all(extract_tools(record["tools"], record["platforms"]))
    candidates += [name for name in toolset.add_gold(gold) if name not in candidates]
    user, profile_kind = _user(record["user_profile"])
    native = PTBenchNative(
        answer=record["answer"],
        platforms=record["platforms"],
        tools=record["tools"],
        query_params=query_params,
        profile_params=profile_params,
        profile_kind=profile_kind,
    )
    meta = TaskMeta(
        split=split,
        category=record["answer"][0],
        query_params=query_params,
        profile_params=profile_params,
        index=index,  # PTBench's fields (.meta), kept in the meta extras on disk
        native=native.model_dump(),
    )
    return Task(
        id=f"{split}:{index}",
        instruction=record["query"],
        user=user,
        candidates=candidates,
        gold=gold,
        meta=meta,
        system_prompt=render_system_prompt(
            record["user_profile"], record["platforms"], record["tools"]
        ),
    )


def load_ptbench(data: Path | None = None) -> Suite:
    """Load PTBench's two test splits as a suite.

    Args:
        data: a folder holding ``test_untrained_user/data.json`` and
            ``test_trained_user/data.json`` (directly or one folder below); None: petool's
            data cache.

    Returns:
        The suite: splits ``untrained_user`` and ``trained_user`` (default ``all``: both),
        scorer and prompt style ``ptbench``.

    Only the splits whose file is there are loaded (``--split untrained_user`` needs only its
    own file); the default ``all`` is every split present.

    Raises:
        DataMissingError: no split file is there (the message names the fetch command).
        InputError: a truncated or malformed file (file, record, field, what to do).
    """
    root = locate_data(Path(data) if data is not None else cache_dir(NAME))
    toolset = Toolset()
    tasks: list[Task] = []
    present = {s: d for s, d in SPLIT_DIRS.items() if (root / d / DATA_FILE).is_file()}
    for split, folder in present.items():  # a split whose file is absent is simply not there
        path = root / folder / DATA_FILE
        tasks += [record_task(path, split, i, rec, toolset) for i, rec in enumerate(_records(path))]
    info = SuiteInfo(
        name=NAME,
        scorer=NAME,
        prompt_style=NAME,
        description=f"{DESCRIPTION}; {SOURCE}",
        splits=list(present),
        default_split=DEFAULT_SPLIT,
        source=SOURCE,
        files=[str(root / d / DATA_FILE) for d in present.values()],
    )
    return Suite(info=info, tools=toolset.tools(), tasks=tasks)
