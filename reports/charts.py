"""Charts as PNG: the NPS trend, the cohort retention heat map and the CLV distribution.

Rendered with matplotlib's Agg backend (no screen needed) from the data a result carries;
like every report, they never touch the database. matplotlib is imported when a chart is
drawn, not with this module: it costs about a second, and most answers have no chart.
"""

from __future__ import annotations

import io
from datetime import timedelta

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
    months = [m for m in report.trend if m.nps.responses]
    figure, axis = _pyplot().subplots(figsize=(8, 4))
    if months:
        labels = [m.month for m in months]
        scores = [m.nps.score for m in months]
        low = [m.nps.score - m.nps.low for m in months]
        high = [m.nps.high - m.nps.score for m in months]
        axis.errorbar(labels, scores, yerr=[low, high], marker="o", capsize=4, color="#1264a3")
        axis.axhline(0, color="#888", linewidth=0.8)
    else:
        axis.text(0.5, 0.5, "No NPS answers in this window", ha="center", va="center")
    axis.set_ylim(-100, 100)
    axis.set_title(f"NPS by month, last {report.days} days (95% intervals)")
    axis.set_ylabel("NPS")
    axis.tick_params(axis="x", rotation=45)
    return _png(figure)


def _cohort_heatmap(report: results.CohortReport) -> bytes:
    table = report.table
    shares = table.shares[table.sizes > 0]
    figure, axis = _pyplot().subplots(figsize=(10, max(3, 0.4 * len(shares) + 1.5)))
    if len(shares):
        data = np.ma.masked_invalid(shares.to_numpy(dtype=float) * 100)
        image = axis.imshow(data, cmap="Blues", aspect="auto", vmin=0, vmax=100)
        axis.set_yticks(range(len(shares)), [f"{c} ({table.sizes[c]:,})" for c in shares.index])
        axis.set_xticks(range(shares.shape[1]), [str(k) for k in shares.columns])
        figure.colorbar(image, ax=axis, label="% of cohort buying")
    else:
        axis.text(0.5, 0.5, "No cohorts yet", ha="center", va="center")
    axis.set_xlabel("months after the first purchase")
    axis.set_title("Cohort retention by first-purchase month")
    return _png(figure)


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
