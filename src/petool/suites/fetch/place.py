"""Where fetched data lives, and putting it there without touching anyone else's files.

A destination is petool's to write only when it does not exist, is an empty directory, or
holds :data:`MARKER` (written by a previous fetch) and nothing but the files that marker
lists. Anything else is refused with one :class:`InputError` line naming the directory, so
``petool data fetch NAME --dest DIR`` never deletes a file petool did not put there.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

from petool.errors import DataMissingError, InputError, RunError

ENV_DATA_DIR = "PETOOL_DATA_DIR"
MARKER = ".petool-fetch.json"
_HUB_METADATA = ".cache/huggingface/"  # huggingface_hub's own, in a snapshot's folder


def cache_dir(name: str) -> Path:
    """Where petool keeps a benchmark's data.

    Args:
        name: the benchmark (``petoolbench``, ``ptbench``, ``toolspectrum``).

    Returns:
        ``$PETOOL_DATA_DIR/<name>``, else ``$XDG_CACHE_HOME/petool/data/<name>``, else
        ``~/.cache/petool/data/<name>``. The folder may not exist.
    """
    root = os.environ.get(ENV_DATA_DIR)
    if root:
        return Path(root).expanduser() / name
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "petool" / "data" / name


def require_data(
    name: str, data_dir: Path | str | None, required_files: Sequence[str | Sequence[str]]
) -> Path:
    """The data directory of a suite, after checking that its files are there.

    Args:
        name: the benchmark name (used in the message and for the cache folder).
        data_dir: the directory the user gave (``--data``), or None for the cache.
        required_files: paths relative to the directory; an inner sequence of paths means
            "any one of these".

    Returns:
        The directory.

    Raises:
        DataMissingError: one line naming the first missing file and the command to run.
    """
    root = Path(data_dir).expanduser() if data_dir is not None else cache_dir(name)
    if data_dir is None:
        hint = f"run `petool data fetch {name}` (or pass --data DIR)"
    else:
        hint = f"pass --data DIR holding the {name} files, or run `petool data fetch {name}`"
    if data_dir is not None and not root.is_dir():
        raise DataMissingError(f"{root}: no such directory; {hint}")
    for item in required_files:
        options = [item] if isinstance(item, str) else list(item)
        if not any((root / option).is_file() for option in options):
            which = " or ".join(str(root / option) for option in options)
            raise DataMissingError(f"{which}: not found; {hint}")
    return root


def _foreign(folder: Path) -> str | None:
    """Why ``folder`` (an existing directory) is not petool's to replace, or None."""
    entries = {p.name for p in folder.iterdir()}
    if not entries:
        return None
    if MARKER not in entries:
        return f"not empty and has no {MARKER}, so petool did not fetch it"
    try:
        listed = set(json.loads((folder / MARKER).read_text(encoding="utf-8"))["files"])
    except (OSError, ValueError, KeyError, TypeError):
        return f"its {MARKER} is unreadable"
    for top, dirs, files in os.walk(folder):
        dirs.sort()
        links = [d for d in dirs if os.path.islink(os.path.join(top, d))]
        for entry in sorted(files) + links:
            rel = Path(top, entry).relative_to(folder).as_posix()
            if rel != MARKER and rel not in listed and not rel.startswith(_HUB_METADATA):
                return f"holds {rel}, which petool did not fetch"
    return None


def _problem(target: Path) -> str | None:
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        return "exists and is not a directory"
    return _foreign(target) if target.is_dir() else None


def _refusal(target: Path, problem: str) -> InputError:
    return InputError(
        f"{target}: {problem}; fetch into a new or empty directory, or one petool fetched"
        " into before"
    )


def check_destination(target: Path) -> None:
    """Refuse a destination petool may not write (see the module docstring)."""
    problem = _problem(target)
    if problem is not None:
        raise _refusal(target, problem)


def swap_in(tree: Path, target: Path, staging: Path) -> None:
    """Replace ``target`` by ``tree`` with renames; the old data ends in ``staging``.

    The old folder is checked again once moved aside (what was there at the end, not at
    the start) and moved back if it is no longer petool's.
    """
    old = staging / "old"
    had_old = target.exists()
    if had_old:
        try:
            os.replace(target, old)
        except OSError as exc:
            raise RunError(f"{target}: cannot replace it ({exc.strerror})") from None
        problem = _problem(old)
        if problem is not None:
            os.replace(old, target)
            raise _refusal(target, problem)
    try:
        os.replace(tree, target)
    except OSError as exc:
        if had_old:
            os.replace(old, target)
        raise RunError(f"{target}: cannot put the data in place ({exc.strerror})") from None
