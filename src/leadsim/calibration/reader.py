"""Streaming, validating readers for the three log kinds.

A log is read in chunks of rows (:data:`CHUNK_ROWS`) with Python's C ``csv``
reader, so a ragged row (too few or too many fields) is seen as such, and each
chunk is validated with vectorised pandas code. Every row ends up either in the
returned table or in ``quarantine.csv`` with its file, line and reason; the
summary counts both. What is kept is compact (categorical codes, int64 instants,
float32 durations): a 5-million-row activity file never becomes 5 million
Python objects.

Errors that concern the file as a whole (missing, empty, a required column
absent) are :class:`~leadsim.scenarios.errors.ScenarioError`: the CLI prints them
and exits with status 2.
"""

from __future__ import annotations

import csv
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import pandas as pd

from leadsim.calibration import canonical
from leadsim.calibration.colmap import ColumnMap, KindMap
from leadsim.calibration.timeparse import parse_timestamps
from leadsim.scenarios.errors import ScenarioError
from leadsim.scenarios.schema import check_timezone

#: Rows per chunk.
CHUNK_ROWS = 100_000
_SURROGATE = re.compile("[\udc80-\udcff]")
#: Called with (log kind, rows read so far) after every chunk.
Progress = Callable[[str, int], None]

QUARANTINE_COLUMNS = ("log", "file", "line", "reason", "row")


class Quarantine:
    """Bad rows, written to a CSV file as they are found, and counted by reason."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.counts: Counter[tuple[str, str]] = Counter()
        self._handle: TextIO | None = None
        self._writer: Any = None
        if path is not None:
            # Kept open across chunks (rows are written as they are found); closed by close().
            self._handle = open(path, "w", newline="", encoding="utf-8", errors="backslashreplace")  # noqa: SIM115
            self._writer = csv.writer(self._handle)
            self._writer.writerow(QUARANTINE_COLUMNS)

    def add(self, kind: str, file: str, lines: Any, reasons: Any, rows: Any) -> None:
        """Record bad rows: parallel sequences of line numbers, reasons and raw row texts."""
        for line, reason, row in zip(lines, reasons, rows):
            # The reason's head (before a parenthesis) is the category counted.
            self.counts[(kind, str(reason).split(" (")[0])] += 1
            if self._writer is not None:
                self._writer.writerow((kind, file, int(line), reason, row))

    def close(self) -> None:
        """Flush and close the file."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def by_kind(self, kind: str) -> dict[str, int]:
        """Quarantined rows of one log kind, by reason."""
        return {reason: n for (k, reason), n in sorted(self.counts.items()) if k == kind}


@dataclass
class ReadSummary:
    """What happened to the rows of one file."""

    kind: str
    file: str
    rows_read: int = 0
    rows_used: int = 0
    quarantined: dict[str, int] = field(default_factory=dict)
    notes: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"file": self.file, "rows_read": self.rows_read, "rows_used": self.rows_used,
                "rows_quarantined": sum(self.quarantined.values()),
                "quarantined_by_reason": dict(self.quarantined), "notes": dict(self.notes)}


@dataclass
class ReadContext:
    """Settings shared by the readers."""

    cmap: ColumnMap
    floor_zone: str
    quarantine: Quarantine
    progress: Progress | None = None
    chunk_rows: int = CHUNK_ROWS
    #: Zone for timestamps without an offset when the map names none (the --base floor's, if given).
    naive_fallback: str | None = None

    @property
    def naive_zone(self) -> str | None:
        """Zone for timestamps without an offset: the map's, else the fallback, else none."""
        return self.cmap.timezone or self.naive_fallback


# ---------------------------------------------------------------- raw chunks


@dataclass
class _Chunk:
    frame: pd.DataFrame  # canonical columns, strings
    lines: np.ndarray  # int64 file line of each row
    raw: list[str]  # the row as read, for quarantine


