"""Scoring as of a past date: later purchases are ignored, earlier buyers are all scored."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from crm_core.analytics.scoring import end_warning, refresh_scores
from crm_core.models import Customer, ScoreRank
from crm_core.settings import AnalyticsSettings
from reports.terminal import analytics_refresh_text
from tests.analytics_data import load_cdnow

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from lifetimes import BetaGeoFitter, GammaGammaFitter
    from lifetimes.utils import summary_data_from_transaction_data

SETTINGS = AnalyticsSettings(model="bgnbd")


def end_of(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC) + timedelta(days=1, microseconds=-1)


def top_clv(session, n=10) -> list[int]:
    external = dict(session.exec(select(Customer.id, Customer.external_id)).all())
    ranked = session.exec(
        select(ScoreRank.customer_id)
        .where(ScoreRank.team_id == "T1", ScoreRank.ranking == "clv")
        .order_by(ScoreRank.position)
        .limit(n)
    ).all()
    return [int(external[i]) for i in ranked]


def lifetimes_top_clv(purchases, day: str, n=10) -> tuple[list[int], int]:
    summary = summary_data_from_transaction_data(
        purchases[purchases["date"] <= day],
        "customer_id",
        "date",
        monetary_value_col="amount",
        freq="W",
        observation_period_end=day,
    )
    bgf = BetaGeoFitter().fit(summary["frequency"], summary["recency"], summary["T"])
    repeat = summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
    ggf = GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"])
    clv = ggf.customer_lifetime_value(
        bgf,
        summary["frequency"],
        summary["recency"],
        summary["T"],
        summary["monetary_value"],
        time=12,
        discount_rate=0.01,
        freq="W",
    )
    return [int(i) for i in clv.sort_values(ascending=False).index[:n]], len(summary)


@pytest.mark.parametrize("day", ["1998-06-30", "1997-09-30"])
def test_top_clv_as_of_a_date_matches_lifetimes_with_that_observation_end(session, day):
    purchases = load_cdnow(session, customers=1_000)
    fit = refresh_scores(session, team_id="T1", settings=SETTINGS, now=end_of(day), as_of=True)
    theirs, customers = lifetimes_top_clv(purchases, day)
    assert fit.as_of_requested and fit.customers == customers
    assert fit.purchases == int((purchases["date"] <= day).sum())
    assert top_clv(session) == theirs
    assert f"as of {day}" in analytics_refresh_text(fit)


def test_every_customer_who_had_bought_by_the_date_is_ranked(session):
    purchases = load_cdnow(session, customers=1_000)
    day = "1997-03-15"
    fit = refresh_scores(session, team_id="T1", settings=SETTINGS, now=end_of(day), as_of=True)
    bought = purchases[purchases["date"] <= day]["customer_id"].nunique()
    later = purchases["customer_id"].nunique() - bought
    assert later > 0 and fit.customers == bought
    ranked = session.exec(select(ScoreRank.customer_id).where(ScoreRank.ranking == "clv")).all()
    assert len(ranked) == bought


def test_an_end_far_after_the_newest_purchase_warns_and_suggests_as_of(session):
    load_cdnow(session, customers=300)
    fit = refresh_scores(
        session, team_id="T1", settings=SETTINGS, now=datetime(1999, 6, 30, tzinfo=UTC)
    )
    warning = end_warning(session, fit)
    assert warning is not None and warning.newest_purchase_at.date().isoformat() <= "1998-06-30"
    assert warning.days_before_end > warning.limit_days
    text = analytics_refresh_text(fit, warning=warning)
    newest = warning.newest_purchase_at.strftime("%Y-%m-%d")
    assert f"--as-of {newest}" in text and "as of 1999" not in text
    # Scored as of the newest purchase, nothing is said.
    again = refresh_scores(session, team_id="T1", settings=SETTINGS, now=end_of(newest), as_of=True)
    assert end_warning(session, again) is None


def test_the_command_scores_as_of_a_date_and_warns_of_a_stale_end(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from commands.cli import cli

    monkeypatch.setenv("CRM_DATABASE_URL", f"sqlite:///{tmp_path / 'crm.db'}")
    monkeypatch.setenv("CRM_TEAM_ID", "TCLI")
    monkeypatch.setenv("CRM_CONFIG", str(tmp_path / "app.yaml"))
    (tmp_path / "app.yaml").write_text("default_timezone: UTC\n")
    rows = ["customer_id,date,amount"]
    for n in range(8):
        rows += [f"C{n},2024-01-0{1 + n % 5},50", f"C{n},2024-02-1{n % 5},30"]
    rows += ["C0,2024-04-02,20"]
    (tmp_path / "orders.csv").write_text("\n".join(rows) + "\n")
    runner = CliRunner()

    def crm(*args):
        result = runner.invoke(cli, list(args), catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    crm("import", "purchases", str(tmp_path / "orders.csv"))
    now = crm("analytics", "refresh")
    assert "Warning: the newest purchase up to then is from 2024-04-02" in now
    assert "--as-of 2024-04-02" in now and " as of " not in now.splitlines()[0]
    past = crm("analytics", "refresh", "--as-of", "2024-03-31")
    assert "from 16 purchases as of 2024-03-31" in past and "Warning" not in past
    refused = runner.invoke(cli, ["analytics", "refresh", "--as-of", "2999-01-01"])
    assert refused.exit_code != 0 and "is not in the past" in refused.output
