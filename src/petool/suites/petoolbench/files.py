"""PEToolBench's files on disk: finding them, reading JSON (plain or zipped), training rows.

Test data comes either as one file with the three prompts of every entry
(``user_entries_test.json``) or as one file per history mode
(``user_entries_test_{p,r,c}.json``), each possibly zipped (``.json.zip``, read in place).
They are looked for in the data directory itself and in its ``dataset_test/`` folder (the
layout of the authors' repository). The training files are LLaMA-Factory datasets:
``dataset_sft/*.json`` (alpaca: ``instruction``, ``input``, ``output``) and
``dataset_dpo/*.json`` (ranking: ``instruction``, ``input``, ``chosen``, ``rejected``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, NamedTuple

from petool.errors import DataMissingError, InputError
from petool.schema import HistoryMode
from petool.suites.fetch import archive as zip_archive
from petool.suites.petoolbench.modes import MODE_CODES

FETCH_HINT = "fetch it again with `petool data fetch petoolbench` (or pass --data DIR)"
COMBINED_NAME = "user_entries_test"
_MODE_SUFFIX = re.compile(r"_([prc])$")
_SFT_KEYS = ("instruction", "input", "output")
_DPO_KEYS = ("instruction", "input", "chosen", "rejected")


class TestFile(NamedTuple):
    """A test file and the history mode its name gives (None: every mode it holds)."""

    path: Path
    mode: HistoryMode | None


def _stem(path: Path) -> str:
    name = path.name
    for suffix in (".json.zip", ".json", ".zip"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


def mode_from_filename(path: Path) -> HistoryMode | None:
    """The mode of a per-mode file (``..._p.json``, ``..._r.json.zip``, ...), else None."""
    match = _MODE_SUFFIX.search(_stem(path))
    return MODE_CODES[match.group(1)] if match else None


def _read_text(path: Path, hint: str) -> str:
    try:
        if path.name.endswith(".zip"):
            raw = zip_archive.read_one(path, pick=f"{_stem(path)}.json")[1]
        else:
            raw = path.read_bytes()
        return raw.decode("utf-8-sig")
    except FileNotFoundError:
        raise DataMissingError(f"{path}: file not found; {hint}") from None
    except zip_archive.ArchiveError as exc:
        raise InputError(f"{path}: {exc}; {hint}") from None
    except zip_archive.CORRUPT as exc:
        raise InputError(f"{path}: not a readable zip archive ({exc}); {hint}") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text (byte {exc.start}); {hint}") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read it ({exc.strerror or exc}); {hint}") from None


def read_json_document(path: str | Path, hint: str = FETCH_HINT) -> Any:
    """The JSON value of a ``.json`` file or of the one ``.json`` inside a ``.json.zip``.

    Args:
        path: the file.
        hint: what the user should do, appended to every error message.

    Raises:
        DataMissingError: the file does not exist.
        InputError: not a readable zip, not UTF-8, or not valid JSON (truncated or corrupt);
            the one-line message names the file, the line and column, and ``hint``.
    """
    p = Path(path)
    text = _read_text(p, hint)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{p}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg}; truncated or corrupt?);"
            f" {hint}"
        ) from None
    except RecursionError:
        raise InputError(f"{p}: JSON nested too deeply to read; {hint}") from None


def _first_existing(folder: Path, stem: str) -> Path | None:
    for name in (f"{stem}.json", f"{stem}.json.zip"):
        if (folder / name).is_file():
            return folder / name
    return None


def locate_test_files(data: Path) -> list[TestFile]:
    """The test files to read from ``data`` (a file, or a directory holding them).

    A directory is searched, then its ``dataset_test/`` folder: the combined
    ``user_entries_test.json[.zip]`` wins; otherwise every per-mode file found is used.

    Raises:
        DataMissingError: nothing usable is there (the message says how to get it).
    """
    if data.is_file():
        return [TestFile(data, mode_from_filename(data))]
    for folder in (data, data / "dataset_test"):
        if not folder.is_dir():
            continue
        combined = _first_existing(folder, COMBINED_NAME)
        if combined is not None:
            return [TestFile(combined, None)]
        per_mode = [
            TestFile(found, mode)
            for code, mode in MODE_CODES.items()
            if (found := _first_existing(folder, f"{COMBINED_NAME}_{code}")) is not None
        ]
        if per_mode:
            return per_mode
    where = data if data.exists() else f"{data} (no such directory)"
    raise DataMissingError(
        f"PEToolBench test data not found in {where}: expected {COMBINED_NAME}.json[.zip] or"
        f" {COMBINED_NAME}_{{p,r,c}}.json[.zip]; run `petool data fetch petoolbench`"
        " or pass --data DIR"
    )


def read_llamafactory_file(path: str | Path) -> list[dict[str, Any]]:
    """Read one of PEToolBench's LLaMA-Factory training files, validated.

    SFT rows (``dataset_sft/*.json``, alpaca format) have string ``instruction`` (the
    rendered system prompt), ``input`` (the user's query) and ``output`` (the gold call as
    JSON text); DPO rows (``dataset_dpo/*.json``, ranking format) have ``chosen`` and
    ``rejected`` instead of ``output``. Other keys (``system``, ``history``) are kept.

    Args:
        path: the ``.json`` (or ``.json.zip``) file.

    Returns:
        The rows as dicts, each with ``kind`` (``"sft"`` or ``"dpo"``) and ``mode`` (from a
        ``_p``/``_r``/``_c`` file suffix, else None) added.

    Raises:
        DataMissingError: the file does not exist.
        InputError: not JSON, not a list of objects, a row mixing or lacking the fields of
            one format, or a field that is not a string (the message names file and row).
    """
    p = Path(path)
    hint = "re-download the PEToolBench training files or fix the row"
    data = read_json_document(p, hint)
    if not isinstance(data, list):
        raise InputError(f"{p}: expected a JSON list of rows, got {type(data).__name__}; {hint}")
    if not data:
        raise InputError(f"{p}: the file holds no rows; {hint}")
    mode = mode_from_filename(p)
    rows: list[dict[str, Any]] = []
    kind: str | None = None
    for i, row in enumerate(data):
        if not isinstance(row, dict):
            raise InputError(f"{p}: row {i}: expected an object, got {type(row).__name__}")
        row_kind = "dpo" if "chosen" in row or "rejected" in row else "sft"
        if kind is not None and row_kind != kind:
            raise InputError(f"{p}: row {i}: a {row_kind} row in a file of {kind} rows")
        kind = row_kind
        for key in _DPO_KEYS if row_kind == "dpo" else _SFT_KEYS:
            if key not in row:
                raise InputError(f"{p}: row {i}: field '{key}' is missing ({row_kind} row)")
            if not isinstance(row[key], str):
                raise InputError(
                    f"{p}: row {i}: field '{key}': expected a string, got {type(row[key]).__name__}"
                )
        rows.append({**row, "kind": row_kind, "mode": mode})
    return rows
