"""The report page: one HTML file with its charts embedded as base64 PNG, nothing fetched from anywhere.

Why one file and no script: a reviewer can open it from a zip, a mail or an offline laptop and see the
same thing; there is no JavaScript, no web font, no stylesheet or image from the network, and no link
to an address. Every number shown also appears in a table, so readers who cannot see the charts, and
the tests, can read the same figures. Text from the release is HTML-escaped.
"""

from __future__ import annotations

import base64
from html import escape
from typing import Any

from .charts import colours, horizontal_bars, monthly_stacked, paired_bars
from .figures import Figures
from .mapping import BOUNDARY_CREDIT, event_map
from .meta import CAVEAT

CSS = """
body{font-family:"DejaVu Sans",Verdana,sans-serif;max-width:980px;margin:1.5em auto;padding:0 1em;color:#1a1a1a;
line-height:1.45}
h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.2em;border-bottom:1px solid #ccc;margin-top:2em}
.caveat{border-left:4px solid #D55E00;background:#fdf3ec;padding:.6em 1em}
dl.headline{display:grid;grid-template-columns:repeat(3,1fr);gap:.6em}
dl.headline div{background:#f3f6f9;padding:.5em .8em;border-radius:4px}
dl.headline dt{font-size:.85em;color:#444}dl.headline dd{margin:0;font-size:1.2em;font-weight:bold}
#h-period{white-space:nowrap}
table{border-collapse:collapse;margin:.6em 0;font-size:.9em}
th,td{border-bottom:1px solid #ddd;padding:.2em .6em;text-align:left}td.n,th.n{text-align:right}
img{max-width:100%;height:auto}figure{margin:1em 0}figcaption{font-size:.85em;color:#444}
.cols{display:grid;grid-template-columns:1fr 1fr;gap:1.5em}pre{background:#f6f6f6;padding:.6em;overflow-x:auto}
"""


HEADLINE_COUNTRIES = 6


def _n(value: int) -> str:
    return f"{value:,}"


def _pct(part: int, whole: int) -> str:
    return f"{100.0 * part / whole:.1f} %" if whole else "–"


def _img(data: bytes, alt: str, element_id: str, caption: str) -> str:
    b64 = base64.b64encode(data).decode("ascii")
    return (f'<figure><img id="{element_id}" src="data:image/png;base64,{b64}" alt="{escape(alt)}">'
            f"<figcaption>{escape(caption)}</figcaption></figure>")


def _table(element_id: str, header: list[str], rows: list[list[Any]], numeric: set[int] | None = None) -> str:
    numeric = numeric or set()
    head = "".join(f'<th{" class=n" if i in numeric else ""}>{escape(h)}</th>' for i, h in enumerate(header))
    body = "".join(
        "<tr>" + "".join(f'<td{" class=n" if i in numeric else ""}>{escape(_n(c) if isinstance(c, int) else str(c))}</td>'
                         for i, c in enumerate(row)) + "</tr>" for row in rows)
    return f'<table id="{element_id}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def countries_text(countries: list[str]) -> str:
    """The names, or their number when there are too many for a headline (the coverage lists them all)."""
    if not countries:
        return "none"
    return ", ".join(countries) if len(countries) <= HEADLINE_COUNTRIES else f"{len(countries):,} countries"


def _headline(f: Figures) -> str:
    h = f.headline
    period = f"{h.first_date} to {h.last_date}" if h.first_date else "no events"
    items = [("events", "Events", _n(h.events)),
             ("fatalities", "Fatalities (lowest reported figures)", _n(h.fatalities)),
             *_range_items(f),
             ("reports", "Reports (rows of the sources table)", _n(h.reports)),
             ("publishers", "Publishers", _n(h.publishers)),
             ("languages", "Languages of the reports", _n(h.languages)),
             ("period", "Period (event dates)", period),
             ("countries", "Countries", countries_text(h.countries)),
             ("governorates", "Governorates (admin1 units) with events", _n(h.governorates))]
    cells = "".join(f'<div><dt>{escape(label)}</dt><dd id="h-{key}">{escape(value)}</dd></div>'
                    for key, label, value in items)
    return f'<dl class="headline" id="headline">{cells}</dl>'


def _range_items(f: Figures) -> list[tuple[str, str, str]]:
    r = f.uncertainty.ranges
    if r is None:
        return []
    return [("fatalities-best", "Fatalities (most credible figures)", _n(r.best)),
            ("fatalities-high", "Fatalities (highest reported figures)", _n(r.high)),
            ("fatalities-unknown", "Events for which no report gave a death toll", _n(r.unknown))]


