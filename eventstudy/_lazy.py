"""Modules imported on first use, so that ``import eventstudy`` stays fast.

``stats = lazy("scipy.stats")`` binds a stand-in whose first attribute access imports the module; after that it
forwards every attribute to it.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

__all__ = ["lazy"]


class _Lazy(ModuleType):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.__dict__["_target"] = None

    def _load(self) -> ModuleType:
        target = self.__dict__["_target"]
        if target is None:
            target = importlib.import_module(self.__name__)
            self.__dict__["_target"] = target
        return target

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._load(), attr)

    def __dir__(self) -> list[str]:
        return dir(self._load())


def lazy(name: str) -> Any:
    """A stand-in for the module ``name``, imported when one of its attributes is first used."""
    return _Lazy(name)
