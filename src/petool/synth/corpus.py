"""Tool corpora into :class:`~petool.schema.Tool` lists: the first stage of synthesis.

Formats (detected from the path):

* **ToolBench / RapidAPI** — a directory of tool files, one JSON object per tool
  (``tools/<Category>/<tool>.json`` as in ToolBench's ``toolenv/tools``): ``tool_name``,
  ``tool_description``, ``category_name`` (else the folder name) and ``api_list`` of
  ``{name, description, method, required_parameters, optional_parameters}`` whose parameters
  are ``{name, type, description, default}``. Also a single such file.
* **OpenAI function schemas** — a JSON list (or ``{"tools": [...]}``/``{"functions": [...]}``)
  of ``{"type": "function", "function": {name, description, parameters}}`` or of the inner
  objects; optional ``category`` and ``app`` keys.
* **ToolSpectrum** — an ``API_description*.json`` file or a directory holding
  ``api/API_description.json`` (read by :func:`petool.suites.toolspectrum.load_toolset`).
* **petool** — a ``tools.jsonl`` file or a directory holding one (a suite directory).
* **demo catalog** — a catalog like ``synth/catalog/demo_catalog.json`` (functional groups
  with attributes and instruction templates already written).

Tool names follow ``<Category>.<Tool>.<API>`` where the corpus has those levels, each part
reduced to letters, digits, ``_`` and ``-``; ``app`` keeps the provider's own name.

A bad file (broken JSON, a tool without ``api_list``, a parameter without a name) raises
:class:`~petool.errors.InputError` with one line naming the file and the problem, or with
``skip_invalid=True`` is skipped and counted in :class:`CorpusReport`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from petool.errors import InputError
from petool.io import iter_jsonl_raw, parse_record, read_json
from petool.schema import ParamRoles, Tool
from petool.synth.demo_catalog import Catalog, load_catalog

FORMATS = ("toolbench", "openai", "toolspectrum", "petool", "catalog")

_TYPES: dict[str, dict[str, Any]] = {
    "string": {"type": "string"},
    "str": {"type": "string"},
    "text": {"type": "string"},
    "enum": {"type": "string"},
    "binary": {"type": "string"},
    "file": {"type": "string"},
    "number": {"type": "number"},
    "float": {"type": "number"},
    "double": {"type": "number"},
    "integer": {"type": "integer"},
    "int": {"type": "integer"},
    "boolean": {"type": "boolean"},
    "bool": {"type": "boolean"},
    "array": {"type": "array"},
    "list": {"type": "array"},
    "object": {"type": "object"},
    "dict": {"type": "object"},
    "date": {"type": "string", "format": "date"},
    "time": {"type": "string", "format": "time"},
    "datetime": {"type": "string", "format": "date-time"},
}
_PART = re.compile(r"[^A-Za-z0-9_-]+")


@dataclass
class CorpusReport:
    """What was read: format, files, providers, tools, and the files skipped (with why)."""

    path: str
    format: str
    files: int = 0
    providers: int = 0
    tools: int = 0
    skipped: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data (paths relative to the corpus root)."""
        return {
            "path": Path(self.path).name,
            "format": self.format,
            "files": self.files,
            "providers": self.providers,
            "tools": self.tools,
            "skipped": len(self.skipped),
            "problems": list(self.skipped),
        }


@dataclass
class Corpus:
    """The tools of a corpus, the providers' own descriptions, and how reading went."""

    tools: list[Tool]
    report: CorpusReport
    provider_docs: dict[str, str] = field(default_factory=dict)
    catalog: Catalog | None = None


def name_part(text: str) -> str:
    """One part of a tool name: runs of other characters become ``_`` (never empty)."""
    return _PART.sub("_", text.strip()).strip("_") or "x"


def _unique(name: str, taken: set[str]) -> str:
    out, k = name, 2
    while out in taken:
        out, k = f"{name}_{k}", k + 1
    taken.add(out)
    return out


# --------------------------------------------------------------------------- ToolBench