def _open(path: Path, cmap: ColumnMap) -> TextIO:
    try:
        return open(path, encoding=cmap.encoding, errors="surrogateescape", newline="")
    except FileNotFoundError:
        raise ScenarioError(str(path), None, "file not found") from None
    except OSError as exc:
        raise ScenarioError(str(path), None, f"cannot read file: {exc.strerror or exc}") from None


def _header_map(kind: str, header: list[str], section: KindMap, file: str) -> dict[str, list[int] | None]:
    """Canonical column -> indices in the export's header (None: a constant or an absent optional)."""
    positions = {name.strip().lstrip("\ufeff"): i for i, name in enumerate(header)}
    found: dict[str, list[int] | None] = {}
    missing = []
    for col in canonical.columns(kind):
        if col in section.join:
            absent = [n for n in section.join[col] if n not in positions]
            if absent:
                missing.append(f"{col} (joined from {absent})")
            else:
                found[col] = [positions[n] for n in section.join[col]]
            continue
        names = section.columns.get(col, col)
        names = [names] if isinstance(names, str) else list(names)
        absent = [n for n in names if n not in positions]
        if not absent:
            found[col] = [positions[n] for n in names]
        elif col in section.constants:
            found[col] = None
        elif col in canonical.REQUIRED[kind] or len(absent) < len(names):
            missing.append(f"{col} (as {absent if len(absent) > 1 else absent[0]!r})" if names != [col] else col)
    if section.date_column is not None and section.date_column not in positions:
        missing.append(f"date_column {section.date_column!r}")
    if missing:
        raise ScenarioError(file, None, f"{kind} log lacks required columns {missing}; map them in the "
                            "column map (columns: or constants:)", header)
    if section.date_column is not None:
        found["__date__"] = [positions[section.date_column]]
    return found


def _chunks(path: Path, kind: str, ctx: ReadContext, summary: ReadSummary) -> Iterator[_Chunk]:
    """Yield validated-shape chunks; ragged and non-UTF-8 rows go straight to quarantine."""
    section = ctx.cmap.section(kind)
    file = str(path)
    with _open(path, ctx.cmap) as handle:
        # skipinitialspace drops blanks after a separator in C; values are not stripped one by
        # one in Python (trailing blanks are rare and make a value fail its rule, with a reason).
        reader = csv.reader(handle, delimiter=ctx.cmap.separator, skipinitialspace=True)
        try:
            header = next(reader)
        except StopIteration:
            raise ScenarioError(file, None, f"empty {kind} file: no header row") from None
        except csv.Error as exc:
            raise ScenarioError(file, None, f"cannot read the header row: {exc}") from None
        positions = _header_map(kind, header, section, file)
        width = len(header)
        rows: list[list[str]] = []
        lines: list[int] = []
        raws: list[str] = []
        bad_lines: list[int] = []
        bad_reasons: list[str] = []
        bad_rows: list[str] = []
        sep = ctx.cmap.separator
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:  # e.g. a NUL byte or an unterminated quote
                summary.rows_read += 1
                bad_lines.append(reader.line_num)
                bad_reasons.append(f"unreadable row ({exc})")
                bad_rows.append("")
                continue
            if not row:
                continue  # a blank line is not a row
            summary.rows_read += 1
            text = sep.join(row)
            if len(row) != width:
                bad_lines.append(reader.line_num)
                bad_reasons.append(f"ragged row (expected {width} fields, got {len(row)})")
                bad_rows.append(text)
                continue
            if not text.isascii() and _SURROGATE.search(text):
                bad_lines.append(reader.line_num)
                bad_reasons.append(f"bytes that are not valid {ctx.cmap.encoding} text")
                bad_rows.append(text)
                continue
            rows.append(row)
            lines.append(reader.line_num)
            raws.append(text)
            if len(rows) >= ctx.chunk_rows:
                ctx.quarantine.add(kind, file, bad_lines, bad_reasons, bad_rows)
                bad_lines, bad_reasons, bad_rows = [], [], []
                yield _make_chunk(rows, lines, raws, positions, section, kind)
                rows, lines, raws = [], [], []
                if ctx.progress is not None:
                    ctx.progress(kind, summary.rows_read)
        ctx.quarantine.add(kind, file, bad_lines, bad_reasons, bad_rows)
        if rows:
            yield _make_chunk(rows, lines, raws, positions, section, kind)
        if ctx.progress is not None:
            ctx.progress(kind, summary.rows_read)


