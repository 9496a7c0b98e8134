"""Parse timestamp columns of a log into UTC instants, with a reason for every failure.

Accepted: ISO 8601 with a UTC offset (``2026-01-05T08:03:12-06:00``, ``...Z``),
ISO 8601 without one (then read in the column map's or the floor's time zone),
or a strptime format from the column map. Rules, each a quarantine reason:

* a value that does not parse in the stated format (mixed date formats);
* no offset and no time zone to read it in;
* a local time that does not exist or is ambiguous at a DST change;
* an offset that disagrees with the column map's declared time zone (UTC, ``Z``
  or ``+00:00``, is always accepted: many exports write UTC).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

_OFFSET = r"(?:Z|[+-]\d\d:?\d\d)$"

UNPARSEABLE = "unparseable timestamp"
NO_ZONE = "timestamp without UTC offset and no time zone to read it in (set timezone in the column map)"
DST = "local time does not exist or is ambiguous at a DST change"
OFFSET_MISMATCH = "UTC offset inconsistent with the column map's time zone"


def parse_timestamps(text: pd.Series, fmt: str, zone: str | None, declared: str | None,
                     column: str) -> tuple[pd.Series, np.ndarray]:
    """Parse one column of timestamp strings.

    Args:
        text: the raw strings ("" for empty).
        fmt: 'iso8601' or a strptime format.
        zone: time zone for values without an offset (None: such values fail).
        declared: the column map's declared zone; offsets must agree with it.
        column: the canonical column name, for the reasons.

    Returns:
        (UTC timestamps, NaT where empty or bad; reason per row, "" where fine or empty).
    """
    text = text.astype(object)
    n = len(text)
    reasons = np.full(n, "", dtype=object)
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns, UTC]")
    filled = (text != "").to_numpy()
    if not filled.any():
        return out, reasons
    has_offset = text.str.contains(_OFFSET, regex=True).to_numpy() & filled
    if fmt == "iso8601":
        fmt_arg = "ISO8601"
        # ISO dates need a '-' date part: refuse '01/05/2026' style before pandas guesses.
        looks_iso = text.str.match(r"^\d{4}-\d\d-\d\d").to_numpy()
    else:
        fmt_arg = fmt
        looks_iso = np.ones(n, dtype=bool)
        if "%z" in fmt or "%Z" in fmt:
            has_offset = filled.copy()
    with_off = has_offset & looks_iso
    if with_off.any():
        parsed = pd.to_datetime(text[with_off], format=fmt_arg, utc=True, errors="coerce")
        out[with_off] = parsed
        if declared is not None:
            _check_offsets(text[with_off], parsed, declared, reasons, np.flatnonzero(with_off), column)
    naive = filled & ~has_offset & looks_iso
    if naive.any():
        if zone is None:
            reasons[naive] = f"{column}: {NO_ZONE}"
        else:
            local = pd.to_datetime(text[naive], format=fmt_arg, errors="coerce")
            bad_parse = local.isna().to_numpy()
            localized = pd.DatetimeIndex(local).tz_localize(zone, ambiguous="NaT", nonexistent="NaT")
            if _date_only(text[naive], fmt):
                # A date without a time means "that day": where the day starts in a DST gap
                # (midnight does not exist, as in Brazil until 2019) take its first instant.
                localized = pd.DatetimeIndex(local).tz_localize(zone, ambiguous=True, nonexistent="shift_forward")
            dst = localized.isna() & ~bad_parse
            out[naive] = localized.tz_convert("UTC")
            idx = np.flatnonzero(naive)
            reasons[idx[dst]] = f"{column}: {DST}"
    bad = filled & out.isna().to_numpy() & (reasons == "")
    expected = "ISO 8601" if fmt == "iso8601" else repr(fmt)
    reasons[bad] = f"{column}: {UNPARSEABLE} (expected {expected})"
    out[reasons != ""] = pd.NaT
    return out, reasons


def _check_offsets(text: pd.Series, parsed: pd.Series, zone: str, reasons: np.ndarray,
                   where: np.ndarray, column: str) -> None:
    """Mark rows whose written offset is neither UTC nor the declared zone's offset then."""
    written = text.str.extract(r"(Z|[+-]\d\d:?\d\d)$")[0].fillna("Z")
    ok = parsed.notna().to_numpy()
    utc_written = written.isin(["Z", "+00:00", "-00:00", "+0000", "-0000"]).to_numpy()
    sign = np.where(written.str[0] == "-", -1, 1)
    digits = written.str.replace(":", "", regex=False).str[1:]
    minutes = pd.to_numeric(digits.str[:2], errors="coerce").fillna(0).to_numpy() * 60 + \
        pd.to_numeric(digits.str[2:4], errors="coerce").fillna(0).to_numpy()
    minutes = sign * minutes
    idx = pd.DatetimeIndex(parsed[ok])
    local = idx.tz_convert(zone).tz_localize(None)
    expected = np.zeros(len(parsed))
    expected[ok] = np.rint((local - idx.tz_localize(None)).total_seconds() / 60.0)
    mismatch = ok & ~utc_written & (minutes != expected)
    reasons[where[mismatch]] = f"{column}: {OFFSET_MISMATCH} ({zone})"


def _date_only(text: pd.Series, fmt: str) -> bool:
    """Whether the values carry a date but no time of day."""
    if fmt == "iso8601":
        return bool((text.str.len() <= 10).all())
    return not any(code in fmt for code in ("%H", "%I", "%M", "%S", "%X", "%c", "%T"))
