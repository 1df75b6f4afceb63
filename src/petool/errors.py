"""The petool exception tree.

::

    PetoolError                 base of everything petool raises on purpose
    ├── InputError              bad input or usage: the CLI prints one line, exit 2
    │   ├── DataMissingError    a suite's files are not there (says which command fetches them)
    │   └── ConfigError         an option or config value that cannot work
    ├── BackendError            a model backend failed (retried by the runner, then recorded)
    └── RunError                a run could not complete: exit 1
"""

from __future__ import annotations


class PetoolError(Exception):
    """Base class of every error petool raises on purpose."""

    exit_code = 1


class InputError(PetoolError):
    """Bad input or usage: a file, a line, a field, and what was expected."""

    exit_code = 2


class DataMissingError(InputError):
    """Data a suite needs is not on disk; the message names the command that fetches it."""


class ConfigError(InputError):
    """An option or configuration value that cannot work."""


class BackendError(PetoolError):
    """A backend failed to answer; ``retryable`` tells the runner whether to try again."""

    def __init__(self, message: str, *, retryable: bool = True, retry_after: float | None = None):
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after


class RunError(PetoolError):
    """A run could not be completed."""
