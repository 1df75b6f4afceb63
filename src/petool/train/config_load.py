"""Building a training config: defaults < a YAML file < command-line values.

:func:`build_config` is what ``petool train`` and code call; YAML keys and option names are
the fields of :class:`~petool.train.config.SFTRunConfig` and
:class:`~petool.train.config.DPORunConfig`.
"""

from __future__ import annotations

import dataclasses
import importlib
import typing
from pathlib import Path
from typing import Any, TypeVar

from petool.errors import ConfigError
from petool.train.config import TrainConfig

C = TypeVar("C", bound=TrainConfig)


def _coerce(cls: type[TrainConfig], values: dict[str, Any], source: str) -> dict[str, Any]:
    """Validate types of ``values`` against the dataclass fields (pydantic, lax numbers)."""
    from pydantic import TypeAdapter, ValidationError

    names = {f.name for f in dataclasses.fields(cls)}
    resolved = typing.get_type_hints(cls)
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key not in names:
            known = ", ".join(sorted(names))
            raise ConfigError(f"{source}: unknown key '{key}' (known: {known})")
        if key in ("modes", "llamafactory") and isinstance(value, str | list):
            items = value if isinstance(value, list) else [value]
            value = [v.strip() for item in items for v in str(item).split(",") if v.strip()]
        try:
            out[key] = TypeAdapter(resolved[key]).validate_python(value)
        except ValidationError as exc:
            msg = exc.errors(include_url=False)[0].get("msg", "invalid value")
            raise ConfigError(f"{source}: key '{key}': {msg} (got {value!r})") from None
    return out


def _yaml() -> Any:
    try:
        return importlib.import_module("yaml")
    except ImportError:
        raise ConfigError("YAML configs need PyYAML: pip install 'petool[train]'") from None


def read_yaml_config(path: str | Path) -> dict[str, Any]:
    """The mapping in a YAML config file (keys not yet checked).

    Raises:
        ConfigError: the file is missing, not YAML, or not a mapping.
    """
    yaml = _yaml()
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{p}: config file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{p}: cannot read the config file ({exc})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{p}:{mark.line + 1}" if mark is not None else str(p)
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError(f"{where}: not valid YAML ({problem})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{p}: expected a mapping of option: value, got {type(data).__name__}")
    return {str(k): v for k, v in data.items()}


def parse_trl_overrides(items: list[str] | None) -> dict[str, Any]:
    """``key=value`` strings to a dict; values are read as YAML scalars (numbers, bools)."""
    result: dict[str, Any] = {}
    for item in items or []:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--trl: expected key=value, got '{item}'")
        yaml = _yaml()
        try:
            value = yaml.safe_load(raw) if raw.strip() else ""
        except yaml.YAMLError:  # an unparsable scalar stays the string it is
            value = raw
        result[key.strip()] = value
    return result


def build_config(
    cls: type[C],
    *,
    yaml_path: str | Path | None = None,
    overrides: dict[str, Any] | None = None,
) -> C:
    """A validated config: defaults < the YAML file < ``overrides`` (None values are unset).

    Args:
        cls: :class:`SFTRunConfig` or :class:`DPORunConfig`.
        yaml_path: a YAML file whose keys are field names.
        overrides: values given on the command line or in code.

    Raises:
        ConfigError: an unknown key, a value of the wrong type, or a value that cannot work.
    """
    values: dict[str, Any] = {}
    if yaml_path is not None:
        values.update(_coerce(cls, read_yaml_config(yaml_path), str(yaml_path)))
    given = {k: v for k, v in (overrides or {}).items() if v is not None}
    trl_extra = given.pop("trl", None)
    values.update(_coerce(cls, given, "option"))
    if trl_extra:
        values["trl"] = {**values.get("trl", {}), **trl_extra}
    config = cls(**values)
    config.validate()
    return config
