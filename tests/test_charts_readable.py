"""Charts that answer the question asked and can be read: issue 14."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crm_core.customers import create_customer
from crm_core.db import unit_of_work
from crm_core.nps import record_nps
from crm_core.purchases import record_purchase
from reports.charts import cohort_figure, nps_figure, render_chart

NOW = datetime(2026, 3, 18, 12, tzinfo=UTC)  # mid-March: March is still running
# segment: scores given, spread over January to March
ANSWERS = {"Gold": [10, 10, 9, 9, 8, 6], "Silver": [9, 7, 6, 5, 3], "Bronze": [2, 3, 10]}


@pytest.fixture
def answered(engine):
    with unit_of_work(engine) as session:
        for segment, scores in ANSWERS.items():
            for i, score in enumerate(scores):
                customer = create_customer(
                    session, team_id="T1", name=f"{segment} {i}", segment=segment
                )
                record_nps(
                    session, team_id="T1", customer_id=customer.id, score=score,
                    responded_at=NOW - timedelta(days=5 + 12 * i),
                )  # fmt: skip
    return engine


def texts(figure):
    return [t.get_text() for axis in figure.axes for t in axis.texts]


def test_nps_by_segment_charts_the_segments_not_the_months(bot, answered):
    bot.now = NOW
    answer = bot.ask("nps by segment", wants_chart=True)
    figure = nps_figure(answer.result)
    [axis, *_] = figure.axes
    names = [label.get_text() for label in axis.get_yticklabels()]
    assert names == ["Gold", "Silver", "Bronze"]  # the segments, largest first
    assert "NPS by segment" in axis.get_title()
    # Gold: 4 promoters, 1 detractor of 6 -> +50; Silver 1 and 3 of 5 -> -40; Bronze -33.
    assert {"+50 (n=6)", "-40 (n=5)", "-33 (n=3)"} <= set(texts(figure))
    assert render_chart(answer).startswith(b"\x89PNG")


def test_the_running_month_of_the_nps_trend_is_drawn_hollow(bot, answered):
    bot.now = NOW
    figure = nps_figure(bot.ask("nps", wants_chart=True).result)
    [axis] = figure.axes
    hollow = [line for line in axis.get_lines() if line.get_markerfacecolor() == "white"]
    assert [line.get_label() for line in hollow] == ["2026-03: to date"]


def test_the_cohort_heat_map_scales_months_after_the_first_and_prints_each_cell(bot, engine):
    with unit_of_work(engine) as session:
        for i in range(4):
            customer = create_customer(session, team_id="T1", name=f"C{i}")
            months = [1, 2] if i == 0 else [1]  # one of four comes back in February
            for month in months:
                record_purchase(
                    session, team_id="T1", customer_id=customer.id, amount="10",
                    default_currency="USD", purchased_at=datetime(2026, month, 10, tzinfo=UTC),
                )  # fmt: skip
    bot.now = NOW
    figure = cohort_figure(bot.ask("retention cohorts", wants_chart=True).result)
    axis, bar = figure.axes
    [image] = axis.get_images()
    # Month 0 (always 100%) is off the scale: 25% in month 1 is the darkest, not a pale blue.
    assert image.get_clim() == (0, 25.0)
    cells = texts(figure)
    assert "100%" in cells and "25%" in cells
    # March is still running: January's +2 has no purchase yet, and it does not say 0%.
    assert "none yet" in cells and "0%" not in cells
    assert "still running" in axis.get_xlabel()
