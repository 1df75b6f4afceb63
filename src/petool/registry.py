"""One registry for every kind of plugin: suites, backends, scorers, prompt styles, and each
benchmark's native-file reader and paper numbers.

A name resolves, in order, to

1. an object registered under it with :meth:`Registry.register` (petool's own built-ins
   register themselves when their module is imported; the registry imports them on the first
   look-up that misses);
2. an entry point of the kind's group (``petool.suites``, ``petool.backends``,
   ``petool.scorers``, ``petool.prompts``): plugins the user installed;
3. a dotted path ``package.module:attribute`` — **only when the name came from the user**
   (a CLI option or Python code: ``trusted=True``). A name read from a data file (a
   ``suite.json``, a config) is never imported: data names no code.

Unknown names stop with one line listing the registered choices and the closest match.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable, Iterable, Mapping
from importlib.metadata import entry_points
from typing import Generic, TypeVar

from petool.errors import ConfigError

T = TypeVar("T")

#: petool's own plugin modules: importing one registers what it provides.
BUILTIN_PLUGINS: tuple[str, ...] = (
    "petool.scoring.unified",
    "petool.prompts.unified",
    "petool.suites.demo",
    "petool.suites.petoolbench",
    "petool.suites.ptbench",
    "petool.suites.toolspectrum",
)


class Registry(Generic[T]):
    """Named objects of one kind, with built-ins, entry points and (trusted) dotted paths.

    Args:
        kind: what the objects are, for messages (``"scorer"``).
        group: the entry-point group third-party plugins use, or None.
        builtins: modules imported (once) before a look-up that misses.
        lazy: names whose module is imported only when that name is asked for (heavy backends).
    """

    def __init__(
        self,
        kind: str,
        *,
        group: str | None = None,
        builtins: Iterable[str] = BUILTIN_PLUGINS,
        lazy: Mapping[str, str] | None = None,
    ) -> None:
        self.kind = kind
        self.group = group
        self._builtins = tuple(builtins)
        self._lazy = dict(lazy or {})
        self._objects: dict[str, T] = {}
        self._descriptions: dict[str, str] = {}
        self._loaded = False

    def register(self, name: str, *, description: str = "") -> Callable[[T], T]:
        """Decorator: register an object under ``name`` (returned unchanged)."""

        def deco(obj: T) -> T:
            self.add(name, obj, description=description)
            return obj

        return deco

    def add(self, name: str, obj: T, *, description: str = "") -> None:
        """Register ``obj`` under ``name`` (a later registration replaces an earlier one)."""
        self._objects[name] = obj
        self._descriptions[name] = description

    def _load_builtins(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        for module in self._builtins:
            importlib.import_module(module)

    def _entry_point(self, name: str) -> T | None:
        if self.group is None:
            return None
        for ep in entry_points(group=self.group):
            if ep.name == name:
                obj: T = ep.load()
                self.add(name, obj, description="(plugin)")
                return obj
        return None

    def find(self, name: str) -> T | None:
        """The object registered (or installed as a plugin) under ``name``, or None."""
        if name in self._objects:
            return self._objects[name]
        if name in self._lazy:
            importlib.import_module(self._lazy[name])
            if name in self._objects:
                return self._objects[name]
        self._load_builtins()
        if name in self._objects:
            return self._objects[name]
        return self._entry_point(name)

    def names(self) -> list[str]:
        """Every registered, lazy and plugin name, sorted."""
        self._load_builtins()
        found = set(self._objects) | set(self._lazy)
        if self.group is not None:
            found |= {ep.name for ep in entry_points(group=self.group)}
        return sorted(found)

    def descriptions(self) -> dict[str, str]:
        """Registered names and their one-line descriptions."""
        return {name: self._descriptions.get(name, "(plugin)") for name in self.names()}

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.find(name) is not None

    def get(self, name: str, *, trusted: bool = False) -> T:
        """The object for ``name``.

        Args:
            name: a registered or plugin name; with ``trusted``, also ``package.module:attr``.
            trusted: the name was typed by the user (a CLI option or Python code), so a dotted
                path may be imported. Never set it for a name read from a file.

        Raises:
            ConfigError: the name is unknown, or a dotted path where one is not honoured.
        """
        name = name.strip()
        if not name:
            raise ConfigError(f"{self.kind} name is empty (registered: {self._known()})")
        found = self.find(name)
        if found is not None:
            return found
        if ":" in name and trusted:
            return self._load_dotted(name)
        if ":" in name:
            raise ConfigError(
                f"{self.kind} '{name}': a data file may name only a registered {self.kind}"
                f" (registered: {self._known()}); a dotted path is honoured only from the"
                " command line or Python code"
            )
        raise self.unknown(name)

    def unknown(self, name: str) -> ConfigError:
        """The one-line error for a name nothing is registered under (with a did-you-mean)."""
        return ConfigError(f"unknown {self.kind} '{name}'{self._hint(name)}")

    def check(self, name: str, where: str) -> None:
        """Refuse a name read from a file at ``where`` unless it is registered (nothing imported
        from the name itself)."""
        if self.find(name.strip()) is None:
            extra = "; a data file never names code" if ":" in name else ""
            raise ConfigError(
                f"{where}: unknown {self.kind} '{name}' (registered: {self._known()}){extra}"
            )

    def _known(self) -> str:
        return ", ".join(self.names()) or "none"

    def _hint(self, name: str) -> str:
        names = self.names()
        close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
        guess = f"; did you mean '{close[0]}'?" if close else ""
        return f" (registered: {', '.join(names) or 'none'}{guess})"

    def _load_dotted(self, path: str) -> T:
        module_name, _, attr = path.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise ConfigError(
                f"{self.kind} '{path}': cannot load it: cannot import module '{module_name}'"
                f" ({exc})"
            ) from None
        obj = getattr(module, attr, None)
        if obj is None or not callable(obj):
            raise ConfigError(
                f"{self.kind} '{path}': cannot load it: module '{module_name}' has no function"
                f" '{attr}'"
            )
        found: T = obj
        return found
