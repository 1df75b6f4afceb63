"""Model output (text or native ``tool_calls``) to tool calls — read, never evaluated.

* :mod:`petool.parsing.output` — :func:`parse_output` and the formats it accepts;
* :mod:`petool.parsing.literal` — the tolerant JSON / Python-literal value reader it uses
  (reads a value that starts at an offset inside free text, which neither ``json`` nor
  ``ast`` can do);
* :mod:`petool.parsing.abstain` — what counts as an explicit "no call".
"""

from petool.parsing.output import MAX_TEXT, ParseOutcome, ParseResult, bounded_answer, parse_output

__all__ = ["MAX_TEXT", "ParseOutcome", "ParseResult", "bounded_answer", "parse_output"]
