"""Stage outputs cached on disk, keyed by everything the stage read.

A stage's output is written as ``<cache>/<stage>.json`` (``{"key": ..., "data": ...}``)
when the stage finishes; a later run whose inputs hash to the same key loads it instead of
running the stage again. The LLM answers within a stage are cached one by one as they come
(:mod:`petool.synth.llm`), so a stage killed half-way resumes where it stopped.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from petool.errors import InputError
from petool.io import read_json, write_json


def fingerprint(*parts: Any) -> str:
    """A hash of JSON-serializable parts (sorted keys)."""
    raw = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


class StageStore:
    """Cached stage outputs in one directory (``None``: nothing is cached)."""

    def __init__(self, root: Path | None):
        self.root = root

    def load(self, stage: str, key: str) -> Any | None:
        """The stage's cached output for ``key``, or None."""
        if self.root is None:
            return None
        path = self.root / f"{stage}.json"
        if not path.is_file():
            return None
        try:
            record = read_json(path)
        except InputError:
            return None  # a cache file cut short: run the stage again
        if not isinstance(record, dict) or record.get("key") != key:
            return None
        return record.get("data")

    def save(self, stage: str, key: str, data: Any) -> None:
        """Remember the stage's output for ``key`` (atomically)."""
        if self.root is not None:
            write_json(self.root / f"{stage}.json", {"key": key, "data": data}, indent=0)
