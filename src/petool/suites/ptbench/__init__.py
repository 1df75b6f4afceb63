"""PTBench (Huang et al., arXiv 2505.04072): the benchmark's face.

Importing this package registers everything PTBench provides, under the name ``ptbench``:
the suite loader, the official scorer, the prompt style, the reader of the authors'
``generation.jsonl`` files and the paper's numbers. Its parts, one job each:

* :mod:`.loader` — the two test splits' ``data.json`` as a suite;
* :mod:`.tools` — tools read from a record's ``tools`` field;
* :mod:`.meta` — PTBench's own task fields, typed (index, native answer, ...);
* :mod:`.prompt` — PTBench's prompt and answer format;
* :mod:`.answer` — the official answer reader, over ``ast.parse`` (never evaluated);
* :mod:`.scorer` — the official metrics;
* :mod:`.native` — the authors' output files as predictions;
* :mod:`.paper` — the published numbers.

See ``docs/suites/ptbench.md``.
"""

from __future__ import annotations

from petool.prompts.registry import register_prompt_style
from petool.scoring.registry import register_scorer, task_verdicts
from petool.suites.native import native_readers
from petool.suites.paper import paper_registry
from petool.suites.ptbench.answer import PTBenchFormatError, parse_answer
from petool.suites.ptbench.loader import DESCRIPTION, NAME, load_ptbench
from petool.suites.ptbench.native import read_generation, read_native
from petool.suites.ptbench.paper import paper_numbers
from petool.suites.ptbench.prompt import render_answer, render_ptbench
from petool.suites.ptbench.scorer import score_ptbench
from petool.suites.ptbench.scorer import task_verdicts as ptbench_task_verdicts
from petool.suites.registry import register_suite

register_suite(NAME, DESCRIPTION)(load_ptbench)
register_scorer(NAME)(score_ptbench)
task_verdicts.register(NAME)(ptbench_task_verdicts)
register_prompt_style(NAME)(render_ptbench)
native_readers.register(NAME)(read_native)
paper_registry.register(NAME)(paper_numbers)

__all__ = [
    "PTBenchFormatError",
    "load_ptbench",
    "paper_numbers",
    "parse_answer",
    "read_generation",
    "read_native",
    "render_answer",
    "render_ptbench",
    "score_ptbench",
]
