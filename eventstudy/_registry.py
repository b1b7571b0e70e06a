"""One small generic registry, used for models, tests and price sources."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from .errors import ConfigError

T = TypeVar("T")


class Registry(Generic[T]):
    """A name → object registry with aliases and helpful errors.

    Parameters
    ----------
    kind
        What the registry holds (``"model"``, ``"test"``, ...), used in error messages.
    plural
        The plural of ``kind`` (default ``kind + "s"``).
    """

    def __init__(self, kind: str, *, plural: str | None = None) -> None:
        self.kind = kind
        self.plural = plural or f"{kind}s"
        self._items: dict[str, T] = {}
        self._aliases: dict[str, str] = {}

    def register(self, name: str, *, aliases: tuple[str, ...] = ()) -> Callable[[T], T]:
        """Decorator that registers an object under ``name`` (and its aliases)."""

        def deco(obj: T) -> T:
            self.add(name, obj, aliases=aliases)
            return obj

        return deco

    def add(self, name: str, obj: T, *, aliases: tuple[str, ...] = ()) -> None:
        """Register ``obj`` under ``name``."""
        if name in self._items or name in self._aliases:
            raise KeyError(f"{self.kind} {name!r} is registered twice")
        self._items[name] = obj
        for alias in aliases:
            self._aliases[alias] = name

    def canonical(self, name: str, *, where: str | None = None) -> str:
        """The registered name for ``name`` or one of its aliases."""
        if name in self._items:
            return name
        if name in self._aliases:
            return self._aliases[name]
        valid = self.names()
        close = difflib.get_close_matches(name, valid + list(self._aliases), n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        place = where or self.kind
        raise ConfigError(f"{place}: unknown {self.kind} {name!r}; {hint}valid {self.plural} are: {', '.join(valid)}")

    def get(self, name: str, *, where: str | None = None) -> T:
        """The object registered under ``name`` (or an alias)."""
        return self._items[self.canonical(name, where=where)]

    def names(self) -> list[str]:
        """The registered names, in registration order."""
        return list(self._items)

    def aliases(self) -> dict[str, str]:
        """Alias → name."""
        return dict(self._aliases)

    def __contains__(self, name: object) -> bool:
        return name in self._items or name in self._aliases

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)
