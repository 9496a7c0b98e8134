"""Decisions per second of the lead engine alone (no SimPy), by number of pending leads.

The engine promises every operation O(log n) in the number of pending leads
(heaps with lazy invalidation, no scan of the pending leads per decision), so
the cost of one decision should stay roughly flat from 1,000 to 1,000,000
pending leads. This script measures it.

For each size N it builds an engine (shared pool, a full-day calling window so
no window arithmetic is involved, three priority tiers: callbacks, new leads,
due follow-ups), pre-loads N open leads, and times K *decisions*. A decision is
what a live floor does once per call:

1. ``next_for(rep, now)``: a free rep asks for work; the engine first moves the
   lead(s) that fell due by ``now`` from the waiting heap to the ready heaps,
   then pops the best ready lead;
2. ``attempt_ended(...)`` with a non-contact outcome (no answer), so the lead is
   re-scheduled rather than closed and the queue stays at N.

The pre-load is built so the workload is the same for every N (a steady state):

- half of the leads are new and due now (a backlog of first attempts); a small
  share of them are missed inbound calls, i.e. callbacks (the first tier);
- the other half are follow-ups waiting for their next attempt, due one per
  decision interval ``DT``: exactly one waiting lead falls due per decision, and
  each called lead is re-scheduled behind the last of them (spacing =
  N/2 x DT), so the ready and waiting heaps keep their sizes.

Each size runs in its own fresh process (as ``benchmarks/memory.py`` does), so
the peak resident memory is that size's alone. Memory per pending lead is
(peak RSS - RSS before the pre-load) / N: everything the engine keeps per lead
(its state object, heap entries, the id -> lead dictionary). For 1k leads that
difference is within the allocator's noise; read the 100k and 1M figures.

Usage::

    python benchmarks/bench_engine.py                       # 1k, 10k, 100k, 1M pending leads
    python benchmarks/bench_engine.py --sizes 1000 100000   # chosen sizes
    python benchmarks/bench_engine.py --decisions 50000 --repeat 5
    python benchmarks/bench_engine.py --in-process          # no subprocess (memory figures not per size)
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import importlib.util
import sys
import time
from pathlib import Path
from typing import Any

# Imported at module level so that import time never counts as build time.
from leadsim.engine import AttemptResult, CadenceRules, Engine, EngineConfig, FloorCalendar, NewLead, RepView

HERE = Path(__file__).resolve().parent

#: Minutes of floor time between two decisions (one rep somewhere asks every DT).
DT = 0.01
#: Reps taking turns to ask (all in the shared pool, so all see the same heaps).
N_REPS = 10
#: Sources the leads come from: the engine keeps one ready heap per (pool, source, stage).
SOURCES = ("web_form", "tradeshow", "inbound_call")
#: One lead in CALLBACK_EVERY of the new leads is a missed inbound call (callback tier).
CALLBACK_EVERY = 50
#: A lead's local zone; with a full-day window the zone only matters for bookkeeping.
ZONE = "America/Chicago"


def _load_memory_module() -> Any:
    """``benchmarks/memory.py``, loaded by path (benchmarks/ is not a package)."""
    if "memory" in sys.modules:
        return sys.modules["memory"]
    spec = importlib.util.spec_from_file_location("memory", HERE / "memory.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules["memory"] = module
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def _rss_mb() -> float:
    """Current resident memory of this process in MB (Linux; else the peak, as a fallback)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return _load_memory_module().peak_rss_mb()


def build_engine(n: int) -> tuple[Engine, list[RepView], float]:
    """An engine holding ``n`` open leads in the steady state described in the module docstring.

    Args:
        n: pending leads (at least 4).

    Returns:
        (engine, reps, t0): the engine, the rep views that take turns, and the floor
        minute at which the timed decisions start.
    """
    n_follow = n // 2
    n_new = n - n_follow
    # Spacing after a no-answer puts a re-scheduled lead right behind the last waiting
    # follow-up, so one lead falls due per decision, whatever n.
    spacing = n_follow * DT
    config = EngineConfig(
        priority=(("callbacks", {}), ("new_leads", {}), ("due_followups", {})),
        cadence=CadenceRules(
            call_target=10**9,  # never exhausted: every lead stays pending
            spacing=(0.0, spacing),
            window=(0.0, 1440.0),  # full day: calling-window arithmetic is not what we time
        ),
        sources=SOURCES,
        expiry_minutes={s: None for s in SOURCES},
    )
    engine = Engine(config, FloorCalendar(dt.date(2026, 1, 5), ZONE))
    reps = [RepView(i, "sdr") for i in range(N_REPS)]
    for rep in reps:
        engine.add_rep(rep)

    # Waiting follow-ups: arrive, get a first (unanswered) call, and end it so that
    # follow-up j is due at j * DT (j = 0 .. n_follow - 1), i.e. from t0 = 0 on.
    # The set-up's times are synthetic and not in clock order (a live host's would
    # be); that is harmless here because nothing falls due before t0, so no call
    # below moves a lead from waiting to due. The timed loop's times are in order.
    setup = -spacing - 10.0
    for j in range(n_follow):
        engine.lead_arrived(NewLead(j, SOURCES[j % 2], setup, ZONE, score=float(j % 7)), setup)
    engine.advance(setup)
    for j in range(n_follow):
        dial = engine.next_for(reps[0], setup)
        assert dial is not None and dial.lead_id == j  # oldest first, ties by id
        ended = j * DT - spacing
        engine.attempt_ended(AttemptResult(j, 0, ended, ended, "no_answer"))

    # Due new leads (and a few callbacks): created over the minutes before t0.
    for i in range(n_new):
        lead_id = n_follow + i
        created = -1.0 - (n_new - i) * DT
        if i % CALLBACK_EVERY == 0:
            engine.lead_arrived(NewLead(lead_id, "inbound_call", created, ZONE, live=True), created)
            engine.caller_abandoned(lead_id, created)  # now a callback due at `created`
        else:
            engine.lead_arrived(NewLead(lead_id, SOURCES[i % 2], created, ZONE, score=float(i % 7)), created)
    engine.advance(-DT / 2)  # every new lead and callback is ready; follow-ups still wait
    assert engine.open_leads() == n
    return engine, reps, 0.0