def _make_chunk(rows: list[list[str]], lines: list[int], raws: list[str],
                positions: dict[str, list[int] | None], section: KindMap, kind: str) -> _Chunk:
    table = pd.DataFrame(rows, dtype=object)
    empty = set(section.empty_values)
    data: dict[str, pd.Series] = {}
    for col, pos in positions.items():
        if pos is None:
            series = pd.Series([section.constants[col]] * len(table), dtype=object)
        else:
            series = _clean(table[pos[0]], empty)
            if col in section.join:
                for other in pos[1:]:
                    series = series + "/" + _clean(table[other], empty)
                pos = pos[:1]
            for other in pos[1:]:  # fallback columns: the first non-empty value wins
                series = series.where(series != "", _clean(table[other], empty))
        mapping = section.values.get(col)
        if mapping:
            series = series.map(mapping).fillna(series)
        data[col] = series
    date = data.pop("__date__", None)
    if date is not None:
        for col in canonical.TIMESTAMPS[kind]:
            if col in data:
                data[col] = (date + " " + data[col]).where(data[col] != "", "")
    return _Chunk(pd.DataFrame(data), np.asarray(lines, dtype=np.int64), raws)


def _clean(series: pd.Series, empty: set[str]) -> pd.Series:
    return series.where(~series.isin(empty), "") if empty else series


def _reject(ctx: ReadContext, kind: str, file: str, chunk: _Chunk, reasons: np.ndarray) -> np.ndarray:
    """Quarantine the rows with a reason; return the mask of rows kept."""
    bad = reasons != ""
    if bad.any():
        idx = np.flatnonzero(bad)
        ctx.quarantine.add(kind, file, chunk.lines[idx], reasons[idx], [chunk.raw[i] for i in idx])
    return ~bad


def _first(reasons: np.ndarray, mask: Any, text: str) -> None:
    """Set ``text`` as the reason of rows in ``mask`` that have none yet (first rule wins)."""
    mask = np.asarray(mask, dtype=bool) & (reasons == "")
    reasons[mask] = text


# ---------------------------------------------------------------- leads


