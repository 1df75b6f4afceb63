"""ToolSpectrum's published numbers (Cheng et al., ACL Findings 2025, arXiv 2505.13176).

Table 3: APP accuracy of GPT-4o per scenario. Only the values petool could check are recorded;
the rest of Table 3 (other models, the API / RP / PP / OP columns) is to be added from the
paper.
"""

from __future__ import annotations

from typing import Any

from petool.suites.paper import SCALE

TOOLSPECTRUM_PAPER: dict[str, Any] = {
    "source": (
        "Cheng et al., ToolSpectrum: Towards Personalized Tool Utilization for Large Language"
        " Models, ACL Findings 2025, arXiv 2505.13176, Table 3"
    ),
    "scale": SCALE,
    "metrics": ["APP", "API", "RP", "PP", "OP"],
    "group_key": "by_scenario",
    "results": {
        "GPT-4o": {
            "persona": {"APP": 0.80},
            "environment": {"APP": 0.81},
            "persona_environment": {"APP": 0.32},
        },
    },
}


def paper_numbers() -> dict[str, Any]:
    """ToolSpectrum's Table 3 figures petool records."""
    return TOOLSPECTRUM_PAPER
