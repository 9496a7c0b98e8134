"""Paired what-if comparison with common random numbers.

Every scenario runs replications 0..R-1 with the same root seed, so replication
r of the base and replication r of a what-if see the same leads with the same
luck (the simulator keys its streams by source and team names). The effect of
the change is then estimated from the paired differences
``d_r = whatif_r - base_r``: their mean, with a Student-t interval on R - 1
degrees of freedom. Because both sides share their noise, ``d_r`` varies far
less than either side, and the paired interval is much narrower than the
unpaired (Welch) interval that treats the two runs as independent samples. Both
are computed so the narrowing can be measured and reported.

A difference is *significant* when its paired 95% interval excludes zero.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from leadsim.planner.parallel import Interrupted, Reporter, null_reporter
from leadsim.planner.precision import Grid, PrecisionOutcome, PrecisionTarget, half_width, run_until_precise
from leadsim.planner.replicate import run_grid
from leadsim.planner.specs import SpecError
from leadsim.planner.stats import summarize, t_quantile
from leadsim.simulator.metrics import METRIC_NAMES


def _finite(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


@dataclass(frozen=True)
class Difference:
    """One metric of one what-if against the base.

    Attributes:
        base: the base's mean over replications (None if undefined everywhere).
        value: the what-if's mean.
        diff: mean of the paired differences (replications where both are defined).
        ci_low: lower end of the paired 95% interval of ``diff``.
        ci_high: upper end of it.
        significant: whether the paired interval excludes 0 (None without an interval).
        unpaired_low: lower end of the Welch (unpaired) 95% interval of value - base.
        unpaired_high: upper end of it.
        pairs: number of replications in which both sides are defined.
    """

    base: float | None
    value: float | None
    diff: float | None
    ci_low: float | None
    ci_high: float | None
    significant: bool | None
    unpaired_low: float | None = None
    unpaired_high: float | None = None
    pairs: int = 0

    @property
    def paired_width(self) -> float | None:
        """Width of the paired interval."""
        if self.ci_low is None or self.ci_high is None:
            return None
        return self.ci_high - self.ci_low

    @property
    def unpaired_width(self) -> float | None:
        """Width of the unpaired interval."""
        if self.unpaired_low is None or self.unpaired_high is None:
            return None
        return self.unpaired_high - self.unpaired_low

    @property
    def narrowing(self) -> float | None:
        """Unpaired width / paired width: how many times narrower pairing made the interval.

        ``inf`` when the paired differences do not vary at all but the sides do;
        None when there is nothing to compare (no intervals, or neither varies).
        """
        paired, unpaired = self.paired_width, self.unpaired_width
        if paired is None or unpaired is None or unpaired <= 0:
            return None
        return math.inf if paired <= 0 else unpaired / paired

    def as_json(self) -> dict[str, Any]:
        """The entry of the ``--json`` document: base, value, diff, ci_low, ci_high, significant."""
        return {"base": self.base, "value": self.value, "diff": self.diff,
                "ci_low": self.ci_low, "ci_high": self.ci_high, "significant": self.significant}


def welch_interval(x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray,
                   confidence: float = 0.95) -> tuple[float, float] | None:
    """Unpaired (Welch) interval of mean(y) - mean(x), ignoring non-finite values.

    Returns:
        (low, high), or None if either side has fewer than 2 finite values.
    """
    a = np.asarray(x, dtype=np.float64)
    b = np.asarray(y, dtype=np.float64)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if a.size < 2 or b.size < 2:
        return None
    va, vb = float(a.var(ddof=1)) / a.size, float(b.var(ddof=1)) / b.size
    diff = float(b.mean() - a.mean())
    se2 = va + vb
    if se2 <= 0:
        return diff, diff
    df = se2 ** 2 / (va ** 2 / (a.size - 1) + vb ** 2 / (b.size - 1))
    half = t_quantile(0.5 + confidence / 2.0, df) * math.sqrt(se2)
    return diff - half, diff + half


def paired_difference(base: Sequence[float], whatif: Sequence[float],
                      confidence: float = 0.95) -> Difference:
    """Compare one metric's replication values, paired by replication.

    Args:
        base: the base's value per replication.
        whatif: the what-if's value per replication (same replications, same order).
        confidence: interval confidence level.

    Returns:
        The difference, with paired and unpaired intervals.

    Raises:
        ValueError: if the two sequences differ in length.
    """
    if len(base) != len(whatif):
        raise ValueError(f"paired values need equal lengths, got {len(base)} and {len(whatif)}")
    b = np.asarray(base, dtype=np.float64)
    w = np.asarray(whatif, dtype=np.float64)
    both = np.isfinite(b) & np.isfinite(w)
    d = summarize((w - b)[both].tolist(), confidence)
    low, high = _finite(d.ci_low), _finite(d.ci_high)
    significant = None if low is None or high is None else bool(low > 0 or high < 0)
    unpaired = welch_interval(b, w, confidence)
    return Difference(
        base=_finite(summarize(b.tolist()).mean), value=_finite(summarize(w.tolist()).mean),
        diff=_finite(d.mean),
        ci_low=low, ci_high=high, significant=significant,
        unpaired_low=None if unpaired is None else unpaired[0],
        unpaired_high=None if unpaired is None else unpaired[1],
        pairs=int(both.sum()),
    )


@dataclass(frozen=True)
class Variant:
    """One what-if: its name and the difference of every metric from the base."""

    name: str
    metrics: dict[str, Difference]

    def median_narrowing(self, names: Sequence[str] | None = None) -> float | None:
        """Median of the finite narrowing ratios over metrics (all, or ``names``)."""
        ratios = [d.narrowing for n, d in self.metrics.items() if names is None or n in names]
        finite = [r for r in ratios if r is not None and math.isfinite(r)]
        return statistics.median(finite) if finite else None


@dataclass(frozen=True)
class Comparison:
    """The result of ``leadsim compare``.

    Attributes:
        base: the base scenario's name.
        replications: replications per scenario (pairs).
        seed: root seed.
        variants: one per what-if, in the order given.
        precision: how a ``--precision`` run ended (None without one).
        interrupted: True if Ctrl-C cut the run short (then ``replications`` is what finished).
    """

    base: str
    replications: int
    seed: int
    variants: list[Variant]
    precision: PrecisionOutcome | None = None
    interrupted: bool = False
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The ``--json`` document, exactly: base, replications, seed, variants[name, metrics]."""
        return {
            "base": self.base,
            "replications": self.replications,
            "seed": self.seed,
            "variants": [
                {"name": v.name, "metrics": {n: d.as_json() for n, d in v.metrics.items()}}
                for v in self.variants
            ],
        }


