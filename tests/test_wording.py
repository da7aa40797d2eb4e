"""Counts read as English: "1 customer", "2 customers", in every answer, text and Slack.

One `plural` filter renders them; a scan of the templates keeps a count from ever again being
followed by a hard-coded plural noun ("Top 1 customers", "1 rows", "1 promoters").
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from commands.results import (
    AlertDigest,
    AnalyticsStatus,
    AuditLog,
    CacTable,
    ChurnList,
    ChurnRates,
    ClvTop,
    ExportReady,
    Forgotten,
    NpsReport,
)
from crm_core.alerts.digest import Digest, DigestLine
from crm_core.analytics.acquisition import ChannelEconomics
from crm_core.analytics.retention import RetentionPeriod
from crm_core.analytics.scoring import HISTORIC, MODELS
from crm_core.analytics.values import AtRisk, ChurnReason, CustomerValue, ValueTotals
from crm_core.customers import add_contact, create_customer
from crm_core.db import unit_of_work
from crm_core.demo import DemoLoad
from crm_core.importing.summary import ImportSummary
from crm_core.interactions import log_interaction
from crm_core.models import AnalyticsFit
from crm_core.nps import record_nps
from crm_core.overview import TopCustomer, WorkspaceOverview
from crm_core.purchases import record_purchase
from reports.chat import render_message, render_text
from reports.templating import environment, slack_environment
from reports.terminal import analytics_refresh_text, demo_tour_text, import_summary_text
from tests.chat import NEW_YORK, NOW

TEMPLATES = Path(__file__).parent.parent / "reports" / "templates"

# `{{ <a count> }}`, maybe bold or italic, then one or two words the last of which ends in
# "s": "{{ n | number }} customers", "*{{ n }}* customers", "{{ n }} NPS answers".
COUNT_THEN_PLURAL = re.compile(
    r"\{\{(?P<count>(?:(?!\}\}).)*)\}\}[*_]*[ ](?P<noun>(?:[A-Za-z-]+ )?[A-Za-z-]+s)\b"
)
# Plurals by hand: "contact(s)", customer{{ "s" if n != 1 }}.
HAND_MADE = re.compile(r"\w\(s\)|\{\{-? *[\"']s[\"'] if")
# Words ending in "s" that follow a name or an id rather than a count.
NOT_NOUNS = {"is", "has", "was", "gets", "as", "reads"}


def offending(text: str) -> list[str]:
    """The places in a template where a count is followed by a plural written out."""
    found = []
    for match in COUNT_THEN_PLURAL.finditer(text):
        count, noun = match["count"], match["noun"]
        if "plural(" in count or re.search(r"%\.[1-9]f", count):  # done right, or a fraction
            continue
        if noun.split()[0].lower() in NOT_NOUNS:
            continue
        found.append(match.group(0))
    return found + [m.group(0) for m in HAND_MADE.finditer(text)]


@pytest.mark.parametrize(
    "line",
    [
        # Lines as they were before the plural filter, one of each way of getting it wrong.
        "Top {{ r.values | length }} customers by predicted",
        "from {{ s.responses | number }} answers: {{ s.promoters | number }} promoters",
        "across *{{ d.customers | number }}* customers",
        "{{ o.nps_responses | number }} NPS answers",
        "{{ x.days_since_last_purchase }} days since the last purchase",
        '{{ "%7s" | format(g.customers | number) }} customers (',
        "name and email, {{ r.erasure.contacts }} contact(s)",
        '{{ r.matches | length }} customer{{ "s" if r.matches | length != 1 }} matching',
    ],
)
def test_the_scan_catches_every_way_a_count_went_wrong(line):
    assert offending(line)


@pytest.mark.parametrize(
    "line",
    [
        '{{ n | plural("customer") }} at risk',
        '*{{ n | number }}* {{ n | plural("customer", show_count=False) }} at risk',
        '{{ "%.1f" | format(r.value.expected_purchases) }} purchases expected',
        "Follow-up #{{ r.interaction.id }} with {{ r.customer_name }} is done.",
    ],
)
def test_the_scan_lets_right_wording_pass(line):
    assert offending(line) == []


def test_no_template_puts_a_count_before_a_hard_coded_plural():
    templates = sorted(TEMPLATES.rglob("*.j2"))
    assert len(templates) > 60  # text/, slack/ and the shared parts
    wrong = {
        str(path.relative_to(TEMPLATES)): found
        for path in templates
        if (found := offending(path.read_text()))
    }
    assert wrong == {}, "write counts as {{ n | plural('noun') }}"


@pytest.mark.parametrize("env", [environment(), slack_environment()], ids=["text", "slack"])
def test_the_plural_filter_in_both_environments(env):
    def render(source: str, n) -> str:
        return env.from_string(source).render(n=n)

    customer = '{{ n | plural("customer") }}'
    assert [render(customer, n) for n in (0, 1, 2, 2317)] == [
        "0 customers",
        "1 customer",
        "2 customers",
        "2,317 customers",
    ]
    agreeing = '{{ n | plural("customer has", "customers have") }}'
    assert (render(agreeing, 1), render(agreeing, 3)) == ("1 customer has", "3 customers have")
    bare = '{{ n | plural("entry", "entries", show_count=False) }}'
    assert (render(bare, 1), render(bare, 2)) == ("entry", "entries")
    day = '{{ n | plural("day") }}'
    assert (render(day, -1), render(day, 1.0)) == ("-1 day", "1.0 day")


def in_both(result, text: list[str], slack: list[str]) -> None:
    """The result's terminal text holds every `text` phrase, its Slack message every `slack`."""
    from commands.results import Answer

    answer = Answer(result, shown_at=NOW)
    out = render_text(answer, NEW_YORK)
    for phrase in text:
        assert phrase in out
    message = str(render_message(answer, NEW_YORK))
    for phrase in slack:
        assert phrase in message


