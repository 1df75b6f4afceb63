"""ToolSpectrum's three scenarios: which user context each one gives and which arguments it
shows and scores (``persona`` shows no environmental arguments, ``environment`` no
personalized ones, ``persona_environment`` all three kinds)."""

from __future__ import annotations

SCENARIOS: tuple[str, ...] = ("persona", "environment", "persona_environment")
CONTEXT_FIELDS: dict[str, tuple[str, ...]] = {
    "persona": ("persona",),
    "environment": ("environment",),
    "persona_environment": ("persona", "environment"),
}
"""The native record fields that hold each scenario's user context."""
SCENARIO_ROLES: dict[str, tuple[str, ...]] = {
    "persona": ("required", "personalized"),
    "environment": ("required", "environmental"),
    "persona_environment": ("required", "personalized", "environmental"),
}
"""The argument roles each scenario's prompt shows."""
