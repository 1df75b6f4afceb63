"""PTBench's official metrics, reproduced exactly: the ``ptbench`` scorer (:func:`score_ptbench`).

Source: hyfshadow/PTBench at commit 9678ecc80b3b39fa9694f25662c44bf4245f0486 —
``src/test_acc.py`` (``include``, ``evaluate``, ``cal_acc``), ``src/test_error.py``
(``error_analysis``, ``cal_error``), ``src/parse.py`` (``ast_parse``, reproduced without
``eval`` in :mod:`.answer`) and ``src/overall.py`` (``conclude``).

Per split (``untrained_user``, ``trained_user``), over its ``n`` samples:

* ``format``: share of samples whose answer parsed and was judged without an exception;
  ``platforms``, ``tool_names``, ``tool_param_names``, ``tool_param_values``, ``overall``:
  shares of all ``n`` samples (a format failure scores 0 on all of them);
* ``query_params`` / ``profile_params``: predicted parameters whose value is accepted and
  whose name is among the sample's ``query_params`` / ``profile_params``, divided by the
  number of such gold parameters over *all* samples (``null`` when there are none: their
  code divides by zero);
* error counts over the parsed samples: ``func_wrong_error`` (a gold function missing *and*
  an extra function), ``func_missing_error`` (an extra function, no gold one missing: their
  code calls it "lack" from the gold side), ``func_excessive_error`` (a gold function missing,
  no extra one), ``param_missing_error`` / ``param_excessive_error`` (functions right; an
  extra predicted / a missing gold parameter, again named from the gold side), ``value_error``
  (names right, a value rejected); plus ``format_errors`` (computed, not written by theirs).

Quirks kept (each departs from common sense; see ``docs/suites/ptbench.md``):

* Any exception while judging a sample is caught by their bare ``except``: the sample is a
  format failure (0 on every column, one ``format_errors``) even when its platform and
  functions were right.
* Value matching (``include(pred, accepted)``): ``"true"``/``"false"`` (strings, or bare names)
  are read as JSON booleans; a bool must be in the accepted list (``True == 1``); a string
  matches case-insensitively, and *raises* (format failure) when an accepted value is not a
  string (``"True"`` against ``[true]``); a list matches as a case-insensitive *set* against
  each accepted list, and raises on non-string items; an ``int`` is compared within ±0.01 to
  the *first* accepted value only; a float, None, dict or tuple must equal an accepted value.
* A predicted function is matched to the first gold function of that name and vice versa;
  the platform is judged apart from the functions; a duplicated predicted function counts
  its parameters twice, so ``query_params`` can exceed 1.
* The overall numbers are the sample-weighted mean of the two splits (theirs hard-codes the
  weights 609 and 474, the released split sizes; here the sizes of the scored splits, which
  is the same on the full test set), and the error counts are summed.

Answers not in PTBench's format: a prediction whose raw output is one JSON value (optionally in
a code fence) or empty with native tool calls — petool's unified answer — is scored from its
parsed calls, turned into ``(platform, [{function: arguments}])``; any other text is scored
by PTBench's parser alone, and a no-call is a format failure (PTBench cannot abstain). The
unified block (``unified``) re-reads outputs that are in PTBench's format so that their calls
carry the platform (``"<platform>.<function>"``).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from petool.schema import Prediction, Suite, Task, Tool
from petool.scoring.unified import score_unified
from petool.suites.ptbench.answer import Answer, PTBenchFormatError, parse_answer
from petool.suites.ptbench.meta import SOURCE, ptbench_fields
from petool.suites.ptbench.native import (
    answer_to_calls,
    calls_to_answer,
    gold_answer,
    is_unified_answer,
)

ACC_KEYS = (
    "format",
    "platforms",
    "tool_names",
    "tool_param_names",
    "tool_param_values",
    "query_params",
    "profile_params",
    "overall",
)
ERROR_KEYS = (
    "func_wrong_error",
    "func_missing_error",
    "func_excessive_error",
    "param_missing_error",
    "param_excessive_error",
    "value_error",
)
OVERALL = "overall"


def include(pred: Any, accepted: Any) -> bool:
    """Whether a predicted value is accepted, by PTBench's ``include`` (raises where it does)."""
    if pred == "true" or pred == "false":
        return (pred == "true") in accepted
    if isinstance(pred, bool):
        return pred in accepted
    if isinstance(pred, str):
        return pred.lower() in [value.lower() for value in accepted]
    if isinstance(pred, list):
        wanted = {item.lower() for item in pred}
        return wanted in [{item.lower() for item in value} for value in accepted]
    if isinstance(pred, int):
        first = accepted[0]
        return pred <= first + 0.01 and pred >= first - 0.01
    return pred in accepted


