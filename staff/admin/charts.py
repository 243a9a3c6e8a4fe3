"""Geometry for charts drawn as inline SVG by the templates (no JavaScript, no style attributes).

The functions here only compute where things go; templates/admin/_bar_chart.html draws them.
"""
from collections.abc import Sequence
from dataclasses import dataclass
from math import ceil, log10


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    series: int  # index into BarChart.series, which picks the bar's fill pattern
    value: int
    title: str  # what a screen reader or a tooltip says: "Mar 2026, Completions: 4"


@dataclass(frozen=True)
class Tick:
    y: float
    value: int


@dataclass(frozen=True)
class CategoryLabel:
    x: float  # the centre of the category's group of bars
    lines: tuple[str, ...]


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    left: int  # the plot area's edges
    right: int
    top: int
    bottom: int
    series: tuple[str, ...]
    bars: tuple[Bar, ...]
    ticks: tuple[Tick, ...]
    labels: tuple[CategoryLabel, ...]


def nice_step(maximum: int, ticks: int = 4) -> int:
    """A round step (1, 2 or 5 times a power of ten) that covers `maximum` in about `ticks` steps."""
    if maximum <= ticks:
        return 1
    rough = maximum / ticks
    power = 10 ** int(log10(rough))
    return next(multiple * power for multiple in (1, 2, 5, 10) if multiple * power >= rough)


def grouped_bar_chart(
    categories: Sequence[tuple[str, ...]], series: Sequence[tuple[str, Sequence[int]]], *,
    width: int = 720, height: int = 300,
) -> BarChart:
    """Bars for each category (one per series, side by side), a y axis from zero and its ticks.

    `categories` are label lines (e.g. ("Mar", "2026")); each series is (name, one value per category).
    """
    left, right, top, bottom = 48, width - 8, 12, height - 40
    maximum = max((value for _, values in series for value in values), default=0)
    step = nice_step(maximum)
    scale_top = max(step, ceil(maximum / step) * step)
    plot_height = bottom - top
    group_width = (right - left) / max(1, len(categories))
    bar_width = group_width * 0.8 / max(1, len(series))
    bars = []
    for category_index, lines in enumerate(categories):
        group_left = left + category_index * group_width + group_width * 0.1
        for series_index, (name, values) in enumerate(series):
            value = values[category_index]
            bar_height = plot_height * value / scale_top
            bars.append(Bar(
                x=round(group_left + series_index * bar_width, 2), y=round(bottom - bar_height, 2),
                width=round(bar_width, 2), height=round(bar_height, 2), series=series_index, value=value,
                title=f"{' '.join(lines)}, {name}: {value}",
            ))
    ticks = [Tick(round(bottom - plot_height * value / scale_top, 2), value) for value in range(0, scale_top + 1, step)]
    labels = [CategoryLabel(round(left + (index + 0.5) * group_width, 2), tuple(lines))
              for index, lines in enumerate(categories)]
    return BarChart(width, height, left, right, top, bottom, tuple(name for name, _ in series),
                    tuple(bars), tuple(ticks), tuple(labels))
