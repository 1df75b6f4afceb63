"""ToolSpectrum (Cheng et al., ACL Findings 2025, arXiv 2505.13176) as a petool suite.

Source: BUAA-IRIP-LLM/ToolSpectrum at commit 83585ddaef64aa02e9cdf8cc3c58627ee94cf50a
(``petool data fetch toolspectrum`` downloads exactly that commit). The repository holds data
and prompts only; there is no inference or scoring code.

Files read (relative to the data directory):

* ``data/dataset_<scenario>.json`` for the scenarios ``persona`` (449 tasks), ``environment``
  (220) and ``persona_environment`` (333): lists of ``{instruction, persona?, environment?,
  toolCall, evaluation_result?}``; ``toolCall`` is ``{APP, API, params}`` or ``null`` (the
  request violates an app policy for this user: the right answer is no call).
* ``api/API_description.json``: the toolset, 23 apps with ``desc``, optional ``policy`` and
  ``APIs``; each API has ``desc`` and ``required_arguments``, ``personalized_arguments``,
  ``environmental_arguments`` keyed ``"name (type)": "description"``. The per-scenario files
  ``API_description_{persona,environment}.json`` are this file without the environmental,
  resp. personalized arguments, so the prompt style rebuilds them from the tools.
* ``prompts/prompt_call_api{,_persona,_environment}.txt``: the prompt templates with
  ``<INSTRUCTION_PLACEHOLDER>``, ``<PERSONA_PLACEHOLDER>``, ``<ENVIRONMENT_PLACEHOLDER>``,
  ``<TOOLSET_PLACEHOLDER>`` (rendered by :mod:`petool.prompts.toolspectrum`).

Mapping into the schema:

* One :class:`~petool.schema.Tool` per (app, API), named ``"<app>.<api>"`` (API names repeat
  across apps: ``getProductList`` exists in 7 apps), with ``app`` set, the API ``desc`` as
  description, ``attributes = {"app_description", "policy"}``, JSON-Schema
  parameters typed from the ``(type)`` suffix (``str``, ``bool``, ``int``, ``float``,
  ``list``, ``dict``; the one ``(syt)`` in the data is read as ``str`` and kept under
  ``x-toolspectrum-type`` for the prompt) with an ``enum``
  (``items.enum`` for lists) taken from "Available values: [...]" where it can be read, and
  ``param_roles`` required / personalized / environmental.
* Task ids ``<scenario>:<index>`` (0-based position in the file); ``meta.split`` and
  ``meta.category`` are the scenario (so ``--split persona`` runs one scenario; the default
  split ``all`` runs the three), plus
  ``meta.scenario``, ``meta.index``, ``meta.prompt_template`` and ``meta.native``
  (``evaluation_result`` when present). Persona goes to ``user.profile``, environment to
  ``user.environment``; no history. Every task's candidates are all 42 tools, as the
  benchmark's prompt shows the whole toolset. Gold ``null`` gives ``gold=[]``; otherwise one
  call with ``tool="<APP>.<API>"``, ``app=APP`` and the native ``params``.
  ``meta.functional_group`` lists the tools with the gold API's name in every app (the
  "same job, other app" alternatives); ``meta.query_params``, ``profile_params`` and
  ``environment_params`` the gold arguments that are required, personalized, environmental.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from petool.errors import InputError
from petool.io import read_json
from petool.parsing_literal import LiteralError, read_whole
from petool.prompts.toolspectrum import (
    JSON_TO_NATIVE,
    NATIVE_TYPE_KEY,
    ROLE_KEYS,
    SCENARIO_ROLES,
    api_name,
    native_toolset,
)
from petool.schema import ParamRoles, Suite, SuiteInfo, Task, TaskMeta, Tool, ToolCall, UserContext
from petool.suites.fetch import require_data
from petool.suites.registry import register_suite

NAME = "toolspectrum"
SCENARIOS: tuple[str, ...] = ("persona", "environment", "persona_environment")
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

CONTEXT_FIELDS: dict[str, tuple[str, ...]] = {
    "persona": ("persona",),
    "environment": ("environment",),
    "persona_environment": ("persona", "environment"),
}
NATIVE_TYPES: dict[str, str] = {
    "str": "string",
    "syt": "string",  # a typo in the data (Ctrip.rentCar vehicleModel)
    "bool": "boolean",
    "int": "integer",
    "float": "number",
    "list": "array",
    "dict": "object",
}
_ARG_KEY = re.compile(r"(.+?)\s*\((\w+)\)")
_AVAILABLE = re.compile(r"Available values:\s*(\[.*\])", re.S)


def tool_name(app: str, api: str) -> str:
    """The petool name of an app's API: ``"<app>.<api>"``."""
    return f"{app}.{api}"