def _name(func: Mapping[Any, Any]) -> Any:
    return list(func.keys())[0]  # noqa: RUF015 - IndexError on {} as theirs


def _params(func: Mapping[Any, Any]) -> Any:
    return list(func.values())[0]  # noqa: RUF015 - IndexError on {} as theirs


def judge_accuracy(
    gold: Any, pred: Answer, query_params: Sequence[str], profile_params: Sequence[str]
) -> tuple[int, int, int, int, int, int, int]:
    """PTBench's ``evaluate``: overall, platform, names, param names, values, query, profile.

    Raises:
        Exception: whatever theirs raises (the caller counts the sample as a format failure).
    """
    gold_platform, gold_funcs = gold
    pred_platform, pred_funcs = pred
    overall = platform = names = param_names = values = 1
    query_hits = profile_hits = 0
    if gold_platform != pred_platform:
        platform = overall = 0
    gold_names = [_name(f) for f in gold_funcs]
    for func in pred_funcs:
        name = _name(func)
        if name not in gold_names:
            names = param_names = values = overall = 0
            continue
        gold_params = gold_funcs[gold_names.index(name)][name]
        gold_param_names = list(gold_params.keys())
        for param, value in _params(func).items():
            if param not in gold_param_names:
                param_names = values = overall = 0
            elif include(value, gold_params[param]):
                if param in query_params:
                    query_hits += 1
                elif param in profile_params:
                    profile_hits += 1
            else:
                values = overall = 0
    pred_names = [_name(f) for f in pred_funcs]
    for func in gold_funcs:
        name = _name(func)
        if name not in pred_names:
            names = param_names = values = overall = 0
            continue
        pred_params = pred_funcs[pred_names.index(name)][name]
        pred_param_names = list(pred_params.keys())
        for param, accepted in _params(func).items():
            if param not in pred_param_names:
                param_names = values = overall = 0
            elif not include(pred_params[param], accepted):
                values = overall = 0
    return overall, platform, names, param_names, values, query_hits, profile_hits


def judge_errors(gold: Any, pred: Answer) -> dict[str, int]:
    """PTBench's ``error_analysis`` folded into the six counted categories (0 or 1 each).

    Raises:
        Exception: whatever theirs raises (the caller counts a format error).
    """
    _, gold_funcs = gold
    _, pred_funcs = pred
    gold_func_absent = pred_func_extra = gold_param_absent = pred_param_extra = wrong_value = 0
    pred_names = [_name(f) for f in pred_funcs]
    for func in gold_funcs:
        name = _name(func)
        if name not in pred_names:
            gold_func_absent = 1
            continue
        pred_params = pred_funcs[pred_names.index(name)][name]
        pred_param_names = list(pred_params.keys())
        for param, accepted in _params(func).items():
            if param not in pred_param_names:
                gold_param_absent = 1
            elif not include(pred_params[param], accepted):
                wrong_value = 1
    gold_names = [_name(f) for f in gold_funcs]
    for func in pred_funcs:
        name = _name(func)
        if name not in gold_names:
            pred_func_extra = 1
            continue
        gold_params = gold_funcs[gold_names.index(name)][name]
        gold_param_names = list(gold_params.keys())
        for param, value in _params(func).items():
            if param in gold_param_names:
                include(value, gold_params[param])  # called for its exceptions, as theirs does
            else:
                pred_param_extra = 1
    func_error = gold_func_absent or pred_func_extra
    param_error = gold_param_absent or pred_param_extra
    return {
        "func_wrong_error": int(bool(pred_func_extra and gold_func_absent)),
        "func_missing_error": int(bool(pred_func_extra and not gold_func_absent)),
        "func_excessive_error": int(bool(gold_func_absent and not pred_func_extra)),
        "param_missing_error": int(bool(pred_param_extra and not func_error)),
        "param_excessive_error": int(bool(gold_param_absent and not func_error)),
        "value_error": int(bool(wrong_value and not func_error and not param_error)),
    }


