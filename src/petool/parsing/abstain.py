"""Explicit abstention: the short, deliberate list of ways a model says "no call".

Conservative on purpose: a parse failure must never pass for an abstention, so only these
count (case-insensitive):

* a tool name of ``null`` or one of :data:`NONE_NAMES` inside a call object;
* the whole output being one of :data:`NO_CALL_TEXTS` (after removing a surrounding code
  fence, quotes and backticks, and final ``.``/``!``);
* a sentence that declines a tool: a negation ("cannot", "won't", "should not", ...) right
  before (at most one word between) a verb such as "call"/"use"/"invoke", followed within
  the sentence by "tool"/"API"/"function"/"call" ("I cannot call any tool ..."), or
  "no tool/API/function (call) is/should/will/can/needs ..." ("No tool should be called");
* a sentence saying the request violates (or is against) a policy, without a negation
  ("does not violate the policy" does not count).

The sentence rules are applied by the parser only when no call was found and nothing
call-like failed to parse.
"""

from __future__ import annotations

import re

NONE_NAMES = frozenset({"none", "null", "no_call", "no call", "no_tool", "no tool"})
NO_CALL_TEXTS = frozenset(
    {"[]", "no_call", "no call", "no-call", "none", "null", "no tool", "no tool call"}
)

FENCE = re.compile(r"```[\w+-]*[ \t]*\n?(.*?)```", re.S)
_DECLINE = re.compile(
    r"\b(?:cannot|can ?not|can't|won't|will not|unable to|not able to|should not|shouldn't"
    r"|must not|mustn't|do not|don't|refuse to|decline to)\s+(?:\w+\s+)?"
    r"(?:call|use|invoke|make|execute|perform|run)\b[^.!?\n]{0,40}?"
    r"\b(?:tools?|apis?|functions?|calls?)\b"
    r"|\bno\s+(?:tool|api|function)(?:\s+call)?s?\s+(?:is|are|should|will|can|needs?)\b",
    re.I,
)
_POLICY = re.compile(r"\b(?:violat\w*|against)\b[^.!?\n]{0,60}?\bpolic(?:y|ies)\b", re.I)
_NEGATION = re.compile(r"\b(?:not|no|never)\b|n't\b", re.I)


def is_none_name(name: str | None) -> bool:
    """Whether a tool name in a call object means "no tool" (``null``, ``"none"``, ...)."""
    return name is None or name.strip().lower() in NONE_NAMES


def bare_text(text: str) -> str:
    """The output without a surrounding fence, quotes, backticks and final punctuation."""
    inner = text.strip()
    fenced = FENCE.fullmatch(inner)
    if fenced:
        inner = fenced.group(1)
    return inner.strip().strip("`\"' \t\n").rstrip(".!").strip().lower()


def declines(text: str) -> bool:
    """Whether ``text`` explicitly declines to call a tool (see the module docstring)."""
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    if bare_text(text) in NO_CALL_TEXTS or _DECLINE.search(text):
        return True
    for match in _POLICY.finditer(text):
        sentence_start = max(text.rfind(c, 0, match.start()) for c in ".!?\n") + 1
        if not _NEGATION.search(text[sentence_start : match.end()]):
            return True
    return False