def unique_names(names: Sequence[str], fallbacks: Sequence[str]) -> list[str]:
    """Display names for the scenarios: their names, made unique.

    A what-if file that does not set ``name:`` inherits its base's name; then the
    file's stem (``fallbacks``) is used, then a numeric suffix.
    """
    out: list[str] = []
    for i, (name, fallback) in enumerate(zip(names, fallbacks)):
        candidate = name if i == 0 or names.count(name) == 1 else fallback
        stem, k = candidate, 2
        while candidate in out:
            candidate, k = f"{stem}-{k}", k + 1
        out.append(candidate)
    return out


def compare_grid(names: Sequence[str], grid: Grid, seed: int,
                 metrics: Sequence[str] = METRIC_NAMES) -> Comparison:
    """Build the comparison from summaries: ``grid[0]`` is the base, the rest what-ifs.

    Only replications finished for every scenario are used (all of them, unless
    the run was interrupted).
    """
    n = min(len(g) for g in grid)
    base = [s.metrics for s in grid[0][:n]]
    variants = []
    for name, runs in zip(names[1:], grid[1:]):
        values = [s.metrics for s in runs[:n]]
        variants.append(Variant(name, {
            m: paired_difference([b[m] for b in base], [v[m] for v in values]) for m in metrics
        }))
    return Comparison(base=names[0], replications=n, seed=int(seed), variants=variants)


def paired_half_width(metric: str) -> Callable[[Grid], float | None]:
    """``measure`` for a precision run: the widest paired half-width of ``metric`` over what-ifs."""

    def measure(grid: Grid) -> float | None:
        halves = [half_width([v.metrics[metric] - b.metrics[metric] for b, v in zip(grid[0], runs)])
                  for runs in grid[1:]]
        return None if any(h is None for h in halves) else max(h for h in halves if h is not None)

    return measure