def read_leads(path: Path, ctx: ReadContext) -> tuple[pd.DataFrame, ReadSummary]:
    """Read and validate a leads log.

    Returns:
        (leads: ``lead_id`` (str), ``created`` (UTC), ``source``, ``timezone``,
        ``value`` (float), ``converted`` (UTC or NaT), ``line``; the summary).
    """
    file, kind = str(path), "leads"
    summary = ReadSummary(kind, file)
    zones_ok: dict[str, bool] = {}
    parts: list[pd.DataFrame] = []
    for chunk in _chunks(path, kind, ctx, summary):
        f = chunk.frame
        reasons = np.full(len(f), "", dtype=object)
        _first(reasons, f["lead_id"] == "", "empty lead_id")
        created, why = parse_timestamps(f["created_at"], ctx.cmap.date_format, ctx.naive_zone,
                                        ctx.cmap.timezone, "created_at")
        reasons = np.where((reasons == "") & (why != ""), why, reasons)
        _first(reasons, created.isna().to_numpy(), "empty created_at")
        _first(reasons, f["source"] == "", "empty source")
        zone = f["timezone"] if "timezone" in f else pd.Series([""] * len(f), index=f.index)
        for name in zone.unique():
            if name and name not in zones_ok:
                try:
                    check_timezone(name)
                    zones_ok[name] = True
                except ValueError:
                    zones_ok[name] = False
        _first(reasons, zone.map(lambda z: bool(z) and not zones_ok.get(z, True)).to_numpy(dtype=bool),
               "unknown lead time zone")
        value = pd.to_numeric(f["value"], errors="coerce") if "value" in f else pd.Series(np.nan, index=f.index)
        if "value" in f:
            _first(reasons, (f["value"] != "").to_numpy() & value.isna().to_numpy(), "value is not a number")
        if "converted_at" in f:
            conv, why_c = parse_timestamps(f["converted_at"], ctx.cmap.date_format, ctx.naive_zone,
                                           ctx.cmap.timezone, "converted_at")
            reasons = np.where((reasons == "") & (why_c != ""), why_c, reasons)
            _first(reasons, (conv < created).to_numpy(), "converted_at before created_at")
        else:
            conv = pd.Series(pd.NaT, index=f.index, dtype="datetime64[ns, UTC]")
        keep = _reject(ctx, kind, file, chunk, reasons)
        parts.append(pd.DataFrame({
            "lead_id": f["lead_id"][keep].to_numpy(dtype=object),
            "created": _stamps(created[keep]), "source": f["source"][keep].to_numpy(dtype=object),
            "timezone": zone[keep].to_numpy(dtype=object), "value": value[keep].to_numpy(dtype=float),
            "converted": _stamps(conv[keep]), "line": chunk.lines[keep],
        }))
    leads = pd.concat(parts, ignore_index=True) if parts else _empty_leads()
    dup = leads["lead_id"].duplicated(keep="first").to_numpy()
    if dup.any():
        ctx.quarantine.add(kind, file, leads["line"][dup], ["duplicate lead_id (first occurrence kept)"] * int(dup.sum()),
                           _lead_rows(leads[dup]))
        leads = leads[~dup].reset_index(drop=True)
    leads["created"] = pd.to_datetime(leads["created"], utc=True)
    leads["converted"] = pd.to_datetime(leads["converted"], utc=True)
    leads["source"] = leads["source"].astype("category")
    leads["timezone"] = leads["timezone"].astype("category")
    summary.rows_used = len(leads)
    summary.quarantined = ctx.quarantine.by_kind(kind)
    summary.notes["converted"] = int(leads["converted"].notna().sum())
    return leads, summary


def _lead_rows(leads: pd.DataFrame) -> list[str]:
    """Quarantine text of kept-then-duplicate leads, rebuilt from their parsed fields.

    The raw text of every lead is not kept until the end (it would double the leads'
    memory) only to show the few duplicates.
    """
    return [f"{r.lead_id},{pd.Timestamp(r.created).isoformat()},{r.source},{r.timezone}"
            for r in leads.itertuples(index=False)]


def _empty_leads() -> pd.DataFrame:
    return pd.DataFrame({"lead_id": pd.Series(dtype=object), "created": pd.Series(dtype="datetime64[ns, UTC]"),
                         "source": pd.Series(dtype=object), "timezone": pd.Series(dtype=object),
                         "value": pd.Series(dtype=float), "converted": pd.Series(dtype="datetime64[ns, UTC]"),
                         "line": pd.Series(dtype=np.int64)})


# ---------------------------------------------------------------- activities and calls


def parse_durations(text: pd.Series, unit: str) -> pd.Series:
    """Durations in seconds (NaN where they do not parse)."""
    if unit == "hh:mm:ss":
        return pd.to_timedelta(text.where(text != "", None), errors="coerce").dt.total_seconds()
    number = pd.to_numeric(text, errors="coerce")
    scale = {"seconds": 1.0, "milliseconds": 0.001, "minutes": 60.0}[unit]
    return number * scale


