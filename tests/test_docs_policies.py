"""docs/policies.md's "The what-ifs, read as a story" quotes real runs: re-run them, check every figure.

The section shows its commands in ``sh`` blocks marked ``<!-- command: KEY -->``; this test runs each
once (with ``--json --out DIR``). Every prose paragraph of the section that has a number in it is
followed by ``<!-- figures: name=value ... -->`` listing *every* number of the paragraph, in order:
``fact=`` for an input of the scenario or a figure quoted from the field, otherwise a name that
:data:`FIGURES` computes from the commands' output. The table is checked cell by cell.

If the model's numbers change on purpose, run the commands with ``--json --out DIR``, then update the
table, the prose and its figures comments: a failure names the figure and the value it expects.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from leadsim.cli import main

PAGE = Path(__file__).resolve().parents[1] / "docs" / "policies.md"
HEADING = "## The what-ifs, read as a story"
MINUS = "\u2212"
# A number as the prose writes it: optional sign (Unicode minus or plus), thousands commas, decimals.
NUMBER = re.compile(r"[\u2212+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?")
SCENARIOS = ["today_round_robin", "shared_pool", "owner_recycle", "incoming_call_group",
             "six_calls", "three_calls", "speed_to_lead"]
SKILL_1 = "incoming_call_group:teams.closers.skill=1.0"
P50 = "speed_to_first_attempt_p50_min"


def section() -> str:
    """The story section: from its heading to the next level-2 heading (or the end)."""
    text = PAGE.read_text(encoding="utf-8")
    rest = text.split(HEADING, 1)[1]
    return rest.split("\n## ", 1)[0]


def commands() -> dict[str, list[str]]:
    """The section's commands by key, as argument lists without the leading ``leadsim``."""
    found = re.findall(r"<!-- command: (\w+) -->\n```sh\n(.*?)```", section(), flags=re.DOTALL)
    out = {}
    for key, block in found:
        args = shlex.split(block.replace("\\\n", " "))
        assert args[0] == "leadsim", block
        out[key] = args[1:]
    return out


class Runs:
    """The JSON the commands wrote, by command key."""

    def __init__(self, folders: dict[str, Path]) -> None:
        self.folders = folders
        self._read: dict[tuple[str, str], dict] = {}

    def _load(self, key: str, name: str) -> dict:
        if (key, name) not in self._read:
            self._read[key, name] = json.loads((self.folders[key] / name).read_text(encoding="utf-8"))
        return self._read[key, name]

    def doc(self, key: str, scenario: str) -> dict:
        """``metrics/<scenario>.json`` of one command's run folder."""
        return self._load(key, f"metrics/{scenario}.json")

    def mean(self, key: str, scenario: str, metric: str) -> float:
        """The mean over replications of one metric of one scenario."""
        return float(self.doc(key, scenario)["metrics"][metric]["mean"])

    def diff(self, key: str, variant: str, metric: str) -> dict:
        """The paired difference variant - base of one metric (compare.json)."""
        (found,) = [v for v in self._load(key, "compare.json")["variants"] if v["name"] == variant]
        return found["metrics"][metric]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    where = tmp_path_factory.mktemp("policies")
    folders = {}
    for key, args in commands().items():
        folders[key] = where / key
        result = CliRunner().invoke(main, [*args, "--json", "--out", str(folders[key]), "--jobs", "2"])
        assert result.exit_code == 0, (key, result.output, result.stderr)
    return Runs(folders)


def num(x: float, digits: int = 1, plus: bool = False) -> str:
    """A number as the prose writes it (Unicode minus; ``plus``: a sign on positives too)."""
    return f"{x:{'+' if plus else ''}.{digits}f}".replace("-", MINUS)


def pct(x: float, digits: int = 1, plus: bool = False) -> str:
    """A share as percent (or a difference of shares as points), without the % sign."""
    return num(100 * x, digits, plus)