def _agreement(f: Figures) -> str:
    """Measured agreement of a blind second coder (issue 15), as the release's own table gives it."""
    u = f.uncertainty
    if not u.agreement:
        why = ("this release's agreement table is empty: no blind second coding was completed for it"
               if u.has_agreement_table else "this release predates the agreement table (from 2.1.0)")
        return f'<h3>Coder agreement</h3><p id="agreement-none">Not measured: {escape(why)}.</p>'
    rows = [[r.sample, r.measure, r.agreements, r.samples,
             f"{r.value:.3f}" if "alpha" in r.measure else _pct(r.agreements, r.samples)] for r in u.agreement]
    return ("<h3>Coder agreement</h3><p>A second coder re-coded a random sample of events from the cited reports "
            "alone, without seeing the first coding; each row is the share of sampled events on which both "
            "codings agree under the stated rule, or Krippendorff's alpha (nominal). Neither ACLED nor UCDP "
            "publishes such a measure. Protocol and every disagreement: curation/agreement/ in the "
            "repository.</p>"
            + _table("agreement", ["sample", "measure", "agreements", "sampled events", "agreement or alpha"],
                     rows, {2, 3, 4}))


def _coverage(f: Figures) -> str:
    h = f.headline
    where = ", ".join(h.countries) or "no country"
    lines = [f"This release holds {_n(h.events)} events in {where} ({_n(h.governorates)} governorates), "
             f"dated {h.first_date or '–'} to {h.last_date or '–'}; its sources table lists {_n(h.reports)} reports."]
    lines += f.meta.coverage
    items = "".join(f"<li>{escape(x)}</li>" for x in lines)
    return f'<ul id="coverage">{items}</ul><p class="caveat" id="caveat"><strong>{escape(CAVEAT)}</strong></p>'


def _monthly(f: Figures) -> str:
    if not f.months:
        return "<p>No events, so no monthly counts.</p>"
    chart = monthly_stacked(f.months, f.monthly_events, f.monthly_fatalities, f.event_types)
    types = [t for t in f.event_types if t in f.monthly_events]
    rows = [[m] + [f.monthly_events[t][i] for t in types] + [sum(f.monthly_fatalities[t][i] for t in types)]
            for i, m in enumerate(f.months)]
    table = _table("monthly", ["month"] + types + ["fatalities"], rows, set(range(1, len(types) + 2)))
    return (_img(chart, "Stacked bar charts of events and of fatalities per month by event type", "chart-monthly",
                 "Events (top) and fatalities (bottom) per calendar month, stacked by event type. Fatalities are "
                 "the sum of the lowest figure each event's reports give.")
            + f"<details><summary>The numbers behind both charts</summary>{table}</details>")


def _types(f: Figures) -> str:
    if not f.sub_event_types:
        return "<p>No events.</p>"
    palette = colours(f.event_types)
    labels = [s for _, s, _ in f.sub_event_types]
    chart = horizontal_bars(labels, [n for *_, n in f.sub_event_types], [palette[t] for t, _, _ in f.sub_event_types],
                            "Events (count)", "Sub-event type", "Events by sub-event type",
                            {t: palette[t] for t in f.event_types if any(r[0] == t for r in f.sub_event_types)})
    table = _table("sub-event-types", ["event type", "sub-event type", "events"],
                   [list(r) for r in f.sub_event_types], {2})
    return _img(chart, "Bar chart of events by sub-event type", "chart-sub-event-types",
                "Events per sub-event type, coloured by the event type it belongs to.") + table


def _actors(f: Figures) -> str:
    panels = [([a for a, _ in rows], [n for _, n in rows], f"Ten most frequent {role}")
              for role, rows in (("actor1", f.top_actor1), ("actor2", f.top_actor2))]
    if not f.top_actor1 and not f.top_actor2:
        return "<p>No event names an actor.</p>"
    chart = paired_bars(panels, "#0072B2", "Events (count)", "Actor name")
    tables = "".join(
        f"<div>{_table(f'top-{role}', [role, 'events'], [list(r) for r in rows], {1})}</div>" if rows
        else f"<div><p>No event names an {role}.</p></div>"
        for role, rows in (("actor1", f.top_actor1), ("actor2", f.top_actor2)))
    return (_img(chart, "Bar charts of the ten most frequent actor1 and actor2 values", "chart-top-actors",
                 "Events in which the actor is actor1 (left) and actor2 (right).")
            + f'<div class="cols">{tables}</div>')


def _map(f: Figures) -> str:
    chart = event_map(f.points, f.event_types, "Events by place, type and fatalities")
    shown = int(sum(f.points.get("events", []))) if len(f.points.get("events", [])) else 0
    return _img(chart, "Map of events over governorate boundaries", "chart-map",
                f"One marker per event ({_n(shown)} events with coordinates), coloured by event type and sized by "
                f"fatalities; events at the same place with the same type and fatalities coincide. {BOUNDARY_CREDIT}")