def fit(n: int, method: str = MODELS) -> AnalyticsFit:
    return AnalyticsFit(
        id=1, team_id="T1", fitted_at=datetime(2026, 3, 10, 12, tzinfo=UTC), method=method,
        reason="there is too little history" if method == HISTORIC else None, time_unit="W",
        horizon_months=n, monthly_discount_rate=0.01, observation_end=NOW, purchases=n,
        customers=n, repeat_customers=n, unique_patterns=n, gg_customers=n, bg_r=1, bg_alpha=1,
        bg_a=1, bg_b=1, gg_p=1, gg_q=2, gg_v=1, seconds=0.5,
    )  # fmt: skip


def at_risk(n: int) -> AtRisk:
    value = CustomerValue(
        customer_id=7, name="Acme Corp", owner_user_id=None, segment=None, frequency=1, clv=100,
        p_alive=0.2, value_at_risk=80, expected_purchases=1.5,
    )  # fmt: skip
    reason = ChurnReason(
        orders=2, last_purchase_at=NOW - timedelta(days=n), days_since_last_purchase=n,
        usual_gap_days=1.0, last_nps=None, last_nps_at=None, last_interaction_at=None,
        last_interaction_kind=None,
    )  # fmt: skip
    return AtRisk(value, reason)


ONE_OR_TWO = pytest.mark.parametrize("n", [1, 2])


@ONE_OR_TWO
def test_churn_answers(n):
    s = "" if n == 1 else "s"
    churn = ChurnList(
        [at_risk(n)], ValueTotals(customers=n, clv=100, value_at_risk=80, at_risk=n),
        AnalyticsStatus(fit(n), stale=False), threshold=0.5,
    )  # fmt: skip
    in_both(
        churn,
        [f"In all: {n} customer{s} at risk", f"{n} day{s} since the last purchase",
         f"over {n} month{s} at", f"on {n} customer{s}."],
        [f"*{n}* customer{s} at risk", f"{n} day{s} since the last purchase"],
    )  # fmt: skip
    digest = Digest(
        fit=fit(n), customers=n, total_value_at_risk=80, previous_total=None, new_customers=n,
        lines=[DigestLine(at_risk(n), new=True, overdue=False)], customer_ids=[7], hidden=0,
    )  # fmt: skip
    in_both(
        AlertDigest(digest, subscription=None, threshold=0.5),
        [
            f"across {n} customer{s} at risk or overdue (first alert)",
            f"{n} day{s} since the last purchase",
        ],
        [f"across *{n}* customer{s} at risk or overdue (first alert)"],
    )


