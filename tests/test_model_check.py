"""The calibration/holdout check reproduces lifetimes' own split and BG/NBD forecast on CDNOW."""

from __future__ import annotations

import warnings
from datetime import date

import pytest
from click.testing import CliRunner

from commands.cli import cli
from commands.results import ModelCheckReport, Problem
from crm_core.analytics import clv_models
from crm_core.analytics.model_check import (
    BUCKETS,
    CANDIDATES,
    NotEnoughHistory,
    check_models,
    default_holdout_weeks,
    pick_model,
)
from crm_core.db import unit_of_work
from reports.model_check import model_check_text
from tests.analytics_data import CDNOW_END, load_cdnow

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from lifetimes.utils import calibration_and_holdout_data

# Fader, Hardie & Lee (2005): weeks 1-39 of 1997-01-01..1998-06-30 calibrate, 40-78 hold out.
AS_OF, HOLDOUT = date(1998, 6, 30), 39
CUSTOMERS = 1200


@pytest.fixture
def cdnow(session):
    purchases = load_cdnow(session, customers=CUSTOMERS)
    return purchases


def lifetimes_split(purchases):
    return calibration_and_holdout_data(
        purchases,
        "customer_id",
        "date",
        calibration_period_end="1997-09-30",
        observation_period_end="1998-06-30",
        freq="W",
        monetary_value_col="amount",
    )


def test_holdout_actuals_and_bgnbd_forecast_match_lifetimes(session, cdnow):
    check = check_models(session, team_id="T1", unit="W", as_of=AS_OF, holdout_weeks=HOLDOUT)
    theirs = lifetimes_split(cdnow)
    assert check.calibration_end == date(1997, 9, 30)
    assert check.customers == len(theirs)
    assert check.holdout_length == int(theirs["duration_holdout"].iloc[0])
    assert check.actual_purchases == int(theirs["frequency_holdout"].sum())
    bgf = clv_models.fit_bgnbd(theirs["frequency_cal"], theirs["recency_cal"], theirs["T_cal"])
    expected = clv_models.expected_purchases(
        bgf,
        check.holdout_length,
        theirs["frequency_cal"],
        theirs["recency_cal"],
        theirs["T_cal"],
    ).sum()
    bgnbd = next(f for f in check.forecasts if f.name == "bgnbd")
    assert bgnbd.purchases == pytest.approx(expected, rel=1e-4)
    for name in ("r", "alpha", "a", "b"):
        assert bgnbd.params[name] == pytest.approx(getattr(bgf, name), rel=1e-3)
    # By calibration repeat purchases, as in Table 2 of the paper.
    buckets = theirs["frequency_cal"].clip(upper=7).astype(int)
    assert list(check.customers_by_bucket) == [int((buckets == k).sum()) for k in range(8)]
    assert list(check.actual_by_bucket) == [
        int(theirs.loc[buckets == k, "frequency_holdout"].sum()) for k in range(8)
    ]
    assert sum(bgnbd.by_bucket) == pytest.approx(bgnbd.purchases)


def test_text_has_every_models_figures_and_the_choice(session, cdnow):
    check = check_models(session, team_id="T1", unit="W", as_of=AS_OF, holdout_weeks=HOLDOUT)
    text = model_check_text(check)
    assert {f.name for f in check.forecasts} == {*CANDIDATES, "naive"}
    assert f"{check.actual_purchases:,}" in text and f"${check.actual_revenue:,.2f}" in text
    for forecast in check.forecasts:
        assert forecast.purchases is not None, forecast.name
        assert f"{forecast.purchases:,.1f}" in text and forecast.label in text
        assert f"{100 * forecast.top_decile_share:.1f}%" in text
    for label in BUCKETS:
        assert f"\n  {label:<3} (" in text
    chosen, reason = pick_model(check)
    errors = {f.name: abs(f.error(check.actual_purchases)) for f in check.forecasts[:3]}
    assert chosen == min(errors, key=errors.get) == check.chosen
    assert reason in text and "\n" not in reason


def test_customers_who_first_bought_in_the_holdout_are_left_out(session, cdnow):
    first = cdnow.groupby("customer_id")["date"].min()
    check = check_models(session, team_id="T1", unit="W", as_of=AS_OF, holdout_weeks=HOLDOUT)
    assert check.customers == int((first <= "1997-09-30").sum())
    # CDNOW's cohort all bought first in the first quarter of 1997: a later holdout start
    # still holds everyone; an as-of before any purchase is refused.
    with pytest.raises(NotEnoughHistory):
        check_models(session, team_id="T1", as_of=date(1996, 12, 1))
    with pytest.raises(NotEnoughHistory):
        check_models(session, team_id="T1", as_of=AS_OF, holdout_weeks=100)
    with pytest.raises(NotEnoughHistory):
        check_models(session, team_id="OTHER")


def test_default_holdout_is_a_quarter_of_the_span_at_most_52_weeks():
    assert default_holdout_weeks(date(1997, 1, 1), date(1998, 6, 30)) == 19
    assert default_holdout_weeks(date(2015, 1, 1), date(2025, 1, 1)) == 52
    assert default_holdout_weeks(date(2025, 1, 1), date(2025, 1, 10)) == 1


def test_cli_check_prints_the_tables_and_writes_the_chart(engine, tmp_path, monkeypatch):
    with unit_of_work(engine) as session:
        load_cdnow(session, customers=400)
    monkeypatch.setenv("CRM_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("CRM_TEAM_ID", "T1")
    monkeypatch.setenv("CRM_CONFIG", str(tmp_path / "app.yaml"))
    (tmp_path / "app.yaml").write_text("default_timezone: UTC\n")
    chart = tmp_path / "tracking.png"
    result = CliRunner().invoke(
        cli,
        ["analytics", "check", "--as-of", "1998-06-30", "--holdout", "39", "--chart", str(chart)],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert "holdout the last 39 weeks to 1998-06-30" in result.output
    assert "Pareto/NBD" in result.output and "Chosen:" in result.output
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_chat_clv_check_answers_with_the_figures(bot, engine):
    with unit_of_work(engine) as session:
        load_cdnow(session, customers=400)
    bot.now = CDNOW_END
    out = bot.exec("clv check holdout 39 weeks")
    assert isinstance(bot.result, ModelCheckReport)
    check = bot.result.check
    assert check.holdout_weeks == 39 and check.as_of == date(1998, 6, 30)
    assert f"{check.actual_purchases:,}" in out and "MBG/NBD" in out and "Chosen:" in out
    message = bot.slack("clv check")
    assert bot.result.check.holdout_weeks == 19  # a quarter of the 78 weeks
    slack_text = str(message["blocks"])
    assert f"{bot.result.check.actual_purchases:,}" in slack_text and "Pareto/NBD" in slack_text
    assert "Model check" in message["text"] and "closest is" in message["text"]
    out = bot.exec("clv check holdout many weeks")
    assert isinstance(bot.result, Problem) and "clv check holdout 26 weeks" in out


def test_chat_clv_check_without_purchases_says_why(bot):
    out = bot.exec("clv check")
    assert isinstance(bot.result, Problem) and "no purchases yet" in out
