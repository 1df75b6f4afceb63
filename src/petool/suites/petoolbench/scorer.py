"""PEToolBench's official metrics: the scorer ``petoolbench``.

Reproduces ``calculate_scores`` of travis-xu/PEToolBench ``run_experiment.py`` (commit
37811396a41115e6a3b16e19927e4e4e054637ef; the function is unchanged at
e50c75e091f34eb88b29dc859be3bf427c3aabc8). For each result it searches the raw response with

    ``\\{.*"tool_name":\\s*".*?",\\s*"parameters":\\s*\\{.*?\\}\\}``

(Python ``re.search``, no flags), ``json.loads`` the match, and counts the tool right when the
gold ``tool_name`` ``==`` the answer's, the parameters right when the gold ``parameters`` dict
``==`` the answer's; both counts are divided by the number of results. This module runs the
same regular expression, the same ``json.loads`` and the same Python ``==``, so it gives the
same numbers, quirks included (each one departs from common sense; see
``docs/suites/petoolbench.md``):

1. One line only: ``.`` does not match a newline, so JSON spread over several lines is never
   extracted and counts wrong on both metrics; prose on *other* lines is harmless.
2. The match starts at the first ``{`` of the line: prose with a brace before the answer on the
   same line makes the extracted text invalid JSON (wrong on both).
3. The match ends at the first ``}}`` after ``"parameters": {``: parameters whose last value is
   a nested object (``{"a": {"b": 1}}}``), or a ``}}`` inside a string value, cut the JSON
   short (invalid, wrong on both) even when the answer is right.
4. Double-quoted keys in the order ``tool_name``, ``parameters``: single quotes (a Python dict)
   or another key order never match (wrong on both); extra keys after ``parameters`` break
   the ``}}`` ending.
5. Exact values with Python ``==``: case and list order matter, ``"10"`` differs from ``10``,
   but ``1 == 1.0 == true`` (JSON ``true`` equals ``1``); no numeric tolerance.
6. Parameter accuracy is independent of the tool: right parameters with a wrong tool count.
7. An empty response, no match or invalid JSON is wrong on both and stays in the denominator.
8. Denominator: the official one is the length of the results file (an entry whose API call
   failed is absent from it, so not counted). Through a petool suite every task of the mode
   counts and a missing prediction is wrong; the two agree on a complete results file.
   :func:`~petool.suites.petoolbench.native.score_petoolbench_results` scores a native file
   exactly as the official code does.
9. The official OpenAI path NFKC-normalises responses before saving them; the scorer itself
   does not, and neither does petool (no gold call of the test set changes under NFKC).
10. Where the official code would stop with ``KeyError`` (a matched object whose top level
    lacks ``tool_name`` or ``parameters``), petool counts that part wrong and goes on.
11. Text only: native ``tool_calls`` of a prediction are ignored (``Prediction.output`` is
    what is scored); a ``backend_error`` prediction counts as an empty response.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from petool.schema import HISTORY_MODES, Prediction, Suite, Task
from petool.scoring.unified import score_unified

OFFICIAL_PATTERN = re.compile(r'\{.*"tool_name":\s*".*?",\s*"parameters":\s*\{.*?\}\}')
"""The answer-extraction pattern of the official ``calculate_scores``, verbatim."""

Extraction = Literal["ok", "empty", "no_match", "invalid_json"]
EXTRACTIONS: tuple[Extraction, ...] = ("ok", "empty", "no_match", "invalid_json")


@dataclass(frozen=True)
class OfficialJudgement:
    """How the official code judges one response."""

    tool_correct: bool
    params_correct: bool
    extraction: Extraction


def official_search(text: str) -> re.Match[str] | None:
    r"""``OFFICIAL_PATTERN.search(text)``, the same match, without its quadratic worst case.

    The pattern starts ``\{.*``, and ``.`` does not cross a newline: every start position on
    one line reaches a subset of what the line's first ``{`` reaches, so if that one cannot
    match, no later ``{`` of the line can. Trying only each line's first ``{`` (left to right)
    therefore finds the leftmost match ``search`` finds, with one attempt per line instead of
    one per brace (1 MB of ``{`` took 335 s through ``search``; it takes milliseconds here).
    """
    if '"tool_name":' not in text:  # every match holds it
        return None
    start = 0
    while (brace := text.find("{", start)) != -1:
        match = OFFICIAL_PATTERN.match(text, brace)
        if match is not None:
            return match
        line_end = text.find("\n", brace)
        if line_end == -1:
            return None
        start = line_end + 1
    return None


def extract_answer(response: str | None) -> tuple[dict[str, Any] | None, Extraction]:
    """The answer object the official code extracts from a response, and how it went.

    Returns:
        ``(object, "ok")``, or ``(None, reason)`` with reason ``empty`` (falsy response),
        ``no_match`` (the pattern does not match) or ``invalid_json``.
    """
    if not response:
        return None, "empty"
    match = official_search(response)
    if match is None:
        return None, "no_match"
    try:
        value = json.loads(match.group(0))
    except (json.JSONDecodeError, RecursionError):
        return None, "invalid_json"
    if not isinstance(value, dict):  # cannot happen: the match starts with "{"
        return None, "invalid_json"
    return value, "ok"


def judge_response(response: str | None, gold_tool: Any, gold_parameters: Any) -> OfficialJudgement:
    """Judge one response against a gold call with the official rules.

    Args:
        response: the model's raw text.
        gold_tool: the gold ``tool_name``.
        gold_parameters: the gold ``parameters`` (compared with Python ``==``).

    Returns:
        Tool and parameter correctness and the extraction outcome.
    """
    answer, how = extract_answer(response)
    if answer is None:
        return OfficialJudgement(False, False, how)
    missing = object()
    tool_ok = answer.get("tool_name", missing) == gold_tool
    params_ok = answer.get("parameters", missing) == gold_parameters
    return OfficialJudgement(bool(tool_ok), bool(params_ok), how)


def _frac(num: int, den: int) -> float | None:
    return num / den if den else None


def official_block(judgements: Sequence[OfficialJudgement | None]) -> dict[str, Any]:
    """``n``, ``tool_accuracy``, ``parameter_accuracy`` and extraction counts of a group.

    A ``None`` judgement is a task without a prediction: it counts in ``n`` and is wrong.
    """
    n = len(judgements)
    judged = [j for j in judgements if j is not None]
    counts = {k: sum(j.extraction == k for j in judged) for k in EXTRACTIONS}
    return {
        "n": n,
        "tool_accuracy": _frac(sum(j.tool_correct for j in judged), n),
        "parameter_accuracy": _frac(sum(j.params_correct for j in judged), n),
        "extraction": {**counts, "missing": n - len(judged)},
    }


def _judge_task(task: Task, prediction: Prediction | None) -> OfficialJudgement | None:
    if prediction is None:
        return None
    gold_tool = task.gold[0].tool if task.gold else None
    gold_params = task.gold[0].arguments if task.gold else None
    text = "" if prediction.status == "backend_error" else prediction.output
    return judge_response(text, gold_tool, gold_params)


def score_petoolbench(
    suite: Suite, tasks: Sequence[Task], predictions: Mapping[str, Prediction]
) -> dict[str, Any]:
    """PEToolBench's official tool and parameter accuracy, per mode, plus the unified block.

    Args:
        suite: the suite (its tools feed the unified error taxonomy).
        tasks: the tasks to score; a task without a prediction counts wrong.
        predictions: predictions by task id; only ``output`` (raw text) is read officially.

    Returns:
        ``tool_accuracy``, ``parameter_accuracy`` and ``n`` over all tasks (official rules),
        ``overall`` (the same three), ``by_mode`` {mode: {n, tool_accuracy,
        parameter_accuracy, extraction}} (the per-setting numbers the paper reports),
        ``extraction`` counts, ``errors`` (the unified error taxonomy) and ``unified`` (the
        whole unified metrics object).
    """
    groups: dict[str, list[OfficialJudgement | None]] = {}
    for task in tasks:
        judged = _judge_task(task, predictions.get(task.id))
        groups.setdefault(task.user.history_mode or "none", []).append(judged)
    order = [*HISTORY_MODES, "none"]
    by_mode = {m: official_block(groups[m]) for m in order if m in groups}
    total = official_block([j for m in order for j in groups.get(m, [])])
    unified = score_unified(suite, tasks, predictions)
    return {
        "n": total["n"],
        "tool_accuracy": total["tool_accuracy"],
        "parameter_accuracy": total["parameter_accuracy"],
        "overall": {k: total[k] for k in ("n", "tool_accuracy", "parameter_accuracy")},
        "by_mode": by_mode,
        "extraction": total["extraction"],
        "errors": unified["errors"],
        "unified": unified,
    }


def task_verdicts(
    suite: Suite, tasks: Sequence[Task], predictions: Mapping[str, Prediction]
) -> dict[str, dict[str, Any]]:
    """The official judgement of each task: tool and parameters right, how extraction went
    (a missing prediction: both wrong, extraction ``missing``)."""
    out: dict[str, dict[str, Any]] = {}
    for task in tasks:
        judged = _judge_task(task, predictions.get(task.id))
        if judged is None:
            out[task.id] = {"tool": False, "parameters": False, "extraction": "missing"}
        else:
            out[task.id] = {
                "tool": judged.tool_correct,
                "parameters": judged.params_correct,
                "extraction": judged.extraction,
            }
    return out