def _interval(key: str, variant: str, metric: str, scale: float = 1.0, flip: bool = False,
              plus: bool = False) -> dict[str, Callable[[Runs], str]]:
    """``_lo`` and ``_hi`` of a paired interval; ``flip``: of base - variant (say "faster by")."""
    def end(which: str) -> Callable[[Runs], str]:
        def figure(r: Runs) -> str:
            d = r.diff(key, variant, metric)
            value = -d["ci_high" if which == "ci_low" else "ci_low"] if flip else d[which]
            return num(scale * value, 1, plus)
        return figure
    return {"_lo": end("ci_low"), "_hi": end("ci_high")}


def _with_interval(name: str, key: str, variant: str, metric: str, scale: float = 1.0,
                   flip: bool = False, plus: bool = False) -> dict[str, Callable[[Runs], str]]:
    """A paired difference and its interval, as ``name``, ``name_lo``, ``name_hi``."""
    def figure(r: Runs) -> str:
        d = r.diff(key, variant, metric)["diff"]
        return num(scale * (-d if flip else d), 1, plus)
    out: dict[str, Callable[[Runs], str]] = {name: figure}
    out.update({name + end: f for end, f in _interval(key, variant, metric, scale, flip, plus).items()})
    return out


def _p90(r: Runs, pick: Callable[..., float]) -> str:
    return f"{pick(r.mean('A', s, 'speed_to_first_attempt_p90_min') for s in SCENARIOS):.0f}"


