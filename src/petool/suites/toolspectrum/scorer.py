"""The ``toolspectrum`` scorer: APP, API, RP, PP, OP per scenario, as petool reads Table 3.

ToolSpectrum (arXiv 2505.13176, BUAA-IRIP-LLM/ToolSpectrum@83585dd) publishes data and
prompts but no scoring code. Its Table 3 reports, per scenario, APP and API accuracy and
parameter scores RP (required), PP (personalized, persona scenarios) and OP (environmental,
environment scenarios). petool implements this reading of them:

* **APP** — share of the scenario's tasks whose predicted app equals the gold app (exact
  string). When the gold ``toolCall`` is null, a prediction that explicitly makes no call
  (status ``no_call``) counts as equal; a parse error, a backend error or a missing
  prediction never does.
* **API** — the same for the API name alone, independently of the app (``getProductList``
  in the wrong shopping app still counts for API).
* **RP / PP / OP** — over tasks with a gold call: the F1 between the predicted and the gold
  sets of (argument, value) pairs, both restricted to the gold API's required /
  personalized / environmental arguments (from the toolset), averaged over the tasks whose
  gold call has at least one argument of that kind. Judged independently of the predicted
  app and API. No prediction, or no argument of the kind predicted, scores 0 on that task.
  Values compare as case-insensitive strings so that ``true``, ``True`` and ``"True"`` agree:
  booleans as ``true``/``false``, integral floats as integers (``5.0`` as ``5``), other
  numbers by ``str``, ``None`` as ``none``, lists and objects as their JSON text (so a list's
  order matters), everything casefolded.
* Columns per scenario: ``persona`` APP, API, RP, PP; ``environment`` APP, API, RP, OP;
  ``persona_environment`` APP, API, RP, PP, OP. A metric with no task to average over is
  ``null``.

Reading the answer (from the raw output text, never evaluated): petool's
:func:`~petool.parsing.parse_output`, which reads the benchmark's ``{"APP", "API",
"params"}`` objects, petool's ``{"tool_name", "parameters", "app"}`` objects and explicit
abstention (``APP``/``API`` null counts as no call). Two ToolSpectrum-specific additions:
when that fails, the text is read again with a comma inserted wherever a line ends a value
and the next line starts a ``"key":`` (the templates' own answer example lacks the comma
before ``"explanation"``, and models copy it); and a prediction whose output text is empty
but which holds native function calls is read from those calls. Only the first call counts
(the benchmark asks for one). The API is the tool name with a leading ``"<app>."`` removed
(petool's tool names are ``"<app>.<api>"``); the app is the answer's ``app``/``APP``, else
the app part of a qualified tool name.

Output: ``{"n", "by_scenario": {SCENARIO: {"n", "APP", "API", "RP", "PP"?, "OP"?, "RP_n",
..., "no_call_gold", "parse_errors", "backend_errors", "missing", "no_calls"}}}`` merged
with petool's unified metrics (also under ``unified``), computed from the same reading of
each answer with tool names qualified as ``"<app>.<api>"``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from petool.parsing import ParseResult, bounded_answer, parse_output
from petool.schema import Prediction, Suite, Task, Tool, ToolCall
from petool.scoring.unified import score_tasks
from petool.suites.toolspectrum.meta import TaskExtras
from petool.suites.toolspectrum.scenarios import SCENARIOS

PARAM_METRICS: dict[str, tuple[str, ...]] = {
    "persona": ("RP", "PP"),
    "environment": ("RP", "OP"),
    "persona_environment": ("RP", "PP", "OP"),
}
ALL_PARAM_METRICS: tuple[str, ...] = ("RP", "PP", "OP")
METRIC_ROLE: dict[str, str] = {"RP": "required", "PP": "personalized", "OP": "environmental"}
META_ROLE_FIELD: dict[str, str] = {
    "required": "query_params",
    "personalized": "profile_params",
    "environmental": "environment_params",
}

_MISSING_COMMA = re.compile(r'(?<=["}\]\w])([ \t]*\r?\n\s*)(?="[^"\n]*"\s*:)')


@dataclass(frozen=True)
class Answer:
    """One prediction as the scorer reads it."""

    status: str  # ok | no_call | parse_error | backend_error | missing
    app: str | None = None
    api: str | None = None
    arguments: dict[str, Any] = field(default_factory=dict)
    calls: tuple[ToolCall, ...] = ()
    error: str | None = None


class ToolIndex:
    """Resolves predicted tool names and apps against the suite's toolset."""

    def __init__(self, tools: Sequence[Tool]):
        self.tools = {t.name: t for t in tools}
        self.apps = sorted({t.app for t in tools if t.app}, key=len, reverse=True)
        self.qualified: dict[str, tuple[str, str]] = {}
        for tool in tools:
            if tool.app and tool.name.startswith(f"{tool.app}."):
                self.qualified[tool.name] = (tool.app, tool.name[len(tool.app) + 1 :])
        self.names = list(self.tools) + sorted({api for _, api in self.qualified.values()})

    def resolve(self, call: ToolCall) -> tuple[str | None, str]:
        """The (app, API) of a predicted call (see the module docstring)."""
        tool = call.tool.strip()
        app = call.app.strip() if call.app and call.app.strip() else None
        if tool in self.qualified:
            q_app, api = self.qualified[tool]
            return (app if app is not None else q_app), api
        for known in self.apps:
            if tool.startswith(f"{known}."):
                return (app if app is not None else known), tool[len(known) + 1 :]
        return app, tool

    def qualify(self, call: ToolCall) -> ToolCall:
        """The call with its tool named ``"<app>.<api>"`` when that tool exists."""
        app, api = self.resolve(call)
        name = f"{app}.{api}" if app is not None else api
        if name not in self.tools:
            return call
        return call.model_copy(update={"tool": name, "app": app})


