"""PEToolBench's history modes: the native codes and the entry field of each mode's prompt."""

from __future__ import annotations

from petool.schema import HistoryMode

MODE_CODES: dict[str, HistoryMode] = {"p": "preferred", "r": "rated", "c": "chronological"}
"""PEToolBench's history-type codes (file suffixes, ``--history_type``) to petool modes."""
CODE_OF_MODE: dict[HistoryMode, str] = {mode: code for code, mode in MODE_CODES.items()}
PROMPT_KEYS: dict[HistoryMode, str] = {
    "preferred": "instruction_preferred",
    "rated": "instruction_ratings",
    "chronological": "instruction_chronological",
}
"""The entry field holding each mode's rendered system prompt."""