def official_gold(task: Task) -> tuple[Any, list[str], list[str]]:
    """What the official scorer judges a task by: the native answer, query and profile params
    (rebuilt from the typed gold and meta for a task without them; see :mod:`.meta`)."""
    native = ptbench_fields(task).native
    if native.answer is None:
        return gold_answer(task.gold), task.meta.query_params, task.meta.profile_params
    query = task.meta.query_params if native.query_params is None else native.query_params
    profile = task.meta.profile_params if native.profile_params is None else native.profile_params
    return native.answer, query, profile


def read_prediction(
    prediction: Prediction | None, tools: Mapping[str, Tool], platforms: Collection[str]
) -> tuple[Answer | None, bool]:
    """The answer the official code judges (None: a format failure), and whether the raw
    output was in PTBench's own format (False: absent, or converted from petool's answer)."""
    if prediction is None or prediction.status == "backend_error":
        return None, False
    try:
        return parse_answer(prediction.output), True
    except PTBenchFormatError:
        pass
    if prediction.status == "ok" and prediction.calls and is_unified_answer(prediction):
        return calls_to_answer(prediction.calls, tools, platforms), False
    return None, False


def _ratio(num: float, den: int) -> float | None:
    return num / den if den else None


def score_split(tasks: Sequence[Task], answers: Mapping[str, Answer | None]) -> dict[str, Any]:
    """The official numbers of one split (``cal_acc`` and ``cal_error``)."""
    acc_keys = ("overall", *ACC_KEYS[1:5], "query_hits", "profile_hits")
    sums = dict.fromkeys(acc_keys, 0)
    errors = dict.fromkeys(ERROR_KEYS, 0)
    parsed = format_errors = query_total = profile_total = 0
    for task in tasks:
        gold, query_params, profile_params = official_gold(task)
        query_total += len(query_params)
        profile_total += len(profile_params)
        answer = answers.get(task.id)
        if answer is None:
            format_errors += 1
            continue
        try:  # theirs: a bare `except Exception` around parsing and judging
            result = judge_accuracy(gold, answer, query_params, profile_params)
        except Exception:  # reproduces the official scorer's catch-all
            pass
        else:
            parsed += 1
            for key, value in zip(acc_keys, result, strict=True):
                sums[key] += value
        try:
            found = judge_errors(gold, answer)
        except Exception:  # reproduces the official scorer's catch-all
            format_errors += 1
        else:
            for key, value in found.items():
                errors[key] += value
    n = len(tasks)
    out: dict[str, Any] = {"n": n, "format": _ratio(parsed, n)}
    out.update({key: _ratio(sums[key], n) for key in ACC_KEYS[1:5]})
    out["query_params"] = _ratio(sums["query_hits"], query_total)
    out["profile_params"] = _ratio(sums["profile_hits"], profile_total)
    out["overall"] = _ratio(sums["overall"], n)
    return {**out, **errors, "format_errors": format_errors}