FIGURES: dict[str, Callable[[Runs], str]] = {
    "leads": lambda r: f"{r.mean('A', 'shared_pool', 'leads'):,.0f}",
    "occupancy_engine": lambda r: pct(r.mean("A", "shared_pool", "rep_occupancy"), 0),
    "occupancy_today": lambda r: pct(r.mean("A", "today_round_robin", "rep_occupancy"), 0),
    "p90_low": lambda r: _p90(r, min),
    "p90_high": lambda r: _p90(r, max),
    "today_called_once": lambda r: pct(r.mean("A", "today_round_robin", "share_called_once")),
    "today_contact": lambda r: pct(r.mean("A", "today_round_robin", "contact_rate")),
    "today_p50": lambda r: num(r.mean("A", "today_round_robin", P50)),
    **_with_interval("pool_faster", "A", "shared_pool", P50, flip=True),
    "pool_contact_points": lambda r: pct(r.diff("A", "shared_pool", "contact_rate")["diff"]),
    **_with_interval("pool_conversions", "A", "shared_pool", "conversions"),
    "pool_conversions_percent": lambda r: num(
        100 * r.diff("A", "shared_pool", "conversions")["diff"] / r.mean("A", "today_round_robin", "conversions"),
        0, plus=True),
    "recycle_p50": lambda r: num(r.mean("A", "owner_recycle", P50)),
    "recycle_contact": lambda r: pct(r.mean("A", "owner_recycle", "contact_rate")),
    "pool_contact": lambda r: pct(r.mean("A", "shared_pool", "contact_rate")),
    "persistence": lambda r: num(r.diff("A", "owner_recycle", "conversions")["diff"]),
    **_with_interval("coverage", "B", "owner_recycle", "conversions", flip=True),
    "pool_called_once": lambda r: pct(r.mean("A", "shared_pool", "share_called_once")),
    **_with_interval("group_conversions", "B", "incoming_call_group", "conversions"),
    "pool_inbound_conversion": lambda r: pct(
        r.doc("A", "shared_pool")["by_source"]["inbound_call"]["conversion_rate"]["mean"]),
    "group_inbound_conversion": lambda r: pct(
        r.doc("A", "incoming_call_group")["by_source"]["inbound_call"]["conversion_rate"]["mean"]),
    "skill_1_conversions": lambda r: num(r.diff("B", SKILL_1, "conversions")["value"]),
    "pool_conversions_mean": lambda r: num(r.mean("A", "shared_pool", "conversions")),
    **{"skill_1" + end: f for end, f in _interval("B", SKILL_1, "conversions", plus=True).items()},
    "group_slower": lambda r: num(r.diff("B", "incoming_call_group", P50)["diff"]),
    "group_answered": lambda r: pct(r.mean("A", "incoming_call_group", "inbound_answered_rate")),
    "pool_answered": lambda r: pct(r.mean("A", "shared_pool", "inbound_answered_rate")),
    **{"group_answered" + end: f for end, f in
       _interval("B", "incoming_call_group", "inbound_answered_rate", 100, plus=True).items()},
    **_with_interval("six_contact_points", "C", "six_calls", "contact_rate", 100),
    "three_contact": lambda r: pct(r.mean("A", "three_calls", "contact_rate")),
    "six_contact": lambda r: pct(r.mean("A", "six_calls", "contact_rate")),
    **_with_interval("six_conversions", "C", "six_calls", "conversions"),
    "six_occupancy_points": lambda r: pct(r.diff("C", "six_calls", "rep_occupancy")["diff"], 0),
    "week_contact_points": lambda r: pct(r.diff("W", "six_calls", "contact_rate")["diff"]),
    **_with_interval("week_conversions", "W", "six_calls", "conversions"),
    "first_call_share": lambda r: pct(r.doc("A", "six_calls")["conversions_by_attempt"][0], 0),
    "second_call_share": lambda r: pct(r.doc("A", "six_calls")["conversions_by_attempt"][1], 0),
    "pool_p50": lambda r: num(r.mean("A", "shared_pool", P50)),
    "newest_p50": lambda r: num(r.mean("A", "speed_to_lead", P50)),
    **{"newest_p50" + end: f for end, f in _interval("B", "speed_to_lead", P50).items()},
    "newest_within_1_points": lambda r: pct(r.diff("B", "speed_to_lead", "share_first_attempt_within_1_min")["diff"]),
    **_with_interval("newest_conversions", "B", "speed_to_lead", "conversions", plus=True),
    "loaded_occupancy": lambda r: pct(r.mean("L", "shared_pool", "rep_occupancy"), 0),
    "loaded_faster": lambda r: num(-r.diff("L", "speed_to_lead", P50)["diff"]),
    "loaded_within_5_points": lambda r: pct(r.diff("L", "speed_to_lead", "share_first_attempt_within_5_min")["diff"]),
    "loaded_pool_conversions": lambda r: num(r.mean("L", "shared_pool", "conversions")),
    "loaded_newest_conversions": lambda r: num(r.mean("L", "speed_to_lead", "conversions")),
    **{"loaded_conversions" + end: f for end, f in
       _interval("L", "speed_to_lead", "conversions", plus=True).items()},
}


def _prose_numbers(paragraph: str) -> list[str]:
    """The numbers of a prose paragraph (inline code, i.e. names and commands, left out)."""
    return NUMBER.findall(re.sub(r"`[^`]*`", "", paragraph))


def _pair(text: str) -> tuple[str, str]:
    name, _, value = text.partition("=")
    return name, value


def paragraphs_and_figures() -> list[tuple[str, list[tuple[str, str]] | None]]:
    """Each prose paragraph of the section with the ``figures`` comment that follows it (or None)."""
    blocks = [b.strip() for b in re.split(r"\n\s*\n", section()) if b.strip()]
    out: list[tuple[str, list[tuple[str, str]] | None]] = []
    for i, block in enumerate(blocks):
        if block.startswith(("```", "|", "<!--", "#")):
            continue
        after = blocks[i + 1] if i + 1 < len(blocks) else ""
        match = re.fullmatch(r"<!-- figures:(.*?)-->", after, flags=re.DOTALL)
        pairs = [_pair(p) for p in match.group(1).split()] if match else None
        out.append((block, pairs))
    return out


