"""Model prices: US dollars per million input and output tokens, and the cost of a request.

The built-in table holds list prices of common API models (mid-2025; providers change them,
so check yours). Users extend or override it with a JSON or YAML file, named by the
``price_table`` backend option or the ``PETOOL_PRICES`` environment variable::

    {"my-finetune": {"input": 0.3, "output": 1.2}, "gpt-4o": [2.5, 10.0]}

A model is found by its exact name, else by the longest table name it starts with followed
by ``-`` (``gpt-4o-2024-08-06`` is priced as ``gpt-4o``); a provider prefix such as
``openai/`` is ignored and case does not matter. An unknown model costs 0 and the run's
config says it was not priced.
"""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from petool.errors import ConfigError, InputError

PRICES_ENV = "PETOOL_PRICES"


@dataclass(frozen=True)
class Price:
    """US dollars per million tokens."""

    input: float
    output: float

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        """The cost in dollars of a request with these token counts."""
        return (prompt_tokens * self.input + completion_tokens * self.output) / 1_000_000


_BUILTIN: dict[str, tuple[float, float]] = {
    "gpt-5": (1.25, 10.0),
    "gpt-5-mini": (0.25, 2.0),
    "gpt-5-nano": (0.05, 0.40),
    "gpt-4.1": (2.0, 8.0),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-4o": (2.50, 10.0),
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4-turbo": (10.0, 30.0),
    "gpt-4": (30.0, 60.0),
    "gpt-3.5-turbo": (0.50, 1.50),
    "o1": (15.0, 60.0),
    "o1-mini": (1.10, 4.40),
    "o3": (2.0, 8.0),
    "o3-mini": (1.10, 4.40),
    "o4-mini": (1.10, 4.40),
    "deepseek-chat": (0.27, 1.10),
    "deepseek-reasoner": (0.55, 2.19),
    "claude-opus-4": (15.0, 75.0),
    "claude-sonnet-4": (3.0, 15.0),
    "claude-3-7-sonnet": (3.0, 15.0),
    "claude-3-5-sonnet": (3.0, 15.0),
    "claude-3-5-haiku": (0.80, 4.0),
    "gemini-2.5-pro": (1.25, 10.0),
    "gemini-2.5-flash": (0.30, 2.50),
    "gemini-2.0-flash": (0.10, 0.40),
    "gemini-1.5-pro": (1.25, 5.0),
    "gemini-1.5-flash": (0.075, 0.30),
}


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise InputError(f"{where}: expected a number >= 0, got {value!r}")
    return float(value)


def parse_prices(data: Any, source: str) -> dict[str, Price]:
    """Validate a price mapping ``{model: {"input": x, "output": y} | [x, y]}``.

    Args:
        data: The decoded JSON or YAML value.
        source: Where it came from, for error messages.

    Returns:
        Prices by lower-cased model name.

    Raises:
        InputError: A malformed entry (the message names the source and the model).
    """
    if not isinstance(data, Mapping):
        raise InputError(f"{source}: expected an object mapping model names to prices")
    prices: dict[str, Price] = {}
    for model, entry in data.items():
        where = f"{source}: field '{model}'"
        if isinstance(entry, Mapping):
            unknown = set(entry) - {"input", "output"}
            if unknown or "input" not in entry or "output" not in entry:
                raise InputError(f"{where}: expected keys 'input' and 'output' ($ per 1M tokens)")
            price = Price(_number(entry["input"], where), _number(entry["output"], where))
        elif isinstance(entry, list | tuple) and len(entry) == 2:
            price = Price(_number(entry[0], where), _number(entry[1], where))
        else:
            raise InputError(f"{where}: expected {{'input': x, 'output': y}} or [x, y]")
        prices[str(model).lower()] = price
    return prices


def load_price_file(path: str | Path) -> dict[str, Price]:
    """Read a JSON or YAML (``.yaml``/``.yml``) price file.

    Raises:
        InputError: The file is missing, undecodable or malformed.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{p}: cannot read price table ({exc.strerror or exc})") from None
    if p.suffix.lower() in (".yaml", ".yml"):
        try:
            yaml: Any = importlib.import_module("yaml")
        except ImportError:
            raise ConfigError(
                f"{p}: a YAML price table needs PyYAML: pip install 'petool[openai]'"
            ) from None
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise InputError(f"{p}: invalid YAML ({str(exc).splitlines()[0]})") from None
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"{p}:{exc.lineno}: invalid JSON ({exc.msg})") from None
    return parse_prices(data, str(p))


class PriceTable:
    """Prices by model name, with prefix matching for dated model versions."""

    def __init__(self, prices: Mapping[str, Price]):
        self.prices = {name.lower(): price for name, price in prices.items()}

    @classmethod
    def load(cls, extra: str | Path | Mapping[str, Any] | None = None) -> PriceTable:
        """The built-in table, updated by ``$PETOOL_PRICES`` and then by ``extra``.

        Args:
            extra: A price file path, or a mapping in the file's format.
        """
        prices = {name: Price(*value) for name, value in _BUILTIN.items()}
        env = os.environ.get(PRICES_ENV)
        if env:
            prices.update(load_price_file(env))
        if isinstance(extra, Mapping):
            prices.update(parse_prices(extra, "price_table"))
        elif extra is not None:
            prices.update(load_price_file(extra))
        return cls(prices)

    def lookup(self, model: str) -> Price | None:
        """The price of ``model``, or None when the table does not know it."""
        name = model.lower().rsplit("/", 1)[-1]
        for candidate in (model.lower(), name):
            if candidate in self.prices:
                return self.prices[candidate]
        best: str | None = None
        for key in self.prices:
            if name.startswith(key + "-") and (best is None or len(key) > len(best)):
                best = key
        return self.prices[best] if best is not None else None
