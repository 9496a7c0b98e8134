"""Small shared pieces of the fits: an estimate with its interval, proportions, warnings."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats

Z95 = float(stats.norm.ppf(0.975))


@dataclass(frozen=True)
class Estimate:
    """A fitted value with its 95% interval, sample size and how it was obtained."""

    value: float
    low: float
    high: float
    n: int
    method: str = ""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"estimate": _clean(self.value), "ci95": [_clean(self.low), _clean(self.high)],
                "n": int(self.n), "method": self.method}

    def comment(self, digits: int = 4) -> str:
        """A YAML comment: estimate, interval and n."""
        return (f"fitted {_fmt(self.value, digits)}, 95% CI [{_fmt(self.low, digits)}, "
                f"{_fmt(self.high, digits)}], n={self.n}")

    def covers(self, truth: float) -> bool:
        """Whether ``truth`` lies in the interval."""
        return self.low <= truth <= self.high


def _clean(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def _fmt(x: float, digits: int) -> str:
    return f"{x:.{digits}g}" if math.isfinite(x) else "n/a"


def proportion(successes: int, n: int, method: str = "Wilson score interval") -> Estimate:
    """A share with its Wilson 95% interval (good near 0 and 1, unlike the Wald interval)."""
    if n <= 0:
        return Estimate(math.nan, math.nan, math.nan, 0, method)
    p = successes / n
    denom = 1 + Z95**2 / n
    centre = (p + Z95**2 / (2 * n)) / denom
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n)) / denom
    # At 0 or n successes the bound is exactly 0 or 1 (the formula leaves rounding dust).
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return Estimate(p, low, high, n, method)


def mean_interval(values: np.ndarray, method: str = "sample mean, normal interval") -> Estimate:
    """A mean with its normal-theory 95% interval."""
    n = int(values.size)
    if n == 0:
        return Estimate(math.nan, math.nan, math.nan, 0, method)
    mean = float(values.mean())
    se = float(values.std(ddof=1)) / math.sqrt(n) if n > 1 else math.inf
    return Estimate(mean, mean - Z95 * se, mean + Z95 * se, n, method)


def wald_transformed(coef: float, se: float, n: int, transform: Any, method: str) -> Estimate:
    """A coefficient's Wald interval carried through a monotone increasing transform."""
    if not math.isfinite(se):
        return Estimate(float(transform(coef)), math.nan, math.nan, n, method)
    return Estimate(float(transform(coef)), float(transform(coef - Z95 * se)),
                    float(transform(coef + Z95 * se)), n, method)


def expit(x: float) -> float:
    """Logistic function (no overflow for large |x|)."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def safe_exp(x: float) -> float:
    """exp that gives inf instead of raising OverflowError."""
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def logit(p: float) -> float:
    """Log odds, with p kept inside (1e-9, 1 - 1e-9)."""
    p = min(max(p, 1e-9), 1 - 1e-9)
    return math.log(p / (1 - p))


@dataclass
class FitLog:
    """Warnings and notes a fit wants the analyst to read."""

    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def warning(self, text: str) -> None:
        """Record a warning (sparse cells pooled, a parameter not identified, ...)."""
        if text not in self.warnings:
            self.warnings.append(text)

    def note(self, text: str) -> None:
        """Record a note."""
        if text not in self.notes:
            self.notes.append(text)
