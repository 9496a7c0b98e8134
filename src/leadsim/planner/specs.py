"""Small command-line specifications shared by the planners, and their errors.

A planner option such as ``--precision conversion_rate=0.005``, ``--param
teams.sdr.headcount=6..16`` or ``--target "share_first_attempt_within_5_min>=0.9"``
is parsed by the module that uses it; they all raise :class:`SpecError` with a
message that quotes what was typed and shows the expected form. The command
line turns it into ``Error: ...`` and exit status 2.
"""

from __future__ import annotations

import difflib
import math
from decimal import Decimal, InvalidOperation


class SpecError(ValueError):
    """A planner option that does not parse; the message says what was expected."""


def check_metric(name: str, what: str) -> str:
    """Return ``name`` if it is a metric of metrics.json, else raise with suggestions.

    Args:
        name: the metric name as typed.
        what: the option being parsed, for the message (e.g. ``--precision``).

    Raises:
        SpecError: if there is no such metric.
    """
    from leadsim.simulator.metrics import METRICS_BY_NAME  # lazily: the CLI imports SpecError at start

    if name in METRICS_BY_NAME:
        return name
    close = difflib.get_close_matches(name, list(METRICS_BY_NAME), n=3, cutoff=0.5)
    hint = f"; did you mean {' or '.join(close)}?" if close else \
        "; `leadsim run SCENARIO --json` lists every metric name"
    raise SpecError(f"{what}: unknown metric {name!r}{hint}")


def parse_number(text: str, what: str, typed: str) -> float:
    """A finite number from text (a trailing ``%`` divides by 100).

    Args:
        text: the number as typed, e.g. ``0.9``, ``90%`` or ``1e-3``.
        what: the option, for the message.
        typed: the whole option value, for the message.

    Raises:
        SpecError: if it is not a finite number.
    """
    raw = text.strip()
    scale = 1.0
    if raw.endswith("%"):
        raw, scale = raw[:-1].strip(), 0.01
    try:
        value = float(raw) * scale
    except ValueError:
        raise SpecError(f"{what} {typed!r}: {text.strip()!r} is not a number") from None
    if not math.isfinite(value):
        raise SpecError(f"{what} {typed!r}: {text.strip()!r} is not a finite number")
    return value


def parse_decimal(text: str, typed: str, what: str, forms: str) -> Decimal:
    """One number of a ``--param`` range (LO, HI or STEP), exactly as typed: finite, never rounded.

    Args:
        text: the number as written.
        typed: the whole option as typed, for the message.
        what: which part this is ("LO", "HI", "STEP").
        forms: the accepted forms, appended to the message when ``text`` is not a number.

    Raises:
        SpecError: when ``text`` is not a finite number.
    """
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise SpecError(f"--param {typed!r}: {what} {text.strip()!r} is not a number; {forms}") from None
    if not value.is_finite():
        raise SpecError(f"--param {typed!r}: {what} {text.strip()!r} is not a finite number")
    return value


def split_param(text: str, forms: str) -> tuple[str, str]:
    """``PATH=SPEC`` of a ``--param``, both stripped; a missing ``=``, path part or spec is refused.

    Raises:
        SpecError: naming the text typed and the accepted ``forms``.
    """
    path, sep, spec = text.partition("=")
    path, spec = path.strip(), spec.strip()
    if not sep or not path or not spec or any(not s.strip() for s in path.split(".")):
        raise SpecError(f"--param {text!r}: {forms}")
    return path, spec


def split_range(text: str, spec: str, forms: str) -> tuple[str, str, str | None]:
    """``LO..HI[:TAIL]`` of a ``--param`` range as written: (LO, HI, TAIL or None without a colon).

    Raises:
        SpecError: for an empty end, a second ``..`` or a colon with nothing after it.
    """
    lo, _, rest = spec.partition("..")
    hi, colon, tail = rest.partition(":")
    if not lo.strip() or not hi.strip() or ".." in rest or (colon and not tail.strip()):
        raise SpecError(f"--param {text!r}: malformed range {spec!r}; {forms}")
    return lo, hi, tail if colon else None
