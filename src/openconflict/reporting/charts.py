"""Static charts of the release report, drawn with matplotlib's Agg renderer into PNG bytes.

Why static PNG through Agg: a release file must be byte-reproducible, so nothing may depend on the
machine's fonts, the user's matplotlibrc, the clock or a random seed. Every chart is drawn inside a
clean rc context (matplotlib's defaults, DejaVu Sans, which matplotlib ships), on a ``Figure`` of fixed
size and resolution without pyplot's global state, and saved without the "Software" text chunk.
Colours are the Okabe-Ito palette, which readers with the common colour-vision deficiencies can tell
apart; every chart has axis labels with units.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: Okabe & Ito (2008), "Color Universal Design": orange, sky blue, bluish green, yellow, blue,
#: vermillion, reddish purple, black.
OKABE_ITO = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000"]
#: Event types in the vocabulary's order get these palette slots (vermillion for battles, and so on).
_SLOTS = [5, 1, 6, 4, 0, 2, 3, 7]
DPI = 100
RC = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.hashsalt": "openconflict-report",
    "path.simplify": True,
    "agg.path.chunksize": 10000,
}


def colours(types: Sequence[str]) -> dict[str, str]:
    """A fixed colour per event type, in the order the release's vocabulary lists them."""
    return {t: OKABE_ITO[_SLOTS[i % len(_SLOTS)]] for i, t in enumerate(types)}


@contextmanager
def figure(width: float, height: float) -> Iterator[Figure]:
    """A fresh figure under matplotlib's default settings plus ours, whatever the user configured."""
    import matplotlib
    from matplotlib.figure import Figure

    with matplotlib.rc_context():
        matplotlib.rcdefaults()
        matplotlib.rcParams.update(RC)
        yield Figure(figsize=(width, height), dpi=DPI)


