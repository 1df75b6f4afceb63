"""``python -m petool`` runs the CLI."""

from petool.cli import entry

entry()