def time_decisions(engine: Engine, reps: list[RepView], t0: float, k: int, start: int = 0) -> float:
    """Run ``k`` decisions from decision index ``start`` on; return the wall seconds.

    Args:
        engine: a pre-loaded engine.
        reps: the rep views taking turns.
        t0: floor minute of decision 0.
        k: decisions to make.
        start: index of the first decision (so consecutive blocks continue in time).
    """
    next_for, attempt_ended = engine.next_for, engine.attempt_ended
    n_reps = len(reps)
    begin = time.perf_counter()
    for i in range(start, start + k):
        now = t0 + i * DT
        rep = reps[i % n_reps]
        dial = next_for(rep, now)
        if dial is None:  # the steady state guarantees work; fail loudly if it breaks
            raise RuntimeError(f"no lead for rep {rep.rep_id} at {now}: the benchmark lost its steady state")
        attempt_ended(AttemptResult(dial.lead_id, rep.rep_id, now, now, "no_answer"))
    return time.perf_counter() - begin


def run_size(n: int, k: int = 20_000, repeat: int = 3, warmup: int = 2_000) -> dict[str, float]:
    """Build an engine with ``n`` pending leads and time ``repeat`` blocks of ``k`` decisions.

    The best block is reported (the usual micro-benchmark convention: other load on
    the machine only ever slows a block down). Garbage is collected once before the
    timing; the collector stays enabled, as it would on a live floor.

    Returns:
        A dict with n, k, build_seconds, best and median seconds per block,
        decisions_per_second (best block), us_per_decision, rss_before_mb, rss_after_mb,
        open_leads (after the timing: must equal n) and ready (due leads then).
    """
    gc.collect()
    rss_before = _rss_mb()
    # The pre-load allocates millions of long-lived objects; the collector's passes over
    # them would only slow the set-up, which is not what is measured.
    gc.disable()
    try:
        begin = time.perf_counter()
        engine, reps, t0 = build_engine(n)
        build_seconds = time.perf_counter() - begin
    finally:
        gc.enable()
    gc.collect()
    index = 0
    time_decisions(engine, reps, t0, warmup, index)  # warm caches and the lazy per-rep key tables
    index += warmup
    blocks = []
    for _ in range(repeat):
        blocks.append(time_decisions(engine, reps, t0, k, index))
        index += k
    blocks.sort()
    best = blocks[0]
    rss_after = _rss_mb()
    return {
        "n": n,
        "k": k,
        "build_seconds": build_seconds,
        "best_seconds": best,
        "median_seconds": blocks[len(blocks) // 2],
        "decisions_per_second": k / best,
        "us_per_decision": best / k * 1e6,
        "rss_before_mb": rss_before,
        "rss_after_mb": rss_after,
        "open_leads": engine.open_leads(),
        "ready": engine.backlog()[0],
    }


def main(argv: list[str] | None = None) -> None:
    """Print decisions per second per size, the 1M/1k cost ratio and memory per pending lead."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000, 1_000_000],
                        help="Pending leads per run (default: 1k 10k 100k 1M).")
    parser.add_argument("--decisions", "-k", type=int, default=20_000, help="Decisions per timed block (default 20000).")
    parser.add_argument("--repeat", type=int, default=3, help="Timed blocks per size; the best is reported (default 3).")
    parser.add_argument("--in-process", action="store_true",
                        help="Run every size in this process (faster to start; peak memory is then not per size).")
    args = parser.parse_args(argv)
    if any(n < 4 for n in args.sizes):
        parser.error("every size must be at least 4 pending leads")

    memory = _load_memory_module()
    print(f"engine decisions (next_for + attempt_ended, no answer), {args.decisions:,} per block, "
          f"best of {args.repeat}; python {sys.version.split()[0]}")
    header = f"{'pending':>10} | {'decisions/s':>11} | {'us/decision':>11} | {'build s':>7} | {'peak RSS MB':>11} | {'bytes/lead':>10}"
    print(header)
    print("-" * len(header))
    rows = []
    for n in args.sizes:
        if args.in_process:
            figures = run_size(n, args.decisions, args.repeat)
            peak = memory.peak_rss_mb()
        else:
            figures, peak = memory.measure(run_size, n, args.decisions, args.repeat)
        assert figures["open_leads"] == n, "the queue must stay at N pending leads"
        per_lead = (peak - figures["rss_before_mb"]) * 2**20 / n
        rows.append((n, figures))
        print(f"{n:>10,} | {figures['decisions_per_second']:>11,.0f} | {figures['us_per_decision']:>11.2f} | "
              f"{figures['build_seconds']:>7.1f} | {peak:>11.1f} | {per_lead:>10,.0f}")
    by_n = dict(rows)
    small, large = min(by_n), max(by_n)
    if large > small:
        ratio = by_n[large]["us_per_decision"] / by_n[small]["us_per_decision"]
        verdict = "within" if ratio <= 3.0 else "OVER"
        print(f"\nper-decision cost {large:,} / {small:,} pending leads: {ratio:.2f}x ({verdict} the 3x target)")


if __name__ == "__main__":
    main()
