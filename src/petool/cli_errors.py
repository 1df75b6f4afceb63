"""petool's one error convention for every command line (``petool``, ``petool synth``, ...).

An error petool raises on purpose becomes one line on stderr and its exit code: 2 for bad
input or usage, 1 for a run that failed; ``PETOOL_DEBUG=1`` adds the traceback and keeps the
exit code. Click's usage errors get the same one line and exit 2; Ctrl-C exits 130 with a hint.
"""

from __future__ import annotations

import os
import sys
import traceback
from typing import Any

import typer
from rich.console import Console

from petool.errors import PetoolError

err_console = Console(stderr=True)

_ExcTypes = tuple[type[BaseException], ...]


def _click_exception_types() -> tuple[_ExcTypes, _ExcTypes, _ExcTypes]:
    """(ClickException, Exit, Abort) classes of typer's own click copy and of click itself."""
    modules: list[Any] = []
    try:
        import typer._click.exceptions as vendored

        modules.append(vendored)
    except ImportError:
        pass
    try:
        import click.exceptions as upstream

        modules.append(upstream)
    except ImportError:
        pass
    errors = tuple(m.ClickException for m in modules if hasattr(m, "ClickException"))
    exits = tuple({typer.Exit, *(m.Exit for m in modules if hasattr(m, "Exit"))})
    aborts = tuple({typer.Abort, *(m.Abort for m in modules if hasattr(m, "Abort"))})
    return errors, exits, aborts


def say_error(message: str) -> None:
    """Print ``error: MESSAGE`` as one line on stderr (no markup, no wrapping)."""
    err_console.print(f"error: {message}", markup=False, highlight=False, soft_wrap=True)


def run_app(
    app: typer.Typer,
    argv: list[str] | None,
    prog_name: str,
    interrupt_hint: str = "resume with --resume --out DIR",
) -> int:
    """Run a Typer app with petool's error convention; return the exit code."""
    args = sys.argv[1:] if argv is None else argv
    click_errors, click_exits, click_aborts = _click_exception_types()
    try:
        result = app(args=args, prog_name=prog_name, standalone_mode=False)
        return int(result) if isinstance(result, int) else 0
    except PetoolError as exc:
        if os.environ.get("PETOOL_DEBUG"):
            traceback.print_exc()
        say_error(str(exc))
        return exc.exit_code
    except click_exits as exc:
        return int(getattr(exc, "exit_code", 0) or 0)
    except click_aborts:
        err_console.print("aborted", markup=False)
        return 130
    except click_errors as exc:
        show = getattr(exc, "show", None)
        if type(exc).__name__ == "NoArgsIsHelpError" and callable(show):
            show()
            return 2
        format_message = getattr(exc, "format_message", None)
        say_error(format_message() if callable(format_message) else str(exc))
        return int(getattr(exc, "exit_code", 2))
    except KeyboardInterrupt:
        err_console.print(f"interrupted: {interrupt_hint}", markup=False)
        return 130
