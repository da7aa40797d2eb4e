"""Heavy verbs from Slack run at most once per interval per user (commands.rate_limits)."""

from __future__ import annotations

from datetime import timedelta

from commands.rate_limits import HEAVY
from commands.results import Problem


def test_a_second_clv_check_within_the_interval_says_when_to_retry(bot):
    slack = {"source": "slack", "channel_id": "C1"}
    bot.exec("clv check", **slack)
    assert not (isinstance(bot.result, Problem) and "run this again" in bot.result.message)
    bot.now += timedelta(seconds=15)
    out = bot.exec("clv check", **slack)
    assert isinstance(bot.result, Problem)
    assert f"you can run this again in {HEAVY['clv check'] - 15} s" in out
    bot.exec("clv check", user_id="U0OTHER01", **slack)  # per user: another may
    assert "run this again" not in getattr(bot.result, "message", "")
    bot.now += timedelta(seconds=HEAVY["clv check"] - 15)
    bot.exec("clv check", **slack)
    assert "run this again" not in getattr(bot.result, "message", "")


def test_charts_are_limited_per_verb_and_the_console_is_not(bot):
    slack = {"source": "slack", "channel_id": "C1", "wants_chart": True}
    bot.exec("nps", **slack)
    out = bot.exec("nps", **slack)
    assert "a chart of `nps summary` runs at most once every" in out
    bot.exec("retention", **slack)
    assert "run this again" not in getattr(bot.result, "message", "")
    for _ in range(3):  # the operator at the console
        assert "run this again" not in bot.exec("clv check")