@ONE_OR_TWO
def test_tables_and_logs(n):
    s = "" if n == 1 else "s"
    economics = ChannelEconomics(
        "ads", customers=n, with_cost=n, total_cost=10.0 * n, cac=10.0, average_clv=50.0,
        clv_to_cac=5.0,
    )  # fmt: skip
    in_both(CacTable([economics], status=None), [], [f"*ads*: {n} customer{s} · CAC $10.00"])
    in_both(
        AuditLog([], days=n),
        [f"Nothing recorded in the last {n} day{s}."],
        [f"Audit log, last {n} day{s}", f"Nothing recorded in the last {n} day{s}."],
    )
    march = RetentionPeriod(
        "2026-03", start=NOW, end=NOW, at_start=n, at_end=n, new=0, new_at_end=0, reactivated=0,
        retention=1.0, churn=0.0,
    )  # fmt: skip
    in_both(
        ChurnRates(rows=[march], period="month", active_window_days=n),
        [f'("active" = a purchase in the last {n} day{s})'],
        [f"Active = a purchase in the last {n} day{s}."],
    )


@ONE_OR_TWO
def test_the_console_s_own_reports(n):
    s = "" if n == 1 else "s"
    summary = ImportSummary(kind="customers", rows=n, added=n, customers_created=["Acme"] * n)
    text = import_summary_text(summary, "customers.csv")
    assert f": {n} row{s}, {n} added." in text
    assert f"Created {n} customer{s} the file named" in text
    models = analytics_refresh_text(fit(n))
    assert f"Scored {n} customer{s} ({n} bought more than once) from {n} purchase{s}" in models
    assert f"{n} distinct pattern{s}" in models and f"({n} repeat customer{s})" in models
    assert f"over {n} month{s};" in analytics_refresh_text(fit(n, HISTORIC))
    overview = WorkspaceOverview(
        customers=n, contacts=n, purchases=n, refunds=n, interactions=n, nps_responses=n,
        revenue=100, first_purchase=NOW, last_purchase=NOW,
        top_customers=[TopCustomer(1, "Acme Corp", None, n, 100)], follow_ups_today=[],
        follow_ups_overdue=0, promoters=n, detractors=n,
    )  # fmt: skip
    load = DemoLoad(imports=[summary], contacts=n, shifted_by_days=n)
    tour = demo_tour_text(overview=overview, load=load, team_id="T1", tz=NEW_YORK, reps={})
    for phrase in (
        f"moved {n} day{s} forward",
        f"{n} customer{s} · {n} contact{s} · {n} purchase{s} and {n} refund{s}",
        f"{n} logged call{s}, meeting{s}, email{s} " + ("or note" if n == 1 else "and notes"),
        f"{n} NPS answer{s}",
        f"{n} row{s}: {n} added",
        f"over {n} order{s}",
        f"({n} promoter{s}, {n} detractor{s})",
    ):
        assert phrase in tour


