"""Every docstring example in the package runs and prints what it says (numpydoc ``Examples`` sections)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import eventstudy

MODULES = sorted(m.name for m in pkgutil.walk_packages(eventstudy.__path__, prefix="eventstudy."))


def test_the_package_has_modules() -> None:
    assert {"eventstudy.events", "eventstudy.groups", "eventstudy.calendars"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.failed == 0, f"{name}: {result.failed} of {result.attempted} examples failed (run it with -s)"
