"""Test statistics (METHODS §4), each registered under its short name in :data:`TESTS`."""

from __future__ import annotations

from . import parametric  # noqa: I001  (registration order: parametric first)
from . import nonparametric, rank, resampling  # noqa: F401
from .base import TESTS, Sample, TestResult, register_test
from .parametric import mean_residual_correlation

__all__ = ["TESTS", "Sample", "TestResult", "register_test", "mean_residual_correlation"]