def _fail(path: Path, where: str, message: str) -> InputError:
    return InputError(f"{path}: {where}: {message}")


def _enum_values(description: str, json_type: str) -> list[Any] | None:
    """The values listed after "Available values:" in a description, or None."""
    match = _AVAILABLE.search(description)
    if match is None:
        return None
    text = match.group(1)
    text = text[: text.rfind("]") + 1]
    for candidate in (text, f"[{text}]"):
        try:
            value = read_whole(candidate)
        except LiteralError:
            continue
        if isinstance(value, list) and value:
            return value
    inner = text.strip()[1:-1]
    if "[" in inner or "]" in inner:
        return None
    items = [part.strip().strip("'\"").strip() for part in inner.split(",")]
    items = [item for item in items if item]
    if not items:
        return None
    if json_type == "boolean":
        flags = {"true": True, "false": False}
        return [flags[i.lower()] for i in items] if all(i.lower() in flags for i in items) else None
    return items


def _property(description: str, native_type: str) -> dict[str, Any]:
    json_type = NATIVE_TYPES[native_type]
    prop: dict[str, Any] = {"type": json_type, "description": description}
    if JSON_TO_NATIVE[json_type] != native_type:
        prop[NATIVE_TYPE_KEY] = native_type  # keeps "(syt)" for a faithful prompt
    values = _enum_values(description, json_type)
    if values is not None:
        if json_type == "array":
            if not any(isinstance(v, list | dict) for v in values):
                prop["items"] = {"enum": values}
        elif json_type != "object":
            prop["enum"] = values
    return prop


def _tool(path: Path, app: str, app_data: Mapping[str, Any], api: str, spec: Any) -> Tool:
    base = f"{app}.APIs.{api}"
    where = f"field '{base}'"
    if not isinstance(spec, Mapping):
        raise _fail(path, where, "expected an object")
    properties: dict[str, Any] = {}
    roles: dict[str, list[str]] = {role: [] for role in ROLE_KEYS.values()}
    for key, role in ROLE_KEYS.items():
        arguments = spec.get(key, {})
        if not isinstance(arguments, Mapping):
            raise _fail(path, f"field '{base}.{key}'", "expected an object")
        for arg_key, description in arguments.items():
            match = _ARG_KEY.fullmatch(str(arg_key))
            if match is None or match.group(2) not in NATIVE_TYPES:
                raise _fail(
                    path,
                    f"field '{base}.{key}'",
                    f"argument key '{arg_key}' is not 'name (type)' with a type among "
                    f"{', '.join(sorted(NATIVE_TYPES))}",
                )
            name = match.group(1)
            if name in properties:
                raise _fail(path, f"field '{base}.{key}'", f"argument '{name}' is defined twice")
            properties[name] = _property(str(description), match.group(2))
            roles[role].append(name)
    attributes: dict[str, Any] = {"app_description": str(app_data.get("desc", ""))}
    if "policy" in app_data:
        attributes["policy"] = app_data["policy"]
    description = str(spec.get("desc", ""))
    return Tool(
        name=tool_name(app, api),
        app=app,
        description=description,
        attributes=attributes,
        parameters={"type": "object", "properties": properties, "required": roles["required"]},
        param_roles=ParamRoles(**roles),
    )


def load_toolset(path: Path) -> list[Tool]:
    """The tools of an ``API_description*.json`` file, in file order.

    Raises:
        InputError: the file is missing or malformed (the message names file and field).
    """
    data = read_json(path)
    if not isinstance(data, Mapping) or not data:
        raise InputError(f"{path}: expected a non-empty object of apps")
    tools: list[Tool] = []
    for app, app_data in data.items():
        if not isinstance(app_data, Mapping) or not isinstance(app_data.get("APIs"), Mapping):
            raise _fail(path, f"field '{app}'", "expected an object with 'desc' and 'APIs'")
        policy = app_data.get("policy")
        if policy is not None and not isinstance(policy, list):
            raise _fail(path, f"field '{app}.policy'", "expected a list of strings")
        for api, spec in app_data["APIs"].items():
            tools.append(_tool(path, str(app), app_data, str(api), spec))
    return tools


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
        scenario=scenario,
        index=i,
        prompt_template=template,
        native=native,
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


@register_suite(NAME, "ToolSpectrum (ACL Findings 2025): persona, environment, both; 42 APIs")
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


__all__ = [
    "API_FILE",
    "DATA_FILES",
    "NAME",
    "PROMPT_FILES",
    "REQUIRED_FILES",
    "SCENARIOS",
    "SCENARIO_ROLES",
    "api_name",
    "load_scenario",
    "load_toolset",
    "load_toolspectrum",
    "native_toolset",
    "tool_name",
]