def combine_splits(by_split: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The overall numbers: sample-weighted means of the splits, summed error counts."""
    parts = list(by_split.values())
    out: dict[str, Any] = {"n": sum(p["n"] for p in parts)}
    for key in ACC_KEYS:
        known = [p for p in parts if p[key] is not None and p["n"]]
        weight = sum(p["n"] for p in known)
        out[key] = sum(p[key] * p["n"] for p in known) / weight if weight else None
    for key in (*ERROR_KEYS, "format_errors"):
        out[key] = sum(p[key] for p in parts)
    return out


def unified_view(prediction: Prediction, answer: Answer | None, native: bool) -> Prediction:
    """A prediction in PTBench's format re-read so that its calls carry the platform."""
    if answer is None or not native:
        return prediction
    calls = answer_to_calls(answer)
    status = "ok" if calls else "no_call"
    return prediction.model_copy(update={"status": status, "calls": calls, "error": None})


def score_ptbench(
    suite: Suite, tasks: Sequence[Task], predictions: Mapping[str, Prediction]
) -> dict[str, Any]:
    """PTBench's official numbers for ``tasks``, per split and overall, plus petool's unified ones.

    Args:
        suite: the PTBench suite (its tools name the platforms).
        tasks: the tasks to score, in their split's order; a task without a prediction is a
            format failure, as a missing line is for the official code.
        predictions: predictions by task id.

    Returns:
        ``{"split", "n", <the 8 official columns>, <the 6 error counts>, "format_errors",
        "by_split": {SPLIT: {...}, "overall": {...}}, "unified": {...}, "official": {...}}``;
        the top-level numbers are those of the one split scored, or the overall ones when
        several splits are scored.
    """
    tools = suite.tool_index()
    platforms = {t.app for t in suite.tools if t.app}
    answers: dict[str, Answer | None] = {}
    views: dict[str, Prediction] = dict(predictions)
    converted = 0
    for task in tasks:
        prediction = predictions.get(task.id)
        answer, native = read_prediction(prediction, tools, platforms)
        answers[task.id] = answer
        converted += answer is not None and not native
        if prediction is not None:
            views[task.id] = unified_view(prediction, answer, native)
    splits: dict[str, list[Task]] = {}
    for task in tasks:
        splits.setdefault(task.meta.split, []).append(task)
    by_split: dict[str, Any] = {name: score_split(group, answers) for name, group in splits.items()}
    by_split[OVERALL] = combine_splits(by_split)
    single = next(iter(splits)) if len(splits) == 1 else None
    top = by_split[single if single is not None else OVERALL]
    return {
        "split": single if single is not None else "all",
        **top,
        "by_split": by_split,
        "unified": score_unified(suite, tasks, views),
        "official": {"source": SOURCE, "scored_from_petool_answers": converted},
    }


def task_verdicts(
    suite: Suite, tasks: Sequence[Task], predictions: Mapping[str, Prediction]
) -> dict[str, dict[str, Any]]:
    """The official judgement of each task: whether it was read (``format``), the 0/1 of
    overall, platform, tool names, parameter names and values, the query and profile
    parameter hits, and the error kinds it counts (as ``cal_acc`` / ``cal_error`` judge it)."""
    tools = suite.tool_index()
    platforms = {t.app for t in suite.tools if t.app}
    keys = ("overall", *ACC_KEYS[1:5], "query_hits", "profile_hits")
    out: dict[str, dict[str, Any]] = {}
    for task in tasks:
        answer, _ = read_prediction(predictions.get(task.id), tools, platforms)
        gold, query_params, profile_params = official_gold(task)
        row: dict[str, Any] = {"format": answer is not None}
        if answer is not None:
            try:
                result = judge_accuracy(gold, answer, query_params, profile_params)
            except Exception:  # the official catch-all: not counted as parsed
                row["format"] = False
            else:
                row |= dict(zip(keys, result, strict=True))
            try:
                found = judge_errors(gold, answer)
            except Exception:  # the official catch-all: a format error
                row["format"] = False
            else:
                row["errors"] = [kind for kind, count in found.items() if count]
        out[task.id] = row
    return out
