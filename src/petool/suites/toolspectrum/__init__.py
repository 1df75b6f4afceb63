"""ToolSpectrum (Cheng et al., ACL Findings 2025, arXiv 2505.13176): the ``toolspectrum`` suite.

Importing this package registers everything the benchmark provides, under ``toolspectrum``:

* the suite loader (:func:`load_toolspectrum`, :mod:`.loader`; the toolset is read by
  :mod:`.toolset`, the scenarios described in :mod:`.scenarios`);
* the prompt style (:func:`render_toolspectrum`, :mod:`.prompt`): the benchmark's own
  templates, placeholders filled;
* the scorer (:func:`score_toolspectrum`, :mod:`.scorer`): APP, API, RP, PP, OP per scenario;
* the paper's published numbers for ``--compare-paper`` (:mod:`.paper`).

The benchmark's own task fields (scenario, template, ...) are typed in :mod:`.meta`. See
``docs/suites/toolspectrum.md``.
"""

from petool.prompts.registry import register_prompt_style
from petool.scoring.registry import register_scorer, task_verdicts
from petool.suites.paper import paper_registry
from petool.suites.registry import register_suite
from petool.suites.toolspectrum.loader import (
    API_FILE,
    DATA_FILES,
    DESCRIPTION,
    NAME,
    PROMPT_FILES,
    REQUIRED_FILES,
    load_scenario,
    load_toolspectrum,
)
from petool.suites.toolspectrum.paper import TOOLSPECTRUM_PAPER, paper_numbers
from petool.suites.toolspectrum.prompt import render_prompt, render_toolspectrum
from petool.suites.toolspectrum.scenarios import SCENARIO_ROLES, SCENARIOS
from petool.suites.toolspectrum.scorer import (
    ToolIndex,
    pair_f1,
    read_answer,
    score_toolspectrum,
    value_text,
)
from petool.suites.toolspectrum.scorer import task_verdicts as toolspectrum_task_verdicts
from petool.suites.toolspectrum.toolset import api_name, load_toolset, native_toolset, tool_name

register_suite(NAME, DESCRIPTION)(load_toolspectrum)
register_prompt_style(NAME)(render_toolspectrum)
register_scorer(NAME)(score_toolspectrum)
task_verdicts.register(NAME)(toolspectrum_task_verdicts)
paper_registry.register(NAME)(paper_numbers)

__all__ = [
    "API_FILE",
    "DATA_FILES",
    "NAME",
    "PROMPT_FILES",
    "REQUIRED_FILES",
    "SCENARIOS",
    "SCENARIO_ROLES",
    "TOOLSPECTRUM_PAPER",
    "ToolIndex",
    "api_name",
    "load_scenario",
    "load_toolset",
    "load_toolspectrum",
    "native_toolset",
    "pair_f1",
    "read_answer",
    "render_prompt",
    "render_toolspectrum",
    "score_toolspectrum",
    "tool_name",
    "value_text",
]