def api_part(call: ToolCall) -> str:
    """The API name of a gold call (its tool name without the ``"<app>."`` prefix)."""
    prefix = f"{call.app}." if call.app else ""
    return call.tool[len(prefix) :] if prefix and call.tool.startswith(prefix) else call.tool


def _read_text(text: str, names: Sequence[str]) -> ParseResult:
    text = bounded_answer(text)  # what parse_output reads anyway; the repair stays linear
    result = parse_output(text, tool_names=names)
    if result.status != "parse_error":
        return result
    repaired = _MISSING_COMMA.sub(r",\1", text)
    if repaired != text:
        second = parse_output(repaired, tool_names=names)
        if second.status != "parse_error":
            return second
    return result


def read_answer(prediction: Prediction | None, index: ToolIndex) -> Answer:
    """How the scorer reads one prediction (raw output first; see the module docstring)."""
    if prediction is None:
        return Answer("missing")
    if prediction.status == "backend_error":
        return Answer("backend_error", error=prediction.error)
    if not prediction.output.strip() and prediction.status == "ok" and prediction.calls:
        result = ParseResult("ok", list(prediction.calls))
    else:
        result = _read_text(prediction.output, index.names)
    if result.status != "ok" or not result.calls:
        status = "no_call" if result.status in ("ok", "no_call") else result.status
        return Answer(status, error=result.error)
    calls = tuple(index.qualify(c) for c in result.calls)
    app, api = index.resolve(result.calls[0])
    return Answer("ok", app=app, api=api, arguments=dict(result.calls[0].arguments), calls=calls)


def value_text(value: Any) -> str:
    """A value as the case-insensitive string it is compared by."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return value.casefold()
    if value is None:
        return "none"
    return json.dumps(value, ensure_ascii=False, sort_keys=True).casefold()


def pair_f1(predicted: Mapping[str, Any], gold: Mapping[str, Any], names: set[str]) -> float:
    """F1 of the (argument, value) pairs of ``predicted`` and ``gold`` restricted to ``names``."""
    pred = {(k, value_text(v)) for k, v in predicted.items() if k in names}
    want = {(k, value_text(v)) for k, v in gold.items() if k in names}
    if not pred and not want:
        return 1.0
    return 2 * len(pred & want) / (len(pred) + len(want))


def _role_names(task: Task, gold: ToolCall, tools: Mapping[str, Tool], role: str) -> set[str]:
    tool = tools.get(gold.tool)
    if tool is not None:
        return set(getattr(tool.param_roles, role))
    return set(getattr(task.meta, META_ROLE_FIELD[role]))


def scenario_of(task: Task) -> str:
    """The task's scenario (``meta.scenario``, else its split)."""
    return TaskExtras.of(task).scenario or task.meta.split


def _frac(num: float, den: int) -> float | None:
    return num / den if den else None


def task_verdict(task: Task, answer: Answer, tools: Mapping[str, Tool]) -> dict[str, Any]:
    """ToolSpectrum's judgement of one task: APP and API right, and the F1 of each parameter
    kind the gold call has (None: the gold call has no parameter of that kind)."""
    if not task.gold:
        abstained = answer.status == "no_call"
        return {"APP": abstained, "API": abstained} | dict.fromkeys(METRIC_ROLE)
    gold = task.gold[0]
    ok = answer.status == "ok"
    out: dict[str, Any] = {
        "APP": ok and answer.app == gold.app,
        "API": ok and answer.api == api_part(gold),
    }
    for metric, role in METRIC_ROLE.items():
        names = _role_names(task, gold, tools, role)
        if not any(k in names for k in gold.arguments):
            out[metric] = None
        else:
            out[metric] = pair_f1(answer.arguments, gold.arguments, names) if ok else 0.0
    return out


