"""Every example the README and `help` give works as written in the console: each runs
through `crm ask` on the same prepared workspace (a copy for each, so none depends on
another) and must not be refused."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from commands.cli import cli
from commands.registry import VERBS
from crm_core.db import open_engine, unit_of_work
from tests.analytics_data import load_cdnow
from tests.rates import add_rates
from tests.slack_emulator import TEAM_ID

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def readme_examples() -> list[str]:
    """The examples column of the README's table of chat commands."""
    table = README.split("## Talking to the CRM")[1].split("\n\n- ")[0]
    examples = []
    for row in table.splitlines():
        cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", row)[1:-1]]
        if len(cells) == 3 and cells[2].startswith("`"):
            examples += re.findall(r"`([^`]+)`", cells[2])
    return examples


EXAMPLES = list(dict.fromkeys(readme_examples() + [e for spec in VERBS for e in spec.examples]))
SETUP = (
    "people add @jane U0JANE001 Jane Roe",
    "channels add #sales C0SALES01",
    "channels add #enterprise C0ENTERPR1",
    "add customer Acme segment Enterprise owner @jane",
    "add customer Globex segment SMB",
    "add customer Simpson Inc",
    "add contact Jane Roe to Acme email jane@acme.com role CFO",
    *(f"note customer #1: note {n}" for n in range(1, 11)),
    "log call with Acme: renewal, follow up next week",  # interaction #11
    "log call with Globex: demo, follow up next week",  # interaction #12
    "purchase Acme 1200",
    "purchase Globex 300",
    "nps Acme 9 great support",
    "alerts subscribe #sales daily at 9:30",  # not the example's 9:00: a duplicate is refused
    "alerts subscribe #sales weekdays at 8:00",
    "alerts subscribe #sales weekly mon at 9:00",  # subscription #3
    "churn",  # the console fits the models
)


@pytest.fixture(scope="module")
def prepared(tmp_path_factory) -> Path:
    """A SQLite workspace holding what the examples name: CDNOW's first 200 customers (#42
    among them), Acme and Globex, 12 interactions, three alert subscriptions, jane, #sales."""
    folder = tmp_path_factory.mktemp("readme")
    database = folder / "crm.db"
    engine = open_engine(f"sqlite:///{database}")
    with unit_of_work(engine) as session:
        load_cdnow(session, customers=200, team_id=TEAM_ID)
    add_rates(engine, team_id=TEAM_ID)  # `purchase Globex EUR 99` needs a EUR rate
    engine.dispose()
    runner = CliRunner()
    for line in SETUP:
        done = runner.invoke(cli, ["ask", line], env=_env(folder, database))
        assert done.exit_code == 0, (line, done.output)
    return database


def _env(folder: Path, database: Path) -> dict[str, str]:
    (folder / "app.yaml").write_text("default_timezone: UTC\n")
    return {
        "CRM_DATABASE_URL": f"sqlite:///{database}",
        "CRM_TEAM_ID": TEAM_ID,
        "CRM_CONFIG": str(folder / "app.yaml"),
    }


@pytest.fixture(scope="module")
def slack():
    """The Web API the console reaches with a bot token (alerts subscribe and test)."""
    from tests.slack_emulator import SlackEmulator

    with SlackEmulator() as emulator:
        emulator.tokens.add("xoxb-readme")
        yield emulator


def test_the_readme_and_help_give_examples():
    assert len(EXAMPLES) > 60 and "find Jane Roe" in EXAMPLES


@pytest.mark.parametrize("example", EXAMPLES)
def test_an_example_works_as_written(prepared, slack, tmp_path, monkeypatch, example):
    copy = tmp_path / "crm.db"
    with sqlite3.connect(prepared) as source, sqlite3.connect(copy) as target:
        source.backup(target)  # with what is still in the write-ahead log
    monkeypatch.chdir(tmp_path)  # `export` writes its files here
    env = {
        **_env(tmp_path, copy),
        "SLACK_BOT_TOKEN": "xoxb-readme",
        "SLACK_API_URL": slack.base_url,
    }
    result = CliRunner().invoke(cli, ["ask", example], env=env)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output


def test_the_console_with_a_bot_token_posts_alerts_test_to_slack(prepared, slack, tmp_path):
    copy = tmp_path / "crm.db"
    with sqlite3.connect(prepared) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    env = {
        **_env(tmp_path, copy),
        "SLACK_BOT_TOKEN": "xoxb-readme",
        "SLACK_API_URL": slack.base_url,
    }
    before = len(slack.messages_in("C0SALES01"))
    result = CliRunner().invoke(cli, ["ask", "alerts test 3"], env=env)
    assert result.exit_code == 0 and "Posted the churn digest" in result.output
    [posted] = slack.messages_in("C0SALES01")[before:]
    assert posted["text"].startswith("Churn digest:")
    without = CliRunner().invoke(cli, ["ask", "alerts test 3"], env=_env(tmp_path, copy))
    assert without.exit_code == 1 and "cannot reach" in without.output