def test_the_section_shows_the_commands_it_quotes() -> None:
    found = commands()
    assert set(found) == {"A", "B", "C", "W", "L"}
    assert found["A"][:8] == ["compare", *SCENARIOS]
    for args in found.values():
        assert args[0] == "compare" and "--replications" in args and "--seed" in args


def test_every_prose_number_is_listed_in_order() -> None:
    checked = 0
    for paragraph, pairs in paragraphs_and_figures():
        numbers = _prose_numbers(paragraph)
        if not numbers:
            continue
        assert pairs is not None, f"no <!-- figures: --> after: {paragraph[:80]}"
        assert [value for _, value in pairs] == numbers, paragraph[:80]
        unknown = [name for name, _ in pairs if name != "fact" and name not in FIGURES]
        assert not unknown, unknown
        checked += sum(name != "fact" for name, _ in pairs)
    assert checked >= 50


def test_every_quoted_figure_is_what_the_commands_produce(runs: Runs) -> None:
    wrong = []
    for _, pairs in paragraphs_and_figures():
        for name, value in pairs or []:
            if name != "fact" and FIGURES[name](runs) != value:
                wrong.append(f"{name}: the page says {value}, the commands give {FIGURES[name](runs)}")
    assert not wrong, "\n".join(wrong)
    quoted = {name for _, pairs in paragraphs_and_figures() for name, _ in pairs or []}
    assert set(FIGURES) <= quoted, set(FIGURES) - quoted


def _cell(mean: float, low: float, high: float, kind: str) -> str:
    half = (high - low) / 2
    if kind == "min" or kind == "count":
        return f"{mean:.1f} ± {half:.1f}"
    digits = 2 if kind == "rate" else 1
    return f"{100 * mean:.{digits}f}% ± {100 * half:.{digits}f}"


COLUMNS = [(P50, "min"), ("share_first_attempt_within_5_min", "share"), ("share_called_once", "share"),
           ("contact_rate", "share"), ("conversion_rate", "rate"), ("conversions", "count"),
           ("inbound_answered_rate", "share")]


def test_the_table_cell_by_cell(runs: Runs) -> None:
    rows = [[c.strip().strip("`") for c in line.strip().strip("|").split("|")]
            for line in section().splitlines() if line.startswith("| `")]
    assert [row[0] for row in rows] == SCENARIOS
    for scenario, *cells in rows:
        metrics = runs.doc("A", scenario)["metrics"]
        expected = [_cell(metrics[m]["mean"], metrics[m]["ci_low"], metrics[m]["ci_high"], kind)
                    for m, kind in COLUMNS]
        assert cells == expected, scenario


# The verdicts the prose states in words, beside the paired interval it quotes for them.
VERDICTS = [
    ("as slow as today", "A", "owner_recycle", P50, False),
    ("not quite the shared pool's contact rate", "B", "owner_recycle", "contact_rate", True),
    ("answered {group_answered}% vs {pool_answered}%, not significant", "B", "incoming_call_group",
     "inbound_answered_rate", False),
    ("the gain disappears", "B", SKILL_1, "conversions", False),
    ("a real gain, though small", "C", "six_calls", "conversions", True),
    ("{newest_conversions_hi}, not significant", "B", "speed_to_lead", "conversions", False),
    ("no detectable change in conversions", "L", "speed_to_lead", "conversions", False),
]


@pytest.mark.parametrize(("phrase", "key", "variant", "metric", "significant"), VERDICTS)
def test_the_verdicts_in_words(runs: Runs, phrase: str, key: str, variant: str, metric: str,
                               significant: bool) -> None:
    flat = " ".join(section().split())
    names = re.findall(r"\{(\w+)\}", phrase)
    assert phrase.format(**{n: FIGURES[n](runs) for n in names}) in flat
    assert runs.diff(key, variant, metric)["significant"] is significant