def _example(value: Any, schema: Mapping[str, Any]) -> Any:
    """A ToolBench ``default`` (documentation's example) typed as the schema says, or None."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    kind = schema.get("type")
    if kind in ("number", "integer") and isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None
        return int(number) if number.is_integer() else (None if kind == "integer" else number)
    if kind == "boolean" and isinstance(value, str):
        return {"true": True, "false": False}.get(value.strip().lower())
    if kind == "string" and not isinstance(value, str):
        return str(value)
    return value


def _param_schema(param: Mapping[str, Any]) -> dict[str, Any]:
    raw = str(param.get("type") or "string").strip().lower()
    key = raw.split()[0].split("(")[0] if raw else "string"
    schema = dict(_TYPES.get(key, {"type": "string"}))
    description = param.get("description")
    schema["description"] = str(description).strip() if description else ""
    example = _example(param.get("default"), schema)
    if example is not None:
        schema["examples"] = [example]
    return schema


def _toolbench_problem(data: Any) -> str | None:
    """The first structural problem of a ToolBench tool object, or None."""
    if not isinstance(data, dict):
        return f"expected a JSON object (a tool), got {type(data).__name__}"
    if "api_list" not in data:
        return "field 'api_list': missing (a tool needs its list of APIs)"
    if not isinstance(data["api_list"], list):
        return "field 'api_list': expected a list of APIs"
    for i, api in enumerate(data["api_list"]):
        if not isinstance(api, dict):
            return f"field 'api_list.{i}': expected an object"
        if not isinstance(api.get("name"), str) or not api["name"].strip():
            return f"field 'api_list.{i}.name': API without a name"
        for key in ("required_parameters", "optional_parameters"):
            params = api.get(key) or []
            if not isinstance(params, list):
                return f"field 'api_list.{i}.{key}': expected a list"
            for j, p in enumerate(params):
                if not isinstance(p, dict):
                    return f"field 'api_list.{i}.{key}.{j}': expected an object"
                if not isinstance(p.get("name"), str) or not p["name"].strip():
                    return f"field 'api_list.{i}.{key}.{j}.name': parameter without a name"
    return None


def _toolbench_tools(data: dict[str, Any], category: str, taken: set[str]) -> list[Tool]:
    provider = str(data.get("tool_name") or "").strip() or "tool"
    category = str(data.get("category_name") or category).strip()
    tools = []
    for api in data["api_list"]:
        props: dict[str, Any] = {}
        required: list[str] = []
        for key in ("required_parameters", "optional_parameters"):
            for p in api.get(key) or []:
                pname = p["name"].strip()
                if pname in props:  # a name listed twice: the first wins
                    continue
                props[pname] = _param_schema(p)
                if key == "required_parameters":
                    required.append(pname)
        name = ".".join(name_part(x) for x in (category, provider, api["name"]))
        description = re.sub(r"\s+", " ", str(api.get("description") or "")).strip()
        tools.append(
            Tool(
                name=_unique(name, taken),
                app=provider,
                category=category,
                description=description,
                parameters={"type": "object", "properties": props, "required": required},
                param_roles=ParamRoles(required=list(required)),
            )
        )
    return tools


def _tool_files(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*.json")):
        rel = path.relative_to(root).parts
        if not any(part.startswith(".") for part in rel):
            yield path


def _load_toolbench(paths: list[Path], root: Path, skip_invalid: bool) -> Corpus:
    report = CorpusReport(path=str(root), format="toolbench")
    tools: list[Tool] = []
    docs: dict[str, str] = {}
    taken: set[str] = set()
    for path in paths:
        report.files += 1
        try:
            data = read_json(path)
            problem = _toolbench_problem(data)
            if problem is not None:
                raise InputError(f"{path}: {problem}")
        except InputError as exc:
            if not skip_invalid:
                raise
            report.skipped.append(str(exc))
            continue
        category = path.parent.name if path.parent != root else ""
        found = _toolbench_tools(data, category, taken)
        if found:
            report.providers += 1
            docs.setdefault(str(found[0].app), str(data.get("tool_description") or "").strip())
        tools += found
    report.tools = len(tools)
    return Corpus(tools=tools, report=report, provider_docs=docs)


# --------------------------------------------------------------------------- other formats


def _function_items(data: Any, path: Path) -> list[Any]:
    if isinstance(data, dict):
        for key in ("tools", "functions"):
            if isinstance(data.get(key), list):
                return list(data[key])
        raise InputError(f"{path}: expected a list of function schemas (or 'tools': [...])")
    if not isinstance(data, list):
        raise InputError(f"{path}: expected a list of function schemas")
    return data


def _function_tool(item: Any, where: str, taken: set[str]) -> Tool:
    if not isinstance(item, dict):
        raise InputError(f"{where}: expected a function schema object")
    fn = item.get("function", item)
    if not isinstance(fn, dict):
        raise InputError(f"{where}: field 'function': expected an object")
    fname = fn.get("name")
    if not isinstance(fname, str) or not fname.strip():
        raise InputError(f"{where}: field 'name': function without a name")
    params = fn.get("parameters") or {"type": "object", "properties": {}}
    if not isinstance(params, dict) or not isinstance(params.get("properties", {}), dict):
        raise InputError(f"{where}: field 'parameters': expected a JSON Schema object")
    for pname in params.get("properties", {}):
        if not str(pname).strip():
            raise InputError(f"{where}: field 'parameters.properties': parameter without a name")
    category = str(item.get("category") or fn.get("category") or "").strip()
    app = str(item.get("app") or fn.get("app") or "").strip() or None
    parts = [p for p in (category, app, fname) if p]
    required = [str(r) for r in params.get("required", [])]
    schema = {"type": "object", "properties": dict(params.get("properties", {}))}
    schema["required"] = required
    return Tool(
        name=_unique(".".join(name_part(p) for p in parts), taken),
        app=app,
        category=category,
        description=str(fn.get("description") or "").strip(),
        parameters=schema,
        param_roles=ParamRoles(required=required),
    )


def _load_functions(path: Path, items: list[Any]) -> Corpus:
    taken: set[str] = set()
    tools = [_function_tool(it, f"{path}: item {i}", taken) for i, it in enumerate(items)]
    report = CorpusReport(str(path), "openai", files=1, tools=len(tools))
    report.providers = len({t.app or t.name for t in tools})
    return Corpus(tools=tools, report=report)


def _load_toolspectrum(path: Path) -> Corpus:
    from petool.suites.toolspectrum import load_toolset

    tools = load_toolset(path)
    report = CorpusReport(str(path), "toolspectrum", files=1, tools=len(tools))
    report.providers = len({t.app for t in tools})
    docs = {str(t.app): str(t.attributes.get("app_description", "")) for t in tools}
    return Corpus(tools=tools, report=report, provider_docs=docs)


def _load_petool(path: Path) -> Corpus:
    tools = [parse_record(data, Tool, f"{path}:{line}") for line, data in iter_jsonl_raw(path)]
    report = CorpusReport(str(path), "petool", files=1, tools=len(tools))
    report.providers = len({t.app or t.name for t in tools})
    return Corpus(tools=tools, report=report)


def _load_catalog(path: Path) -> Corpus:
    catalog = load_catalog(path)
    tools = catalog.tools
    report = CorpusReport(str(path), "catalog", files=1, tools=len(tools))
    report.providers = len({t.app for t in tools})
    return Corpus(tools=tools, report=report, catalog=catalog)


def _load_json_file(path: Path, skip_invalid: bool) -> Corpus:
    if path.name.startswith("API_description"):
        return _load_toolspectrum(path)
    data = read_json(path)
    if isinstance(data, dict) and "api_list" in data:
        return _load_toolbench([path], path.parent, skip_invalid)
    if isinstance(data, dict) and isinstance(data.get("groups"), list):
        return _load_catalog(path)
    return _load_functions(path, _function_items(data, path))


def load_corpus(path: str | Path, *, skip_invalid: bool = False) -> Corpus:
    """Read a tool corpus (format detected from the path, see the module docstring).

    Args:
        path: a directory or a file.
        skip_invalid: skip bad tool files (ToolBench layout) and count them in the report
            instead of stopping at the first one.

    Returns:
        The tools (names unique), the providers' descriptions and the report.

    Raises:
        InputError: the path is missing, of no known format, or a file is bad (one line
            naming the file and the problem).
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: corpus not found")
    if p.is_dir():
        if (p / "tools.jsonl").is_file():
            return _load_petool(p / "tools.jsonl")
        if (p / "api" / "API_description.json").is_file():
            return _load_toolspectrum(p / "api" / "API_description.json")
        files = list(_tool_files(p))
        if not files:
            raise InputError(f"{p}: no tool files (*.json) in the corpus directory")
        corpus = _load_toolbench(files, p, skip_invalid)
    elif p.suffix == ".jsonl":
        corpus = _load_petool(p)
    else:
        corpus = _load_json_file(p, skip_invalid)
    if not corpus.tools:
        raise InputError(f"{p}: the corpus has no tools")
    return corpus