def slot_f1(judged: Sequence[tuple[Task, Answer]]) -> tuple[float | None, float | None]:
    """Micro F1 of APP and API over call slots (see :mod:`.paper`: the paper reports F1)."""
    scores: list[float | None] = []
    for level in ("app", "api"):
        tp = fp = fn = 0
        for task, answer in judged:
            called = answer.status == "ok"
            gold = task.gold[0] if task.gold else None
            want = None if gold is None else (gold.app if level == "app" else api_part(gold))
            got = answer.app if level == "app" else answer.api
            hit = called and gold is not None and got == want
            tp += hit
            fp += called and not hit
            fn += gold is not None and not hit
        scores.append(_frac(2 * tp, 2 * tp + fp + fn))
    return scores[0], scores[1]


def scenario_metrics(
    scenario: str,
    judged: Sequence[tuple[Task, Answer]],
    tools: Mapping[str, Tool],
) -> dict[str, Any]:
    """The APP, API and parameter scores of one scenario's judged tasks."""
    app_hits = api_hits = 0
    sums = dict.fromkeys(ALL_PARAM_METRICS, 0.0)
    counts = dict.fromkeys(ALL_PARAM_METRICS, 0)
    for task, answer in judged:
        verdict = task_verdict(task, answer, tools)
        app_hits += verdict["APP"]
        api_hits += verdict["API"]
        if not task.gold:
            continue
        for metric in METRIC_ROLE:
            if verdict[metric] is not None:
                counts[metric] += 1
                sums[metric] += verdict[metric]
    n = len(judged)
    out: dict[str, Any] = {"n": n, "APP": _frac(app_hits, n), "API": _frac(api_hits, n)}
    out["APP_F1"], out["API_F1"] = slot_f1(judged)
    metrics = PARAM_METRICS.get(scenario, ALL_PARAM_METRICS)
    for metric in metrics:
        out[metric] = _frac(sums[metric], counts[metric])
    for metric in metrics:
        out[f"{metric}_n"] = counts[metric]
    statuses = [a.status for _, a in judged]
    out |= {
        "no_call_gold": sum(1 for t, _ in judged if not t.gold),
        "parse_errors": statuses.count("parse_error"),
        "backend_errors": statuses.count("backend_error"),
        "missing": statuses.count("missing"),
        "no_calls": statuses.count("no_call"),
    }
    return out


def _as_prediction(prediction: Prediction | None, answer: Answer) -> Prediction | None:
    """The prediction with the scorer's reading of it (status, qualified calls)."""
    if prediction is None or answer.status == "backend_error":
        return prediction
    return prediction.model_copy(
        update={"status": answer.status, "calls": list(answer.calls), "error": answer.error}
    )


def score_toolspectrum(
    suite: Suite, tasks: Sequence[Task], predictions: Mapping[str, Prediction]
) -> dict[str, Any]:
    """ToolSpectrum's APP / API / RP / PP / OP per scenario plus petool's unified metrics.

    Args:
        suite: the suite (its tools give each API's argument roles).
        tasks: the tasks to score; a task without a prediction is scored wrong (``missing``).
        predictions: predictions by task id.

    Returns:
        The unified metrics with ``by_scenario`` added (and the unified block again under
        ``unified``); see the module docstring.
    """
    index = ToolIndex(suite.tools)
    judged = [(t, read_answer(predictions.get(t.id), index)) for t in tasks]
    groups: dict[str, list[tuple[Task, Answer]]] = {}
    for task, answer in judged:
        groups.setdefault(scenario_of(task), []).append((task, answer))
    order = [s for s in SCENARIOS if s in groups] + sorted(set(groups) - set(SCENARIOS))
    by_scenario = {s: scenario_metrics(s, groups[s], index.tools) for s in order}
    normalized: dict[str, Prediction] = {}
    for task, answer in judged:
        pred = _as_prediction(predictions.get(task.id), answer)
        if pred is not None:
            normalized[task.id] = pred
    unified = score_tasks(tasks, normalized, index.tools)
    return {**unified, "by_scenario": by_scenario, "unified": unified}


def task_verdicts(
    suite: Suite, tasks: Sequence[Task], predictions: Mapping[str, Prediction]
) -> dict[str, dict[str, Any]]:
    """The official judgement of each task: its scenario, how the answer was read, APP, API
    and the F1 of RP / PP / OP (see :func:`task_verdict`)."""
    index = ToolIndex(suite.tools)
    out: dict[str, dict[str, Any]] = {}
    for task in tasks:
        answer = read_answer(predictions.get(task.id), index)
        verdict = task_verdict(task, answer, index.tools)
        out[task.id] = {"scenario": scenario_of(task), "read_as": answer.status, **verdict}
    return out
