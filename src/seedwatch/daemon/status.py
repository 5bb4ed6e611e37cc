"""The status table: one row per source, from the config and the state.

The same rows make ``seedwatch status`` (a terminal table) and the status
page at ``/`` of the health server (plain HTML with an inline SVG chart of
the last 7 days, no external assets), so both always tell the same truth.
Every text from the state (errors, reasons, URLs: server text) is escaped for
its medium: HTML-escaped on the page, control characters escaped in the table.
URLs and the messages that quote them are redacted here (``seedwatch.redact``):
a private feed's token is shown to no one.
"""

from __future__ import annotations

import html
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta

from seedwatch import __version__
from seedwatch.daemon.metrics import source_health
from seedwatch.daemon.schedule import effective_url
from seedwatch.models import Source
from seedwatch.redact import redact_text, redact_url
from seedwatch.state.store import SourceState
from seedwatch.terminal import printable

DAYS = 7
_BLOCKS = "·▁▂▃▄▅▆▇█"  # a dot for a day with nothing


@dataclass(frozen=True, slots=True)
class SourceRow:
    id: str
    kind: str
    location: str
    moved_from: str | None
    state: str  # ok | failing | parked | new | disabled
    last_poll: datetime | None
    outcome: str | None
    next_poll: datetime | None
    next_reason: str | None
    per_day: tuple[int, ...]  # items accepted on each of the last DAYS days, oldest first
    items: int
    consecutive_errors: int
    error_counts: Mapping[str, int]
    last_error: str | None
    parked_reason: str | None


def rows(
    sources: Sequence[tuple[Source, bool]],
    states: Mapping[str, SourceState],
    per_day: Mapping[str, Mapping[str, int]],
    today: datetime,
) -> list[SourceRow]:
    """``sources`` are (source, enabled) pairs in config order; ``per_day`` is
    ``Store.items_by_day``; ``today`` the moment whose UTC day ends the chart."""
    days = [(today - timedelta(days=n)).date().isoformat() for n in range(DAYS - 1, -1, -1)]
    out = []
    for source, enabled in sources:
        st = states.get(source.id) or SourceState(id=source.id)
        url = effective_url(source, st)
        state = (
            source_health(st.parked, st.consecutive_errors, st.last_poll is not None)
            if enabled
            else "disabled"
        )
        counts = per_day.get(source.id, {})
        out.append(
            SourceRow(
                id=source.id,
                kind=source.kind,
                location=redact_text(url or source.location),
                moved_from=redact_url(source.url) if source.url and url != source.url else None,
                state=state,
                last_poll=st.last_poll,
                outcome=st.last_outcome or (st.last_error_category and "error"),
                next_poll=st.next_poll if enabled else None,
                next_reason=_shown(st.next_poll_reason),
                per_day=tuple(counts.get(day, 0) for day in days),
                items=st.items_accepted,
                consecutive_errors=st.consecutive_errors,
                error_counts=dict(st.error_counts),
                last_error=_shown(st.last_error) if st.consecutive_errors or st.parked else None,
                parked_reason=_shown(st.parked_reason) if st.parked else None,
            )
        )
    return out


def _shown(message: str | None) -> str | None:
    return redact_text(message) if message else message


def _when(moment: datetime | None, now: datetime, *, due: bool = False) -> str:
    """ "in 5m" or "5m ago"; with ``due``, a moment already past is "due now"
    (a next poll no daemon has made yet)."""
    if moment is None:
        return "-"
    seconds = (moment - now).total_seconds()
    ahead = seconds > 0
    if due and not ahead:
        return "due now"
    seconds = abs(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size or unit == "s":
            span = f"{seconds / size:.0f}{unit}"
            break
    return f"in {span}" if ahead else f"{span} ago"


def _errors(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "-"


def sparkline(values: Sequence[int]) -> str:
    top = max(values, default=0)
    if not top:
        return "·" * len(values)
    return "".join(_BLOCKS[0 if v == 0 else max(1, round(v / top * 8))] for v in values)


# -- the terminal ---------------------------------------------------------------


def text_table(table: Sequence[SourceRow], now: datetime, width: int = 80) -> str:
    """The table, fitted to ``width`` columns (long source ids are shortened in
    the table; the notes under it, wrapped, name them in full): a moved URL,
    why a source is parked or failing, and why each next poll is when it is."""
    header: tuple[str, ...] = (
        "SOURCE",
        "STATE",
        "LAST POLL",
        "NEXT POLL",
        "7 DAYS",
        "ITEMS",
        "ERRORS",
    )
    lines = [header]
    notes = []
    why = []
    for r in table:
        last = _when(r.last_poll, now)
        lines.append(
            (
                r.id,
                r.state,
                f"{r.outcome}, {last}" if r.outcome and r.last_poll else last,
                _when(r.next_poll, now, due=True),
                sparkline(r.per_day),
                str(r.items),
                _errors(r.error_counts),
            )
        )
        if r.moved_from:
            notes.append(f"{r.id}: moved permanently to {r.location} (config: {r.moved_from})")
        if r.parked_reason:
            notes.append(f"{r.id}: parked: {r.parked_reason}; `seedwatch sources resume {r.id}`")
        if r.last_error:
            notes.append(f"{r.id}: {r.consecutive_errors} failure(s) in a row: {r.last_error}")
        if r.next_reason and r.next_poll is not None:
            why.append(f"{r.id}: {r.next_reason}")
    # Errors, reasons and moved URLs hold server text: one line each, nothing a
    # terminal would act on.
    lines = [(*(printable(cell) for cell in line),) for line in lines]
    notes = [printable(note) for note in notes]
    why = [printable(line) for line in why]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    overflow = sum(widths) + 2 * (len(widths) - 1) - width
    if overflow > 0:
        widths[0] = max(len(header[0]), widths[0] - overflow)
    text = [
        "  ".join(
            _fit(cell, w) if i == 0 else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(line, widths, strict=True))
        ).rstrip()
        for line in lines
    ]
    wrap = textwrap.TextWrapper(
        width=width, initial_indent="  ", subsequent_indent="      ", break_on_hyphens=False
    )
    text += [wrap.fill(note) for note in notes]
    if why:
        text.append("next polls, why:")
        text += [wrap.fill(line) for line in why]
    return "\n".join(text)


def _fit(cell: str, width: int) -> str:
    return cell.ljust(width) if len(cell) <= width else cell[: width - 1] + "…"


def row_json(r: SourceRow) -> dict[str, object]:
    """One row as JSON (``seedwatch status --json``): dates ISO 8601, UTC."""
    out: dict[str, object] = {}
    for f in fields(SourceRow):
        name, value = f.name, getattr(r, f.name)
        if isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, tuple):
            value = list(value)
        elif isinstance(value, Mapping):
            value = dict(value)
        out[name] = value
    return out


