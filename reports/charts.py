"""Charts as PNG: NPS (by month, or by the group asked for), the cohort heat map, CLV.

Rendered with matplotlib's Agg backend (no screen needed) from the data a result carries;
like every report, they never touch the database. matplotlib is imported when a chart is
drawn, not with this module: it costs about a second, and most answers have no chart.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import numpy as np

from commands import results

CHARTS = "nps, retention cohorts and clv"


def render_chart(answer: results.Answer) -> bytes | None:
    """The answer's chart as PNG bytes, or None when this kind of answer has none."""
    match answer.result:
        case results.NpsReport() as report:
            return _nps_trend(report)
        case results.CohortReport() as report:
            return _cohort_heatmap(report)
        case results.ClvTop(distribution=values) if values is not None:
            return _clv_distribution(values)
    return None


def _pyplot():
    """matplotlib's pyplot on the Agg backend, imported on the first chart."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _png(figure) -> bytes:
    plt = _pyplot()
    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png", dpi=120)
    plt.close(figure)
    return buffer.getvalue()


def _nps_trend(report: results.NpsReport) -> bytes:
    return _png(nps_figure(report))


def nps_figure(report: results.NpsReport):
    """The chart follows the question: NPS per group for `nps by segment|owner`, else the
    monthly trend, the running month drawn hollow (its score is to date)."""
    if report.summary.by:
        return _nps_groups(report)
    months = [m for m in report.trend if m.nps.responses]
    figure, axis = _pyplot().subplots(figsize=(8, 4))
    if months:
        labels = [m.month for m in months]
        scores = [m.nps.score for m in months]
        low = [m.nps.score - m.nps.low for m in months]
        high = [m.nps.high - m.nps.score for m in months]
        axis.errorbar(labels, scores, yerr=[low, high], capsize=4, color="#1264a3")
        running = _running(months[-1].month, report.summary.end)
        done = len(months) - 1 if running else len(months)
        axis.plot(labels[:done], scores[:done], "o", color="#1264a3")
        if running:
            axis.plot(
                [labels[-1]], [scores[-1]], "o", markersize=9, markerfacecolor="white",
                markeredgecolor="#1264a3", markeredgewidth=2, label=f"{labels[-1]}: to date",
            )  # fmt: skip
            axis.legend(loc="lower left")
        axis.axhline(0, color="#888", linewidth=0.8)
    else:
        axis.text(0.5, 0.5, "No NPS answers in this window", ha="center", va="center")
    axis.set_ylim(-100, 100)
    axis.set_title(f"NPS by month, last {report.days} days (95% intervals)")
    axis.set_ylabel("NPS")
    axis.tick_params(axis="x", rotation=45)
    return figure


def _nps_groups(report: results.NpsReport):
    groups = [g for g in report.summary.groups if g.responses]
    figure, axis = _pyplot().subplots(figsize=(8, max(3, 0.45 * len(groups) + 1.5)))
    if groups:
        names = [g.group or f"(no {report.summary.by})" for g in groups]
        scores = [g.score for g in groups]
        low = [g.score - g.low for g in groups]
        high = [g.high - g.score for g in groups]
        colors = ["#2eb67d" if score >= 0 else "#e01e5a" for score in scores]
        axis.barh(names, scores, xerr=[low, high], capsize=4, color=colors)
        for i, g in enumerate(groups):
            axis.text(-97, i, f"{g.score:+.0f} (n={g.responses:,})", va="center", fontsize=9)
        axis.invert_yaxis()  # the largest group on top, as in the text answer
        axis.axvline(0, color="#888", linewidth=0.8)
    else:
        axis.text(
            0.5, 0.5, "No NPS answers in this window", ha="center", va="center",
            transform=axis.transAxes,
        )  # fmt: skip
    axis.set_xlim(-100, 100)
    axis.set_title(f"NPS by {report.summary.by}, last {report.days} days (95% intervals)")
    axis.set_xlabel("NPS")
    return figure


def _running(month: str, end: datetime) -> bool:
    """Whether the month labelled "2026-03" is cut short by `end` (the window's end)."""
    year, number = (int(part) for part in month.split("-"))
    return end < datetime(year + number // 12, number % 12 + 1, 1, tzinfo=UTC)


def _cohort_heatmap(report: results.CohortReport) -> bytes:
    return _png(cohort_figure(report))


def cohort_figure(report: results.CohortReport):
    """Month 0 is 100% by definition, so it is grey and months 1+ get the colour scale on
    their own; every cell prints its percentage; the running month's cells are hatched."""
    table = report.table
    shares = table.shares[table.sizes > 0]
    figure, axis = _pyplot().subplots(figsize=(10, max(3, 0.4 * len(shares) + 1.5)))
    if len(shares):
        percent = shares.to_numpy(dtype=float) * 100
        running = np.array(
            [[table.is_to_date(cohort, k) for k in shares.columns] for cohort in shares.index]
        )
        # The colour scale: months 1+ that are over; month 0 and the running month apart.
        scaled = np.where(running, np.nan, percent)
        scaled[:, 0] = np.nan
        top = max(float(np.nanmax(scaled)) if np.isfinite(scaled).any() else 0.0, 1.0)
        image = axis.imshow(
            np.ma.masked_invalid(scaled), cmap="Blues", aspect="auto", vmin=0, vmax=top
        )
        rectangle = _pyplot().Rectangle
        for i in range(len(shares)):
            axis.add_patch(rectangle((-0.5, i - 0.5), 1, 1, facecolor="#dddddd", edgecolor="white"))
            for k in shares.columns:
                value = percent[i, k]
                if running[i, k]:
                    axis.add_patch(
                        rectangle(
                            (k - 0.5, i - 0.5), 1, 1, fill=False, hatch="///",
                            edgecolor="#e01e5a", linewidth=0,
                        )
                    )  # fmt: skip
                    text = "100%" if k == 0 else (f"{value:.0f}% so far" if value else "none yet")
                elif value != value:
                    continue
                else:
                    text = f"{value:.0f}%"
                dark = k > 0 and not running[i, k] and value > 0.6 * top
                axis.text(
                    k, i, text, ha="center", va="center", fontsize=8,
                    color="white" if dark else "black",
                    backgroundcolor="white" if running[i, k] and k else "none",
                )  # fmt: skip
        axis.set_yticks(range(len(shares)), [f"{c} ({table.sizes[c]:,})" for c in shares.index])
        axis.set_xticks(range(shares.shape[1]), [str(k) for k in shares.columns])
        axis.set_xlim(-0.5, shares.shape[1] - 0.5)
        axis.set_ylim(len(shares) - 0.5, -0.5)
        figure.colorbar(image, ax=axis, label="% of cohort buying (months 1+)")
        if table.to_date:
            axis.set_xlabel(
                f"months after the first purchase (month 0 = 100%; hatched: "
                f"{table.to_date}, still running, counted to date)"
            )
        else:
            axis.set_xlabel("months after the first purchase (month 0 = 100%)")
    else:
        axis.text(0.5, 0.5, "No cohorts yet", ha="center", va="center")
        axis.set_xlabel("months after the first purchase")
    axis.set_title("Cohort retention by first-purchase month")
    return figure


def _clv_distribution(values: list[float]) -> bytes:
    figure, axis = _pyplot().subplots(figsize=(8, 4))
    data = np.asarray(values, dtype=float)
    if data.size:
        top = np.quantile(data, 0.99) if data.size > 100 else data.max()
        axis.hist(np.clip(data, 0, top), bins=50, color="#2eb67d")
        axis.axvline(
            float(np.median(data)),
            color="#e01e5a",
            linestyle="--",
            label=f"median ${np.median(data):,.0f}",
        )
        axis.legend()
    axis.set_title(f"Predicted CLV of {data.size:,} customers (top 1% clipped)")
    axis.set_xlabel("CLV ($)")
    axis.set_ylabel("customers")
    return _png(figure)


def model_check_tracking(check) -> bytes:
    """A model check's tracking chart: cumulative repeat purchases by period, the actual ones
    over the whole span and each model's forecast over the holdout, its start marked.

    `check` is a crm_core.analytics.model_check.ModelCheck; each forecast starts from the
    actual count at the end of calibration (it is conditional on each customer's history).
    """
    figure, axis = _pyplot().subplots(figsize=(9, 4.5))
    axis.plot(
        check.tracking_periods, check.tracking_actual, color="#1d1c1d", linewidth=2, label="actual"
    )
    start = check.holdout_start_period
    base = check.calibration_repeat_purchases
    colours = {"bgnbd": "#1264a3", "mbgnbd": "#2eb67d", "paretonbd": "#e01e5a", "naive": "#888"}
    steps = list(range(start, start + check.holdout_length + 1))
    for forecast in check.forecasts:
        if forecast.tracking is None:
            continue
        axis.plot(
            steps,
            [base + value for value in forecast.tracking],
            color=colours.get(forecast.name, "#ecb22e"),
            linestyle=":" if forecast.name == "naive" else "--",
            label=f"{forecast.label} ({forecast.purchases:,.0f})",
        )
    axis.axvline(start, color="#888", linewidth=0.8)
    axis.annotate(
        f"holdout from {check.calibration_end + timedelta(days=1)}",
        xy=(start, 0),
        xytext=(4, 6),
        textcoords="offset points",
        fontsize=8,
        color="#555",
    )
    unit = {"D": "days", "W": "weeks", "M": "months"}[check.unit]
    axis.set_title(
        f"Cumulative repeat purchases: actual {check.actual_purchases:,} in the holdout "
        f"vs each model"
    )
    axis.set_xlabel(f"{unit} since {check.first_day}")
    axis.set_ylabel("cumulative repeat purchases")
    axis.legend(loc="upper left", fontsize=8)
    return _png(figure)
