"""PEToolBench (PEToolLLM, Xu et al., ACL 2025, arXiv 2502.18980): the ``petoolbench`` suite.

Importing this package registers everything the benchmark provides, under ``petoolbench``:

* the suite loader (:func:`load_petoolbench`, :mod:`.loader`; the test files are found and
  read by :mod:`.files`, the structure inside the rendered prompts recovered by
  :mod:`.prompt_structure` and :mod:`.tools`);
* the official scorer (:func:`score_petoolbench`, :mod:`.scorer`), which reproduces the
  authors' ``calculate_scores`` to the digit;
* the reader of the authors' results JSON for ``petool score`` (:mod:`.native`), and the
  standalone scorer of such a file (its own gold calls, no suite data needed);
* the paper's published numbers for ``--compare-paper`` (:mod:`.paper`).

The prompt style is petool's ``faithful`` (the authors' rendered system prompt, verbatim).
See ``docs/suites/petoolbench.md``.
"""

from petool.scoring.registry import register_scorer, task_verdicts
from petool.suites.native import native_readers, standalone_scorers
from petool.suites.paper import paper_registry
from petool.suites.petoolbench.files import read_json_document, read_llamafactory_file
from petool.suites.petoolbench.loader import (
    DESCRIPTION,
    NAME,
    load_files,
    load_petoolbench,
    task_id,
    tasks_from_entries,
)
from petool.suites.petoolbench.modes import CODE_OF_MODE, MODE_CODES, PROMPT_KEYS
from petool.suites.petoolbench.native import (
    is_petoolbench_results,
    read_native,
    read_petoolbench_results,
    resolve_mode,
    score_petoolbench_results,
)
from petool.suites.petoolbench.paper import paper_numbers
from petool.suites.petoolbench.prompt_structure import detect_mode, parse_prompt
from petool.suites.petoolbench.scorer import (
    OFFICIAL_PATTERN,
    OfficialJudgement,
    extract_answer,
    judge_response,
    official_block,
    score_petoolbench,
)
from petool.suites.petoolbench.scorer import task_verdicts as petoolbench_task_verdicts
from petool.suites.registry import register_suite

register_suite(NAME, DESCRIPTION)(load_petoolbench)
register_scorer(NAME)(score_petoolbench)
task_verdicts.register(NAME)(petoolbench_task_verdicts)
native_readers.register(NAME)(read_native)
standalone_scorers.register(NAME)(score_petoolbench_results)
paper_registry.register(NAME)(paper_numbers)

__all__ = [
    "CODE_OF_MODE",
    "MODE_CODES",
    "NAME",
    "OFFICIAL_PATTERN",
    "PROMPT_KEYS",
    "OfficialJudgement",
    "detect_mode",
    "extract_answer",
    "is_petoolbench_results",
    "judge_response",
    "load_files",
    "load_petoolbench",
    "official_block",
    "paper_numbers",
    "parse_prompt",
    "read_json_document",
    "read_llamafactory_file",
    "read_petoolbench_results",
    "resolve_mode",
    "score_petoolbench",
    "score_petoolbench_results",
    "task_id",
    "tasks_from_entries",
]
