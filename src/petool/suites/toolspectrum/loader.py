"""The ``toolspectrum`` suite loader: ToolSpectrum's data files as petool tasks.

Source: BUAA-IRIP-LLM/ToolSpectrum at commit 83585ddaef64aa02e9cdf8cc3c58627ee94cf50a
(``petool data fetch toolspectrum`` downloads exactly that commit). The repository holds data
and prompts only; there is no inference or scoring code.

Files read (relative to the data directory):

* ``data/dataset_<scenario>.json`` for the scenarios ``persona`` (449 tasks), ``environment``
  (220) and ``persona_environment`` (333): lists of ``{instruction, persona?, environment?,
  toolCall, evaluation_result?}``; ``toolCall`` is ``{APP, API, params}`` or ``null`` (the
  request violates an app policy for this user: the right answer is no call).
* ``api/API_description.json``: the toolset, read by :mod:`petool.suites.toolspectrum.toolset`
  (one tool per app and API, named ``"<app>.<api>"``).
* ``prompts/prompt_call_api{,_persona,_environment}.txt``: the prompt templates with
  ``<INSTRUCTION_PLACEHOLDER>``, ``<PERSONA_PLACEHOLDER>``, ``<ENVIRONMENT_PLACEHOLDER>``,
  ``<TOOLSET_PLACEHOLDER>`` (rendered by :mod:`petool.suites.toolspectrum.prompt`).

Mapping into the schema:

* Task ids ``<scenario>:<index>`` (0-based position in the file); ``meta.split`` and
  ``meta.category`` are the scenario (so ``--split persona`` runs one scenario; the default
  split ``all`` runs the three), plus the benchmark's own fields ``meta.scenario``,
  ``meta.index``, ``meta.prompt_template`` and ``meta.native`` (``evaluation_result`` when
  present), typed by :class:`~petool.suites.toolspectrum.meta.TaskExtras`. Persona goes to
  ``user.profile``, environment to ``user.environment``; no history. Every task's
  candidates are all 42 tools, as the benchmark's prompt shows the whole toolset. Gold
  ``null`` gives ``gold=[]``; otherwise one call with ``tool="<APP>.<API>"``, ``app=APP``
  and the native ``params``. ``meta.functional_group`` lists the tools with the gold API's
  name in every app (the "same job, other app" alternatives); ``meta.query_params``,
  ``profile_params`` and ``environment_params`` the gold arguments that are required,
  personalized, environmental.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from petool.errors import InputError
from petool.io import read_json
from petool.schema import Suite, SuiteInfo, Task, TaskMeta, Tool, ToolCall, UserContext
from petool.suites.fetch import require_data
from petool.suites.toolspectrum.meta import TaskExtras
from petool.suites.toolspectrum.scenarios import CONTEXT_FIELDS, SCENARIOS
from petool.suites.toolspectrum.toolset import api_name, load_toolset, tool_name

NAME = "toolspectrum"
DESCRIPTION = "ToolSpectrum (ACL Findings 2025): persona, environment, both; 42 APIs"
API_FILE = "api/API_description.json"
DATA_FILES: dict[str, str] = {s: f"data/dataset_{s}.json" for s in SCENARIOS}
PROMPT_FILES: dict[str, str] = {
    "persona": "prompts/prompt_call_api_persona.txt",
    "environment": "prompts/prompt_call_api_environment.txt",
    "persona_environment": "prompts/prompt_call_api.txt",
}
ALL_SPLITS = "all"
DEFAULT_SPLIT = ALL_SPLITS  # every scenario; ``--split persona`` etc. for one
REQUIRED_FILES: tuple[str, ...] = (API_FILE, *DATA_FILES.values(), *PROMPT_FILES.values())


def _fail(path: Path, where: str, message: str) -> InputError:
    return InputError(f"{path}: {where}: {message}")


def _context(path: Path, i: int, record: Mapping[str, Any], field: str) -> dict[str, Any]:
    value = record.get(field)
    if not isinstance(value, Mapping):
        raise _fail(path, f"record {i}, field '{field}'", "expected an object")
    return dict(value)


def _gold(
    path: Path, i: int, record: Mapping[str, Any], tools: Mapping[str, Tool]
) -> ToolCall | None:
    if "toolCall" not in record:
        raise _fail(path, f"record {i}", "missing field 'toolCall'")
    call = record["toolCall"]
    if call is None:
        return None
    if not isinstance(call, Mapping):
        raise _fail(path, f"record {i}, field 'toolCall'", "expected an object or null")
    app, api, params = call.get("APP"), call.get("API"), call.get("params", {})
    if not isinstance(app, str) or not isinstance(api, str):
        raise _fail(path, f"record {i}, field 'toolCall'", "expected string 'APP' and 'API'")
    if params is None:
        params = {}
    if not isinstance(params, Mapping):
        raise _fail(path, f"record {i}, field 'toolCall.params'", "expected an object")
    name = tool_name(app, api)
    if name not in tools:
        raise _fail(
            path,
            f"record {i}, field 'toolCall'",
            f"API '{api}' of app '{app}' is not in the toolset",
        )
    return ToolCall(tool=name, app=app, arguments=dict(params))


def load_scenario(path: Path, scenario: str, tools: Sequence[Tool], template: str) -> list[Task]:
    """The tasks of one scenario file (ids ``<scenario>:<index>``).

    Raises:
        InputError: the file is missing or malformed (the message names file, record, field).
    """
    data = read_json(path)
    if not isinstance(data, list):
        raise InputError(f"{path}: expected a list of tasks")
    index = {t.name: t for t in tools}
    names = [t.name for t in tools]
    for i, record in enumerate(data):
        if not isinstance(record, Mapping):
            raise _fail(path, f"record {i}", "expected an object")
    return [
        _task(path, scenario, i, record, index, names, template) for i, record in enumerate(data)
    ]


def _task(
    path: Path,
    scenario: str,
    i: int,
    record: Mapping[str, Any],
    index: Mapping[str, Tool],
    names: list[str],
    template: str,
) -> Task:
    instruction = record.get("instruction")
    if not isinstance(instruction, str) or not instruction.strip():
        raise _fail(path, f"record {i}, field 'instruction'", "expected a non-empty string")
    fields = CONTEXT_FIELDS[scenario]
    profile = _context(path, i, record, "persona") if "persona" in fields else {}
    environment = _context(path, i, record, "environment") if "environment" in fields else {}
    gold = _gold(path, i, record, index)
    by_role: dict[str, list[str]] = {"required": [], "personalized": [], "environmental": []}
    group: list[str] = []
    if gold is not None:
        tool = index[gold.tool]
        for role, listed in by_role.items():
            declared = set(getattr(tool.param_roles, role))
            listed += [name for name in gold.arguments if name in declared]
        api = api_name(tool)
        group = [n for n in names if api_name(index[n]) == api]
    native = (
        {"evaluation_result": record["evaluation_result"]} if "evaluation_result" in record else {}
    )
    meta = TaskMeta(
        split=scenario,
        category=scenario,
        functional_group=group,
        query_params=by_role["required"],
        profile_params=by_role["personalized"],
        environment_params=by_role["environmental"],
        **TaskExtras(
            scenario=scenario, index=i, prompt_template=template, native=native
        ).meta_fields(),
    )
    return Task(
        id=f"{scenario}:{i}",
        instruction=instruction,
        user=UserContext(profile=profile, environment=environment),
        candidates=list(names),
        gold=[gold] if gold is not None else [],
        meta=meta,
    )


def _read_template(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{path}: not valid UTF-8") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None


def load_toolspectrum(data: Path | None = None) -> Suite:
    """Load ToolSpectrum from ``data`` (a checkout of the repository) or petool's cache.

    Args:
        data: the data directory; None means ``petool.suites.fetch.cache_dir("toolspectrum")``.

    Returns:
        The suite: 42 tools, 1,002 tasks in the splits ``persona``, ``environment``,
        ``persona_environment``; scorer and prompt style ``toolspectrum``.

    Raises:
        DataMissingError: a file is missing (the message says how to fetch it).
        InputError: a file is malformed (the message names the file and field).
    """
    root = require_data(NAME, data, REQUIRED_FILES)
    tools = load_toolset(root / API_FILE)
    tasks: list[Task] = []
    for scenario in SCENARIOS:
        template = _read_template(root / PROMPT_FILES[scenario])
        tasks += load_scenario(root / DATA_FILES[scenario], scenario, tools, template)
    info = SuiteInfo(
        name=NAME,
        scorer=NAME,
        prompt_style=NAME,
        description="ToolSpectrum (arXiv 2505.13176), BUAA-IRIP-LLM/ToolSpectrum@83585dd",
        version="83585ddaef64aa02e9cdf8cc3c58627ee94cf50a",
        splits=list(SCENARIOS),
        default_split=DEFAULT_SPLIT,
    )
    return Suite(info=info, tools=tools, tasks=tasks)