def run_compare(
    scenarios: Sequence[Any],
    names: Sequence[str],
    replications: int,
    seed: int,
    jobs: int = 1,
    reporter: Reporter = null_reporter,
    precision: PrecisionTarget | None = None,
    max_replications: int = 200,
) -> tuple[Comparison, Grid]:
    """Run the base and what-ifs with common random numbers and compare them.

    Args:
        scenarios: base first, then the what-ifs (at least two).
        names: their display names (see :func:`unique_names`).
        replications: replications per scenario (the first batch with ``precision``).
        seed: root seed shared by all.
        jobs: worker processes.
        reporter: progress display.
        precision: run until the widest paired half-width of this metric meets it.
        max_replications: cap for a precision run.

    Returns:
        The comparison and the grid of replication summaries (per scenario).

    Raises:
        ValueError: with fewer than two scenarios.
        Interrupted: on Ctrl-C; ``done`` is the partial :class:`Comparison`
            (``interrupted=True``) or None if no pair finished, ``total`` the
            replications asked for per scenario (``max_replications`` with
            ``precision``), and ``grid`` every scenario's finished summaries.
    """
    if len(scenarios) < 2:
        raise ValueError("compare needs a base and at least one what-if")
    outcome = None
    try:
        if precision is None:
            with reporter(f"compare {len(scenarios)} scenarios", replications * len(scenarios)) as bar:
                grid = run_grid(scenarios, range(replications), seed, jobs=jobs, progress=bar)
        else:
            grid, outcome = run_until_precise(
                scenarios, seed, precision, paired_half_width(precision.metric), replications,
                max_replications, jobs=jobs, reporter=reporter, label="compare: replications")
    except Interrupted as stop:
        partial = stop.done
        # Pair by replication: keep the replications finished for EVERY scenario (workers
        # finish out of order, so one scenario's list need not be a prefix of another's).
        common = set.intersection(*({s.replication for s in g} for g in partial))
        paired = [[s for s in g if s.replication in common] for g in partial]
        result = None
        if common:
            c = compare_grid(names, paired, seed)
            result = Comparison(c.base, c.replications, c.seed, c.variants, interrupted=True)
        requested = replications if precision is None else max_replications
        raise Interrupted(result, requested, grid=partial) from None
    comparison = compare_grid(names, grid, seed)
    return Comparison(comparison.base, comparison.replications, comparison.seed,
                      comparison.variants, precision=outcome), grid


# ---------------------------------------------------------------- --vary


@dataclass(frozen=True)
class Variation:
    """One ``--vary``: which scenario it changes and the change.

    Attributes:
        scenario: index of the scenario it changes (0 = the base, 1.. = the what-ifs given).
        override: ``PATH=VALUE``.
        label: the new what-if's display name.
    """

    scenario: int
    override: str
    label: str


def split_vary(text: str) -> tuple[str | None, str]:
    """Split ``[SCENARIO:]PATH=VALUE`` into the scenario named (or None) and ``PATH=VALUE``.

    The scenario prefix is whatever precedes a ``:`` before the ``=`` (paths have no ``:``;
    values may, e.g. ``08:00``).
    """
    key, sep, _ = text.partition("=")
    if sep and ":" in key:
        prefix, _, rest = text.partition(":")
        return prefix.strip(), rest
    return None, text


def plan_variations(vary: Sequence[str], keys: Sequence[Sequence[str]],
                    has_path: Callable[[int, str], bool]) -> list[Variation]:
    """Decide which scenario each ``--vary`` changes (see docs/planning.md, "Varying a what-if").

    * ``WHATIF:PATH=VALUE`` changes the scenario named WHATIF (the base or a what-if,
      by the argument as typed, its file stem or its ``name:``);
    * ``PATH=VALUE`` changes the base if the base has that path (as before), else every
      what-if that has it (typically the one what-if with, say, a ``closers`` team);
      if none has it, the base (whose error then names the path).

    Args:
        vary: the ``--vary`` texts as typed.
        keys: per scenario (base first), the strings that name it.
        has_path: whether scenario i has the override's path.

    Raises:
        SpecError: for a prefix that names no scenario.
    """
    out: list[Variation] = []
    for text in vary:
        prefix, override = split_vary(text)
        if prefix is not None:
            matches = [i for i, names in enumerate(keys) if prefix in names]
            if not matches:
                known = ", ".join(repr(names[0]) for names in keys)
                raise SpecError(f"--vary {text!r}: no scenario {prefix!r} in this comparison; "
                                f"name one of {known} before the ':'")
            out.append(Variation(matches[0], override, text))
            continue
        if has_path(0, override) or len(keys) == 1:
            out.append(Variation(0, override, override))
            continue
        owners = [i for i in range(1, len(keys)) if has_path(i, override)]
        if not owners:
            out.append(Variation(0, override, override))
        for i in owners:
            out.append(Variation(i, override, f"{keys[i][0]}:{override}"))
    return out