def crosses_midnight(start: pd.Series, seconds: np.ndarray, zone: str) -> np.ndarray:
    """Whether [start, start + seconds] spans a local midnight in ``zone``."""
    if len(start) == 0:
        return np.zeros(0, dtype=bool)
    # Compare wall-clock dates (naive): normalize() on an aware index fails where midnight does not exist.
    begin = pd.DatetimeIndex(start).tz_convert(zone).tz_localize(None)
    end = (pd.DatetimeIndex(start) + pd.to_timedelta(np.nan_to_num(seconds), unit="s")).tz_convert(zone).tz_localize(None)
    return np.asarray(begin.normalize() != end.normalize()) & ~pd.isna(start).to_numpy()


def _stamps(series: pd.Series) -> pd.DatetimeIndex:
    """Timestamps kept as a tz-aware datetime64 index (``to_numpy`` would box each one as an object)."""
    return pd.DatetimeIndex(series)


def utc_ns(stamps: pd.Series) -> np.ndarray:
    """Nanoseconds since 1970 (UTC) of a tz-aware series, whatever its pandas resolution."""
    naive = pd.DatetimeIndex(stamps).tz_convert("UTC").tz_localize(None)
    return np.asarray(naive.to_numpy(dtype="datetime64[ns]").astype(np.int64))


class _SeenHashes:
    """Row fingerprints seen so far (sorted uint64), to find duplicates across chunks."""

    def __init__(self) -> None:
        self.sorted = np.zeros(0, dtype=np.uint64)

    def duplicates(self, hashes: np.ndarray) -> np.ndarray:
        """Mask of fingerprints already seen (earlier chunks or earlier in this one); remember them."""
        within = pd.Series(hashes).duplicated(keep="first").to_numpy()
        pos = np.searchsorted(self.sorted, hashes)
        before = (pos < self.sorted.size) & (self.sorted[np.minimum(pos, self.sorted.size - 1)] == hashes) \
            if self.sorted.size else np.zeros(hashes.size, dtype=bool)
        self.sorted = np.sort(np.concatenate([self.sorted, hashes[~within & ~before]]), kind="stable")
        return within | before