def png(fig: Figure) -> bytes:
    """The figure as PNG bytes: no text chunks, so the bytes depend only on the drawing."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return buf.getvalue()


def _bars(ax: Axes, x: Any, bottom: Any, height: Any, colour: str, label: str) -> None:
    """Vertical bars as one PolyCollection: as drawn by ``ax.bar``, without a patch object per bar."""
    import numpy as np
    from matplotlib.collections import PolyCollection

    keep = height > 0
    x0, x1 = x[keep] - 0.4, x[keep] + 0.4
    y0, y1 = bottom[keep], bottom[keep] + height[keep]
    verts = np.stack([np.stack([x0, y0], 1), np.stack([x0, y1], 1), np.stack([x1, y1], 1),
                      np.stack([x1, y0], 1)], 1)
    ax.add_collection(PolyCollection(verts, facecolors=colour, edgecolors="none", linewidths=0, label=label))


def _stacked_panel(ax: Axes, months: Sequence[str], series: dict[str, list[int]], order: Sequence[str],
                   palette: dict[str, str], ylabel: str, title: str) -> None:
    import numpy as np

    x = np.arange(len(months), dtype=float)
    bottom = np.zeros(len(months))
    for kind in order:
        values = np.asarray(series.get(kind, [0] * len(months)), dtype=float)
        if values.any():
            _bars(ax, x, bottom, values, palette[kind], kind)
            bottom += values
    ax.set_ylim(0, max(1.0, float(bottom.max(initial=0))) * 1.05)
    ax.set_xlim(-0.6, len(months) - 0.4)
    ax.set_ylabel(ylabel)
    ax.set_title(title, loc="left")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.grid(axis="y", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)


def monthly_stacked(months: Sequence[str], events: dict[str, list[int]], fatalities: dict[str, list[int]],
                    order: Sequence[str]) -> bytes:
    """Two panels over the same months: events and fatalities per month, stacked by event type."""
    palette = colours(order)
    with figure(9.0, 6.4) as fig:
        top = fig.add_axes((0.09, 0.575, 0.64, 0.37))
        bottom = fig.add_axes((0.09, 0.14, 0.64, 0.37), sharex=top)
        _stacked_panel(top, months, events, order, palette, "Events (count per month)",
                       "Events per month, by event type")
        _stacked_panel(bottom, months, fatalities, order, palette, "Fatalities (persons per month)",
                       "Fatalities per month (lowest reported figures), by event type")
        step = max(1, -(-len(months) // 16))  # at most 16 labels
        ticks = list(range(0, len(months), step))
        bottom.set_xticks(ticks)
        bottom.set_xticklabels([months[i] for i in ticks], rotation=45, ha="right")
        top.tick_params(labelbottom=False)
        bottom.set_xlabel("Month of the event (calendar month, YYYY-MM)")
        handles = [h for h in top.get_legend_handles_labels()[0]]
        labels = top.get_legend_handles_labels()[1]
        seen = set(labels)
        for h, lab in zip(*bottom.get_legend_handles_labels(), strict=True):
            if lab not in seen:
                handles.append(h)
                labels.append(lab)
        if handles:
            rank = {t: i for i, t in enumerate(order)}
            pairs = sorted(zip(handles, labels, strict=True), key=lambda hl: rank.get(hl[1], len(rank)))
            top.legend([h for h, _ in pairs], [lab for _, lab in pairs], title="Event type", loc="upper left",
                       bbox_to_anchor=(1.01, 1.0), frameon=False)
        return png(fig)


def _hbar_panel(ax: Axes, labels: Sequence[str], values: Sequence[int], bar_colours: Sequence[str],
                xlabel: str, ylabel: str, title: str, limit: int = 34) -> None:
    y = list(range(len(labels)))[::-1]
    ax.barh(y, values, color=list(bar_colours), height=0.7, linewidth=0)
    ax.set_yticks(y)
    ax.set_yticklabels([_short(s, limit) for s in labels])
    ax.set_ylim(-0.6, max(len(labels), 1) - 0.4)
    top = max(values, default=0)
    ax.set_xlim(0, max(1, top) * 1.15)
    for yi, v in zip(y, values, strict=True):
        ax.text(v + max(1, top) * 0.01, yi, f"{v:,}", va="center", fontsize=8)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, loc="left")
    ax.xaxis.get_major_locator().set_params(integer=True)


def horizontal_bars(labels: Sequence[str], values: Sequence[int], bar_colours: Sequence[str], xlabel: str,
                    ylabel: str, title: str, legend: dict[str, str] | None = None) -> bytes:
    """Horizontal bars, first label on top, with the value written at the end of each bar."""
    height = 1.0 + 0.24 * max(1, len(labels))
    with figure(9.0, height) as fig:
        ax = fig.add_axes((0.31, 0.7 / height, 0.41, 1 - 1.2 / height))
        _hbar_panel(ax, labels, values, bar_colours, xlabel, ylabel, title, limit=48)
        if legend:
            from matplotlib.patches import Patch

            handles = [Patch(color=c, label=k) for k, c in legend.items()]
            ax.legend(handles=handles, title="Event type", loc="upper left", bbox_to_anchor=(1.01, 1.0),
                      frameon=False, fontsize=8)
        return png(fig)


def paired_bars(panels: Sequence[tuple[Sequence[str], Sequence[int], str]], colour: str, xlabel: str,
                ylabel: str) -> bytes:
    """Two horizontal bar panels side by side (e.g. the top actor1 and actor2 values)."""
    rows = max([len(p[0]) for p in panels] + [1])
    height = 1.0 + 0.26 * rows
    with figure(9.0, height) as fig:
        for i, (labels, values, title) in enumerate(panels):
            ax = fig.add_axes((0.23 + 0.5 * i, 0.7 / height, 0.25, 1 - 1.2 / height))
            _hbar_panel(ax, labels, values, [colour] * len(values), xlabel, ylabel, title)
        return png(fig)


def _short(text: str, limit: int = 34) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
