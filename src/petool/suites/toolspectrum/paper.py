"""ToolSpectrum's published numbers (Cheng et al., ACL Findings 2025, arXiv 2505.13176).

Table 3, all 19 models, transcribed from the paper's image (``asset/main_result.jpg`` at commit
83585dd): Profile (APP, API, RP, PP), Environment (APP, API, RP, OP) and Profile & Environment
(APP, API, RP, **OP**). The caption says each number is an **F1 score**; the official scoring
code is not published. petool reads a run the same way where it can:

* ``APP_F1`` / ``API_F1`` — micro F1 over call slots: a predicted call whose app (API) is the
  gold one is a true positive, any other predicted call a false positive (a call made where the
  gold answer is no call included), a gold call not matched a false negative;
  ``F1 = 2 TP / (2 TP + FP + FN)``. petool's ``APP`` / ``API`` stay accuracies (a right
  abstention counts as right), beside them.
* ``RP`` / ``PP`` / ``OP`` — already F1: the mean over tasks of the F1 of the predicted against
  the gold (name, value) pairs of that kind.

So ``--compare-paper`` places the paper's F1 beside petool's F1 reading, labelled as such.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from petool.suites.paper import SCALE

#: Table 3 as transcribed (model, group, then the 12 cells).
TABLE3_CSV = """\
model,group,profile_APP,profile_API,profile_RP,profile_PP,env_APP,env_API,env_RP,env_OP,pe_APP,pe_API,pe_RP,pe_OP
Qwen2.5-3B-Instruct,open,0.16,0.15,0.12,0.12,0.55,0.53,0.38,0,0.12,0.12,0.23,0.04
Phi-3.5-mini-instruct,open,0.34,0.30,0.23,0.07,0.48,0.36,0.28,0.01,0.05,0.04,0.15,0
LLaMA-3.2-3B-Instruct,open,0.31,0.28,0.13,0.06,0.35,0.32,0.15,0,0.09,0.08,0.14,0.02
Qwen2.5-7B-Instruct,open,0.73,0.71,0.59,0.27,0.66,0.65,0.55,0.03,0.22,0.22,0.46,0.06
LLaMA-3.1-8B-Instruct,open,0.49,0.77,0.59,0.16,0.54,0.68,0.58,0.02,0.24,0.36,0.55,0.03
Ministral-8B-Instruct-2410,open,0.50,0.47,0.38,0.12,0.54,0.53,0.41,0.03,0.14,0.15,0.37,0.02
Glm-4-9B-chat,open,0.69,0.68,0.56,0.13,0.68,0.63,0.57,0.07,0.19,0.19,0.48,0.03
Mistral-Nemo-Instruct-2407,open,0.42,0.38,0.28,0.12,0.42,0.42,0.29,0.13,0.13,0.07,0.17,0.03
Qwen2.5-14B-Instruct,open,0.73,0.73,0.61,0.32,0.70,0.81,0.70,0.14,0.24,0.24,0.58,0.13
Qwen2.5-32B-Instruct,open,0.74,0.76,0.67,0.47,0.77,0.78,0.71,0.14,0.24,0.23,0.60,0.15
LLaMA-3.3-70B-Instruct,open,0.72,0.78,0.65,0.39,0.70,0.62,0.53,0.25,0.25,0.23,0.59,0.20
Qwen2.5-72B-Instruct,open,0.77,0.77,0.67,0.50,0.64,0.63,0.60,0.24,0.26,0.24,0.64,0.19
QwQ-32B,open,0.81,0.80,0.69,0.55,0.70,0.69,0.63,0.31,0.30,0.27,0.68,0.39
Deepseek-V3-671B,open,0.76,0.75,0.68,0.57,0.74,0.73,0.66,0.47,0.31,0.31,0.70,0.40
Deepseek-R1-671B,open,0.84,0.84,0.73,0.62,0.80,0.80,0.73,0.53,0.32,0.31,0.69,0.50
GPT-3.5-turbo,api,0.52,0.50,0.40,0.15,0.48,0.47,0.35,0.04,0.22,0.12,0.34,0.02
Claude-3.5-sonnet,api,0.78,0.78,0.69,0.53,0.75,0.73,0.63,0.47,0.30,0.30,0.67,0.39
GPT-4o,api,0.80,0.77,0.73,0.52,0.81,0.80,0.74,0.50,0.32,0.30,0.62,0.45
o1-mini,api,0.82,0.81,0.70,0.60,0.79,0.77,0.65,0.38,0.32,0.32,0.65,0.38
"""
_SCENARIOS = {"profile": "persona", "env": "environment", "pe": "persona_environment"}
_METRIC_OF = {"APP": "APP_F1", "API": "API_F1", "RP": "RP", "PP": "PP", "OP": "OP"}


def _table() -> dict[str, dict[str, dict[str, float]]]:
    results: dict[str, dict[str, dict[str, float]]] = {}
    for row in csv.DictReader(io.StringIO(TABLE3_CSV)):
        cells: dict[str, dict[str, float]] = {}
        for column, value in row.items():
            prefix, _, metric = column.partition("_")
            if prefix in _SCENARIOS and metric:
                cells.setdefault(_SCENARIOS[prefix], {})[_METRIC_OF[metric]] = float(value)
        results[row["model"]] = cells
    return results


TOOLSPECTRUM_PAPER: dict[str, Any] = {
    "source": (
        "Cheng et al., ToolSpectrum: Towards Personalized Tool Utilization for Large Language"
        " Models, ACL Findings 2025, arXiv 2505.13176, Table 3 (F1 scores)"
    ),
    "scale": SCALE,
    "reading": "F1",
    "metrics": ["APP_F1", "API_F1", "RP", "PP", "OP"],
    "group_key": "by_scenario",
    "results": _table(),
}


def paper_numbers() -> dict[str, Any]:
    """ToolSpectrum's Table 3 (19 models), keyed as petool's F1 reading of a run."""
    return TOOLSPECTRUM_PAPER