def read_activities(path: Path, ctx: ReadContext, leads: pd.DataFrame | None) -> tuple[pd.DataFrame, ReadSummary]:
    """Read and validate an activity log (against the leads, when given).

    Returns:
        (activities: ``lead`` (int64 row in ``leads``, or a code when no leads were
        given), ``rep`` (category), ``started`` (UTC), ``channel``, ``outcome``
        (categories), ``duration`` (float32 seconds); the summary).
    """
    file, kind = str(path), "activities"
    summary = ReadSummary(kind, file)
    section = ctx.cmap.activities
    seen = _SeenHashes()
    lead_index = pd.Index(leads["lead_id"]) if leads is not None else None
    created_ns = utc_ns(leads["created"]) if leads is not None else None
    parts: list[pd.DataFrame] = []
    lead_cats: list[pd.Categorical] = []
    crossing = 0
    for chunk in _chunks(path, kind, ctx, summary):
        f = chunk.frame
        reasons = np.full(len(f), "", dtype=object)
        _first(reasons, f["lead_id"] == "", "empty lead_id")
        started, why = parse_timestamps(f["started_at"], ctx.cmap.date_format, ctx.naive_zone,
                                        ctx.cmap.timezone, "started_at")
        reasons = np.where((reasons == "") & (why != ""), why, reasons)
        _first(reasons, started.isna().to_numpy(), "empty started_at")
        channel = f["channel"].str.lower()
        _first(reasons, ~channel.isin(canonical.CHANNELS).to_numpy(), "unknown channel")
        is_call = (channel == "call").to_numpy()
        outcome = f["outcome"]
        if section.default_outcome is not None:
            outcome = outcome.where(outcome.isin(canonical.ACTIVITY_OUTCOMES) | ~is_call, section.default_outcome)
        known = outcome.isin(canonical.ACTIVITY_OUTCOMES).to_numpy()
        _first(reasons, is_call & ~known, "unknown outcome")
        outcome = outcome.where(is_call, "")
        dur = parse_durations(f["duration_seconds"], section.duration_unit)
        empty_dur = (f["duration_seconds"] == "").to_numpy()
        dur = dur.where(~(empty_dur & ~is_call), 0.0)
        _first(reasons, dur.isna().to_numpy(), "duration is not a number")
        _first(reasons, (dur < 0).to_numpy(), "negative duration")
        _first(reasons, (dur > ctx.cmap.max_duration_seconds).to_numpy(),
               f"absurd duration (over {ctx.cmap.max_duration_seconds:g} s)")
        _first(reasons, is_call & (f["rep_id"] == "").to_numpy(), "call without rep_id")
        code = np.full(len(f), -1, dtype=np.int64)
        if lead_index is not None and created_ns is not None:
            code = lead_index.get_indexer(f["lead_id"])
            _first(reasons, (code < 0) & (reasons == ""), "activity for an unknown lead")
            start_ns = utc_ns(started)
            before = (code >= 0) & (start_ns < created_ns[np.maximum(code, 0)])
            _first(reasons, before & ~started.isna().to_numpy(), "activity before its lead was created")
        fingerprint = pd.util.hash_pandas_object(pd.DataFrame({
            "l": f["lead_id"], "r": f["rep_id"], "s": started.astype("int64"), "c": channel, "o": outcome,
            "d": dur.fillna(-1)}), index=False).to_numpy()
        ok_so_far = reasons == ""
        dups = np.zeros(len(f), dtype=bool)
        dups[ok_so_far] = seen.duplicates(fingerprint[ok_so_far])
        _first(reasons, dups, "duplicate activity (first occurrence kept)")
        keep = _reject(ctx, kind, file, chunk, reasons)
        seconds = dur[keep].to_numpy(dtype=float)
        crossing += int(crosses_midnight(started[keep], seconds, ctx.floor_zone).sum())
        if lead_index is None:
            lead_cats.append(pd.Categorical(f["lead_id"][keep]))
        parts.append(pd.DataFrame({
            "lead": code[keep],
            "rep": pd.Categorical(f["rep_id"][keep]),
            "started": _stamps(started[keep]),
            "channel": pd.Categorical(channel[keep], categories=canonical.CHANNELS),
            "outcome": pd.Categorical(outcome[keep], categories=("",) + canonical.ACTIVITY_OUTCOMES),
            "duration": seconds.astype(np.float32),
        }))
    acts = _concat_activities(parts, lead_cats)
    summary.rows_used = len(acts)
    summary.quarantined = ctx.quarantine.by_kind(kind)
    summary.notes["calls_crossing_midnight_used"] = crossing
    return acts, summary


def _concat_activities(parts: list[pd.DataFrame], lead_cats: list[pd.Categorical]) -> pd.DataFrame:
    from pandas.api.types import union_categoricals

    if not parts:
        return pd.DataFrame({"lead": pd.Series(dtype=np.int64), "rep": pd.Categorical([]),
                             "started": pd.Series(dtype="datetime64[ns, UTC]"),
                             "channel": pd.Categorical([], categories=canonical.CHANNELS),
                             "outcome": pd.Categorical([], categories=("",) + canonical.ACTIVITY_OUTCOMES),
                             "duration": pd.Series(dtype=np.float32)})
    reps = union_categoricals([p["rep"].array for p in parts])
    acts = pd.concat(parts, ignore_index=True)
    acts["rep"] = reps
    if lead_cats:
        acts["lead"] = union_categoricals(lead_cats).codes.astype(np.int64)
    acts["started"] = pd.to_datetime(acts["started"], utc=True)
    return acts


def echo_progress(kind: str, rows: int) -> None:
    """A default progress reporter: one line per chunk on stderr."""
    print(f"reading {kind}: {rows:,} rows", file=sys.stderr, flush=True)
