"""Test statistics (METHODS §4), each registered under its short name in :data:`TESTS`."""

from __future__ import annotations

# importing the modules registers their tests; the parametric ones first, so the registry lists them first
from . import (  # noqa: F401
    nonparametric,
    parametric,
    rank,
    resampling,
)
from .base import TESTS, Sample, TestResult, register_test
from .parametric import mean_residual_correlation

__all__ = ["TESTS", "Sample", "TestResult", "register_test", "mean_residual_correlation"]