# -- the page -------------------------------------------------------------------

_STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;width:100%}th,td{padding:.3em .6em;border-bottom:1px solid #ddd;
text-align:left;vertical-align:top}th{background:#f4f4f4}td.n{text-align:right}
.ok{color:#17692b}.failing{color:#a35b00}.parked{color:#b00020;font-weight:bold}
.new,.disabled{color:#666}small{color:#666}svg rect{fill:#4a7bd0}svg rect.day{fill:#e4e4e4}
td.nw{white-space:nowrap}
"""


def _chart(values: Sequence[int]) -> str:
    top = max(values, default=0) or 1
    bars = []
    for n, v in enumerate(values):
        h = round(v / top * 20)
        bars.append(f'<rect class="day" x="{n * 8}" y="19" width="6" height="1"/>')
        bars.append(
            f'<rect x="{n * 8}" y="{20 - h}" width="6" height="{h}"><title>{v}</title></rect>'
        )
    label = ", ".join(str(v) for v in values)
    return (
        f'<svg width="{len(values) * 8}" height="20" role="img" '
        f'aria-label="items per day: {label}">{"".join(bars)}</svg>'
    )


def _cell(value: str, cls: str = "") -> str:
    attr = f' class="{cls}"' if cls else ""
    return f"<td{attr}>{value}</td>"


def count(n: int, noun: str) -> str:
    """``1 source``, ``2 sources``: the plural only where it belongs."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


_ATTENTION = {"parked": 0, "failing": 1}  # first on the page, in this order
REFRESH = 30  # seconds between the page's reloads of itself


def page(
    table: Sequence[SourceRow],
    corpus: Mapping[str, int | str],
    health: str,
    now: datetime,
    *,
    reasons: Sequence[str] = (),
) -> str:
    """The status page: the health and its reasons, the sources (parked and
    failing ones first, then config order), then the corpus; it reloads
    itself every ``REFRESH`` seconds and is re-rendered on every load."""
    e = html.escape
    body = []
    ordered = sorted(table, key=lambda r: _ATTENTION.get(r.state, len(_ATTENTION)))
    for r in ordered:
        where = e(r.location)
        if r.moved_from:
            where += f"<br><small>moved from {e(r.moved_from)}</small>"
        error = e(r.last_error or "")
        if r.parked_reason:
            error = f"parked: {e(r.parked_reason)}<br>{error}"
        next_poll = e(_when(r.next_poll, now))
        if r.next_reason and r.state != "disabled":
            next_poll += f"<br><small>{e(r.next_reason)}</small>"
        body.append(
            "<tr>"
            + _cell(f"<b>{e(r.id)}</b><br><small>{e(r.kind)}: {where}</small>")
            + _cell(e(r.state), r.state)
            + _cell(e(_when(r.last_poll, now)))
            + _cell(e(r.outcome or "-"))
            + _cell(next_poll)
            + _cell(_chart(r.per_day))
            + _cell(str(r.items), "n")
            + _cell(e(_errors(r.error_counts)), "nw")
            + _cell(error)
            + "</tr>"
        )
    why = ""
    if reasons:
        items = "".join(f"<li>{e(reason)}</li>" for reason in reasons)
        why = f'<ul id="health-reasons">{items}</ul>'
    summary = "".join(
        f"<tr><th>{e(str(k))}</th><td class='n'>{e(str(v))}</td></tr>" for k, v in corpus.items()
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>seedwatch status</title>
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="refresh" content="{REFRESH}">
<style>{_STYLE}</style></head><body>
<h1>seedwatch status</h1>
<p>Health: <b class="{e(health)}" id="health">{e(health)}</b> · {count(len(table), "source")} ·
rendered {e(now.isoformat(timespec="seconds"))} · seedwatch {e(__version__)} · refreshed
every {REFRESH}s</p>
{why}
<table id="sources"><thead><tr><th>Source</th><th>State</th><th>Last poll</th><th>Outcome</th>
<th>Next poll</th><th>Last 7 days</th><th>Items</th><th>Errors</th><th>Last error</th></tr>
</thead><tbody>
{"".join(body)}
</tbody></table>
<h2>Corpus</h2>
<table id="corpus">{summary}</table>
</body></html>
"""
