"""The analyse stage's registry: each analysis turns a fitted study's results into one named output.

An analysis is a function ``results -> value`` (usually a DataFrame), registered under the key it fills in
:attr:`EventStudyResults.analyses <eventstudy.results.EventStudyResults.analyses>`. It sees the analyses
registered before it (``results.analyses``), so one may build on another. Analyses run once, after the tests and
before any renderer; renderers only read their outputs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from .._registry import Registry
from ..errors import ConfigError

if TYPE_CHECKING:
    from ..results import EventStudyResults

__all__ = ["Analysis", "ANALYSES", "register_analysis", "run_analyses"]


@dataclass(frozen=True)
class Analysis:
    """One registered analysis.

    Attributes
    ----------
    name
        The key it fills in ``results.analyses``.
    func
        ``results -> value``; it must not change ``results``.
    description
        One line: what the output holds.
    requires
        Names of analyses whose outputs it reads (they run first).
    """

    name: str
    func: Callable[[EventStudyResults], Any]
    description: str
    requires: tuple[str, ...] = ()


ANALYSES: Registry[Analysis] = Registry("analysis", plural="analyses")


def register_analysis(
    name: str, *, description: str, requires: tuple[str, ...] = ()
) -> Callable[[Callable[[EventStudyResults], Any]], Callable[[EventStudyResults], Any]]:
    """Decorator: register ``func`` as the analysis filling ``results.analyses[name]``."""

    def deco(func: Callable[[EventStudyResults], Any]) -> Callable[[EventStudyResults], Any]:
        ANALYSES.add(name, Analysis(name, func, description, tuple(requires)))
        return func

    return deco


def _order(names: Iterable[str]) -> list[str]:
    """``names`` and what they require, each after its requirements (registration order otherwise)."""
    out: list[str] = []

    def visit(name: str, chain: tuple[str, ...]) -> None:
        if name in out:
            return
        if name in chain:
            raise ConfigError(f"analyses: {' -> '.join((*chain, name))} require each other; fix: break the loop")
        for req in ANALYSES.get(name, where="analyses").requires:
            visit(req, (*chain, name))
        out.append(name)

    for n in names:
        visit(ANALYSES.canonical(n, where="analyses"), ())
    return out


def run_analyses(
    results: EventStudyResults,
    names: Iterable[str] | None = None,
    *,
    progress: Callable[[str], None] | None = None,
) -> EventStudyResults:
    """A new results object whose ``analyses`` also hold the outputs of ``names`` (default: every registered one).

    Analyses already present in ``results.analyses`` are kept and not run again.
    """
    progress = progress or (lambda msg: None)
    values: dict[str, Any] = dict(results.analyses)
    current = results
    for name in _order(ANALYSES.names() if names is None else names):
        if name in values:
            continue
        progress(f"analysis: {name}")
        values[name] = ANALYSES.get(name).func(current)
        current = replace(results, analyses=MappingProxyType(dict(values)))
    return current