@ONE_OR_TWO
def test_find_clv_segments_and_pareto(n, bot, engine):
    s = "" if n == 1 else "s"
    with unit_of_work(engine) as session:
        for i in range(n):
            acme = create_customer(session, team_id="T1", name=f"Acme {'XY'[i]}")
            create_customer(session, team_id="T1", name=f"Idle {'XY'[i]}")  # never bought
            for days in (30, n):
                record_purchase(
                    session, team_id="T1", customer_id=acme.id, amount="100",
                    default_currency="USD", purchased_at=NOW - timedelta(days=days),
                )  # fmt: skip
    assert f"{n} customer{s} matching" in bot.exec("find acme")
    assert f"*{n}* customer{s} matching" in bot.slack("find acme")["text"]
    out = bot.exec(f"clv top {n}")
    assert isinstance(bot.result, ClvTop) and len(bot.result.values) == n
    assert f"Top {n} customer{s} by predicted 12-month CLV" in out
    assert ("1 scored customer:" if n == 1 else "All 2 scored customers:") in out
    assert f"only {n} customer{s} bought more than once" in out
    segments = bot.exec("segments")
    assert f"RFM segments of {n} customer{s} who bought" in segments
    assert f"last purchase {n} day{s} ago on average" in segments
    assert f"{n} customer{'s have' if n > 1 else ' has'} no purchases and no segment" in segments
    left_out = "1 customer without purchases is" if n == 1 else "2 customers without purchases are"
    assert f"{left_out} left out" in str(bot.slack("segments"))
    assert f"80% of revenue comes from {n} customer{s}," in bot.exec("pareto")


@ONE_OR_TWO
def test_nps_counts(n, bot, engine):
    s = "" if n == 1 else "s"
    with unit_of_work(engine) as session:
        acme = create_customer(session, team_id="T1", name="Acme")
        for score in [10] * n + [8] * n + [2] * n:
            record_nps(
                session, team_id="T1", customer_id=acme.id, score=score,
                responded_at=NOW - timedelta(hours=1),
            )  # fmt: skip
    out = bot.exec(f"nps last {n} days")
    assert isinstance(bot.result, NpsReport)
    assert f"Last {n} day{s}: NPS +0" in out
    assert f"from {3 * n} answers: {n} promoter{s}, {n} passive{s}, {n} detractor{s}" in out
    assert f"NPS, last {n} day{s}" in str(bot.slack(f"nps last {n} days"))


def test_nps_of_one_answer(bot, engine):
    with unit_of_work(engine) as session:
        acme = create_customer(session, team_id="T1", name="Acme")
        record_nps(
            session, team_id="T1", customer_id=acme.id, score=9,
            responded_at=NOW - timedelta(hours=1),
        )  # fmt: skip
    out = bot.exec("nps")
    assert "from 1 answer: 1 promoter, 0 passives, 0 detractors" in out
    assert "2026-03: +100 (1 answer)" in out


@ONE_OR_TWO
def test_forget_and_export_count_what_they_hold(n, bot, engine):
    s = "" if n == 1 else "s"
    with unit_of_work(engine) as session:
        acme = create_customer(session, team_id="T1", name="Acme")
        for i in range(n):
            add_contact(session, team_id="T1", customer_id=acme.id, name=f"Person {i}")
            log_interaction(
                session, team_id="T1", customer_id=acme.id, kind="call", summary=f"call {i}",
                occurred_at=NOW, author_user_id="U0REP0001", source="console",
            )  # fmt: skip
            record_nps(
                session, team_id="T1", customer_id=acme.id, score=8, comment=f"fine {i}",
                responded_at=NOW,
            )  # fmt: skip
            record_purchase(
                session, team_id="T1", customer_id=acme.id, amount="-5" if i else "50",
                default_currency="USD", purchased_at=NOW,
            )  # fmt: skip
    exported = bot.exec("export acme", role="admin")
    assert isinstance(bot.result, ExportReady)
    held = (
        f"1 customer record, {n} contact{s}, {n} interaction{s}, "
        + ("1 purchase or refund" if n == 1 else "2 purchases and refunds")
        + f", {n} NPS answer{s}, 0 sets of scores, 0 writes kept for undo, "
        + "0 customers merged into this one"
    )
    assert held in exported and held in str(bot.slack("export acme", role="admin"))
    assert f"name and email, {n} contact{s}, the text of every" in bot.exec(
        "forget acme", role="admin"
    )
    erased = bot.exec(f"forget #{acme.id} confirm", role="admin")
    assert isinstance(bot.result, Forgotten)
    assert (
        f"name and email, {n} contact{s}, the text of {n} interaction{s}, {n} NPS comment{s}."
        in erased
    )