def _quality(f: Figures) -> str:
    total = f.headline.events
    prec = [[code, meaning, n, _pct(n, total)] for code, meaning, n in f.time_precision]
    geo = [[code, meaning, n, _pct(n, total)] for code, meaning, n in f.geo_precision]
    pubs = [[p, n, _pct(n, f.headline.reports)] for p, n in f.reports_by_publisher]
    more, more_reports = f.publishers_not_shown
    if more:
        pubs.append([f"{_n(more)} other publishers", more_reports, _pct(more_reports, f.headline.reports)])
    langs = [[lang, n, _pct(n, f.headline.reports)] for lang, n in f.reports_by_language]
    return (f'<p>Events with two or more reports: <strong id="q-multi">{_n(f.multi_report_events)}</strong> of '
            f'{_n(total)} (<span id="q-multi-share">{_pct(f.multi_report_events, total)}</span>).</p>'
            '<div class="cols"><div><h3>Time precision</h3>'
            + _table("time-precision", ["code", "the report fixes", "events", "share"], prec, {2, 3})
            + "</div><div><h3>Geographic precision</h3>"
            + _table("geo-precision", ["code", "the report fixes", "events", "share"], geo, {2, 3})
            + "</div><div><h3>Reports by publisher</h3>"
            + _table("publishers", ["publisher", "reports", "share"], pubs, {1, 2})
            + "</div><div><h3>Reports by language</h3>"
            + _table("languages", ["language (ISO 639-1)", "reports", "share"], langs, {1, 2}) + "</div></div>"
            + _agreement(f))


def _changes(f: Figures) -> str:
    c, version = f.meta.changes, f.meta.version
    counts = _table("changes", ["change", "events"],
                    [["added", c.added], ["modified", c.modified], ["deleted", c.deleted]], {1})
    fields = (_table("changed-fields", ["field", "events changed"], [list(r) for r in c.fields], {1})
              if c.fields else "<p>No field of an existing event changed.</p>")
    if c.previous is None:
        rule = (f"No previous release was given (or {version} is the first release), so the version rule is "
                f"not shown; the counts compare {version} with the release before it as recorded when "
                f"{version} was built.")
    else:
        why = "; ".join(d for _, d in c.schema_changes) or "no column or vocabulary changed"
        rule = (f"{c.previous} → {version} is a {c.bump} bump. Semantic versioning for data: a removed or "
                f"retyped column or vocabulary value needs a major bump, added or deleted events a minor one, "
                f"corrected values a patch. This change needs at least a {c.required} bump ({why}).")
    against = f"Against the previous release, {c.previous}." if c.previous else "Against the previous release."
    return f'<p>{escape(against)}</p>{counts}<h3>Fields that changed most</h3>{fields}<p id="version-rule">{escape(rule)}</p>'


def _cite(f: Figures) -> str:
    cff = f.meta.citation
    authors = ", ".join(str(a.get("name") or " ".join(filter(None, (a.get("given-names"), a.get("family-names")))))
                        for a in cff.get("authors", []) if isinstance(a, dict)) or "OpenConflict contributors"
    date = str(cff.get("date-released") or f.meta.created)
    title = str(cff.get("title") or f.meta.title)
    version = str(cff.get("version") or f.meta.version)
    lic = str(cff.get("license") or ", ".join(f.meta.licenses))
    text = f"{authors} ({date[:4]}). {title}, version {version} (released {date}). Licence: {lic}."
    return (f'<p id="citation">{escape(text)}</p><p>The release folder holds the same citation as '
            f"CITATION.cff. {escape(str(cff.get('message', '')))}</p>")


def render_html(f: Figures) -> str:
    """The whole page as text (UTF-8, no external references)."""
    m = f.meta
    title = f"OpenConflict {m.version}: release report"
    sections = [("headline-figures", "Headline figures", _headline(f)),
                ("coverage-statement", "Coverage and its limits", _coverage(f)),
                ("over-time", "Events and fatalities over time", _monthly(f)),
                ("event-types", "Event and sub-event types", _types(f)),
                ("actors", "Most frequent actors", _actors(f)),
                ("map", "Where the events are", _map(f)),
                ("data-quality", "Data quality", _quality(f)),
                ("what-changed", "What changed", _changes(f)),
                ("how-to-cite", "How to cite this version", _cite(f))]
    body = "".join(f'<section id="{sid}"><h2>{escape(h)}</h2>{content}</section>' for sid, h, content in sections)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{escape(title)}</title><style>{CSS}</style></head><body>"
            f"<h1>{escape(title)}</h1><p id=\"subtitle\">{escape(m.title)}. Release {escape(m.version)} of "
            f"{escape(m.created)}; data licence {escape(', '.join(m.licenses) or 'not stated')}. Every figure on this "
            "page is computed from the release's own tables.</p>"
            f"{body}</body></html>\n")
