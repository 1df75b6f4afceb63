"""Per-task judgement: is the tool right, are the parameters right, and if not, why.

Every wrong prediction gets exactly one label of :data:`ERROR_LABELS`, checked in this order:

``backend_error``
    the backend failed (status ``backend_error``).
``invalid_format``
    the output could not be parsed (status ``parse_error``), or there is no prediction at all
    for the task (status ``missing``).
``missed_call``
    the model abstained (status ``no_call``) but the gold answer is a call.
``unwarranted_call``
    the gold answer is to abstain but the model made a call.
``wrong_call_count``
    the gold answer has several calls and the prediction has a different number of calls.
``hallucinated_tool``
    a predicted tool is not among the task's candidates (nor a gold tool). When a task lists
    no candidates, the suite's toolset is used instead; with neither, this label is not used.
``preference_mismatch``
    a functionally right but non-preferred tool: the predicted tool is in
    ``task.meta.functional_group``, or, when that list is empty and tools are given, it has the
    same non-empty ``functionality`` text as the gold tool.
``functionality_mismatch``
    another candidate, which does a different job.
``wrong_parameters``
    the tool is right, the parameters are not.

How calls are judged (shared with :mod:`petool.scoring.unified`):

* A prediction abstains when its status is ``no_call`` (a status ``ok`` with an empty list of
  calls is the same answer: the schema's one encoding of abstention). ``parse_error``,
  ``backend_error`` and a missing prediction never abstain, so they never match a gold "no call".
* Tool: for one gold call, the first predicted call's tool must equal it (exact name); for
  several gold calls, the predicted tools must equal the gold tools as a multiset.
* Parameters (judged independently of the tool name, as PEToolBench's official metric does):
  for one gold call, the first predicted call's arguments must match it exactly
  (:func:`~petool.scoring.values.arguments_match`); for several, the call counts must be equal
  and each gold call must match the predicted call aligned with it. Alignment pairs each gold
  call with the first unused predicted call of the same tool, then leftovers by position.
* For a gold "no call", tool and parameter correctness are both the abstention correctness.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Literal, TypedDict

from petool.schema import Prediction, Task, Tool, ToolCall
from petool.scoring.values import argument_accepted, arguments_match

ErrorLabel = Literal[
    "backend_error",
    "invalid_format",
    "missed_call",
    "unwarranted_call",
    "wrong_call_count",
    "hallucinated_tool",
    "preference_mismatch",
    "functionality_mismatch",
    "wrong_parameters",
]
ERROR_LABELS: tuple[ErrorLabel, ...] = (
    "backend_error",
    "invalid_format",
    "missed_call",
    "unwarranted_call",
    "wrong_call_count",
    "hallucinated_tool",
    "preference_mismatch",
    "functionality_mismatch",
    "wrong_parameters",
)

Status = Literal["ok", "no_call", "parse_error", "backend_error", "missing"]


class TaskOutcome(TypedDict):
    """The judgement of one task (a plain dict at runtime; JSON-able)."""

    id: str
    status: Status
    tool_correct: bool
    params_correct: bool
    call_correct: bool
    error: ErrorLabel | None
    gold_arguments: int
    correct_arguments: int
    predicted_arguments: int
    correct_predicted_arguments: int


def prediction_status(prediction: Prediction | None) -> Status:
    """The status of a prediction: ``missing`` for None, ``no_call`` for ok without calls."""
    if prediction is None:
        return "missing"
    if prediction.status == "ok" and not prediction.calls:
        return "no_call"
    return prediction.status


def _calls(prediction: Prediction | None) -> list[ToolCall]:
    """The calls that count: only a prediction with status ``ok`` has any."""
    if prediction is None or prediction.status != "ok":
        return []
    return list(prediction.calls)


def align_calls(
    predicted: Sequence[ToolCall], gold: Sequence[ToolCall]
) -> tuple[list[tuple[ToolCall | None, ToolCall]], list[ToolCall]]:
    """Pair each gold call with a predicted call.

    One gold call pairs with the first predicted call (the others are ignored). Several gold
    calls pair with the first unused predicted call of the same tool, then with the remaining
    predicted calls by position.

    Returns:
        The ``(predicted or None, gold)`` pairs in gold order, and the unpaired predicted calls
        (always empty for one gold call).
    """
    if not gold:
        return [], list(predicted)
    if len(gold) == 1:
        return [(predicted[0] if predicted else None, gold[0])], []
    unused = list(range(len(predicted)))
    chosen: list[int | None] = []
    for g in gold:
        index = next((i for i in unused if predicted[i].tool == g.tool), None)
        if index is not None:
            unused.remove(index)
        chosen.append(index)
    for k, index in enumerate(chosen):
        if index is None and unused:
            chosen[k] = unused.pop(0)
    paired = zip(chosen, gold, strict=True)
    pairs = [(predicted[i] if i is not None else None, g) for i, g in paired]
    return pairs, [predicted[i] for i in unused]


def tool_correct(task: Task, prediction: Prediction | None) -> bool:
    """Whether the predicted tool(s) are right (abstention correctness for a gold no-call)."""
    if not task.gold:
        return prediction_status(prediction) == "no_call"
    calls = _calls(prediction)
    if not calls:
        return False
    if len(task.gold) == 1:
        return calls[0].tool == task.gold[0].tool
    return Counter(c.tool for c in calls) == Counter(g.tool for g in task.gold)


def params_correct(task: Task, prediction: Prediction | None) -> bool:
    """Whether all gold calls' arguments are matched exactly (tool names not compared)."""
    if not task.gold:
        return prediction_status(prediction) == "no_call"
    calls = _calls(prediction)
    if not calls or (len(task.gold) > 1 and len(calls) != len(task.gold)):
        return False
    pairs, _ = align_calls(calls, task.gold)
    return all(p is not None and arguments_match(p, g) for p, g in pairs)


