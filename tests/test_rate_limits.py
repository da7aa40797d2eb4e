"""Heavy verbs from Slack run at most once per interval per user (commands.rate_limits)."""

from __future__ import annotations

from datetime import timedelta

from commands.rate_limits import HEAVY
from commands.results import DidYouMean, ExportReady, Problem


def test_a_second_export_within_the_interval_says_when_to_retry(bot):
    slack = {"source": "slack", "channel_id": "C1", "role": "admin"}
    bot.exec("add customer Acme")
    bot.exec("export acme", **slack)
    assert isinstance(bot.result, ExportReady)
    bot.now += timedelta(seconds=4)
    out = bot.exec("export acme", **slack)
    assert isinstance(bot.result, Problem)
    assert f"you can run this again in {HEAVY['export'] - 4} s" in out
    bot.exec("export acme", **{**slack, "user_id": "U0OTHER01"})  # per user: another may
    assert isinstance(bot.result, ExportReady)
    bot.now += timedelta(seconds=HEAVY["export"] - 4)
    bot.exec("export acme", **slack)
    assert isinstance(bot.result, ExportReady)


def test_charts_are_limited_per_verb_and_the_console_is_not(bot):
    slack = {"source": "slack", "channel_id": "C1", "wants_chart": True}
    bot.exec("nps", **slack)
    out = bot.exec("nps", **slack)
    assert "a chart of `nps summary` runs at most once every" in out
    bot.exec("retention", **slack)
    assert "run this again" not in getattr(bot.result, "message", "")
    for _ in range(3):  # the operator at the console
        assert "run this again" not in bot.exec("clv check")


def test_a_did_you_mean_is_no_run_so_its_choice_is_not_held_back(bot):
    slack = {"source": "slack", "channel_id": "C1", "role": "admin"}
    bot.exec("add customer Globex East")
    bot.exec("add customer Globex West as new")
    bot.exec("export globex", **slack)
    assert isinstance(bot.result, DidYouMean)
    out = bot.exec(bot.result.choices[0].command, **slack)
    assert isinstance(bot.result, ExportReady), out
    out = bot.exec("export globex east", **slack)
    assert "you can run this again in 10 s" in out  # a real export did run