def argument_counts(task: Task, prediction: Prediction | None) -> tuple[int, int, int, int]:
    """Per-argument counts: gold, gold matched, predicted, predicted right.

    Only tasks with a gold call count. A predicted argument is right when the aligned gold
    call accepts its value; arguments of unpaired predicted calls are all wrong.
    """
    if not task.gold:
        return 0, 0, 0, 0
    pairs, extras = align_calls(_calls(prediction), task.gold)
    gold_n = gold_hit = pred_n = pred_hit = 0
    for pred, gold in pairs:
        gold_n += len(gold.arguments)
        if pred is None:
            continue
        gold_hit += sum(argument_accepted(pred, gold, name) for name in gold.arguments)
        pred_n += len(pred.arguments)
        pred_hit += sum(argument_accepted(pred, gold, name) for name in pred.arguments)
    pred_n += sum(len(extra.arguments) for extra in extras)
    return gold_n, gold_hit, pred_n, pred_hit


def _wrong_tools(task: Task, calls: Sequence[ToolCall]) -> tuple[list[str], list[str]]:
    """The predicted tools that match no gold tool, and the gold tools left unmatched."""
    counted = calls[:1] if len(task.gold) == 1 else calls
    extra = Counter(c.tool for c in counted) - Counter(g.tool for g in task.gold)
    missing = Counter(g.tool for g in task.gold) - Counter(c.tool for c in counted)
    return list(extra.elements()), list(missing.elements())


def _same_job(
    tool: str, gold_tools: Sequence[str], task: Task, tools: Mapping[str, Tool] | None
) -> bool:
    """Whether ``tool`` does the job of one of the unmatched ``gold_tools``.

    With a functional group: ``tool`` is in it and (for several gold calls) so is one of
    ``gold_tools``. Without one: the same non-empty ``functionality`` text (casefolded).
    """
    group = task.meta.functional_group
    if group:
        return tool in group and (len(task.gold) == 1 or any(g in group for g in gold_tools))
    if not tools or tool not in tools:
        return False
    text = tools[tool].functionality.strip().casefold()
    return bool(text) and any(
        g in tools and tools[g].functionality.strip().casefold() == text for g in gold_tools
    )


def _classify(
    task: Task,
    prediction: Prediction | None,
    tools: Mapping[str, Tool] | None,
    tool_ok: bool,
    params_ok: bool,
) -> ErrorLabel | None:
    if tool_ok and params_ok:
        return None
    status = prediction_status(prediction)
    if status == "backend_error":
        return "backend_error"
    if status in ("parse_error", "missing"):
        return "invalid_format"
    if status == "no_call":
        return "missed_call"
    if not task.gold:
        return "unwarranted_call"
    calls = _calls(prediction)
    if len(task.gold) > 1 and len(calls) != len(task.gold):
        return "wrong_call_count"
    wrong, unmatched = _wrong_tools(task, calls)
    known = set(task.candidates) or (set(tools) if tools else set())
    if known and any(t not in known for t in wrong):
        return "hallucinated_tool"
    if not tool_ok:
        if wrong and all(_same_job(t, unmatched, task, tools) for t in wrong):
            return "preference_mismatch"
        return "functionality_mismatch"
    return "wrong_parameters"


def classify_error(
    task: Task, prediction: Prediction | None, tools: Mapping[str, Tool] | None = None
) -> ErrorLabel | None:
    """The error label of a prediction (see the module docstring), or None when it is right.

    Args:
        task: the task with its gold answer, candidates and meta.
        prediction: the prediction, or None when the task has none (counted as ``missing``).
        tools: the suite's tools by name, used to compare ``functionality`` texts when the task
            has no ``functional_group`` (and to detect hallucinated tools without candidates).

    Returns:
        One label of :data:`ERROR_LABELS`, or None for a correct call (or correct abstention).
    """
    return _classify(
        task, prediction, tools, tool_correct(task, prediction), params_correct(task, prediction)
    )


def task_outcome(
    task: Task, prediction: Prediction | None, tools: Mapping[str, Tool] | None = None
) -> TaskOutcome:
    """Everything the metrics and reports need about one task.

    Args:
        task: the task.
        prediction: its prediction, or None when missing.
        tools: the suite's tools by name (see :func:`classify_error`).

    Returns:
        A dict with ``id``, ``status``, ``tool_correct``, ``params_correct``, ``call_correct``,
        ``error`` (a label or None) and the per-argument counts of :func:`argument_counts`.
    """
    tool_ok = tool_correct(task, prediction)
    params_ok = params_correct(task, prediction)
    gold_n, gold_hit, pred_n, pred_hit = argument_counts(task, prediction)
    return TaskOutcome(
        id=task.id,
        status=prediction_status(prediction),
        tool_correct=tool_ok,
        params_correct=params_ok,
        call_correct=tool_ok and params_ok,
        error=_classify(task, prediction, tools, tool_ok, params_ok),
        gold_arguments=gold_n,
        correct_arguments=gold_hit,
        predicted_arguments=pred_n,
        correct_predicted_arguments=pred_hit,
    )
