"""The console when things go wrong: a bad time zone, a workspace that is not the demo's, a
reset nobody confirmed, a database file deleted under a running process, and Ctrl-C."""

from __future__ import annotations

import os
import pty
import select
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlmodel import func
from sqlmodel import select as select_rows

from commands import Actor, Backend, dispatch
from commands.cli import cli
from commands.results import CustomerAdded, Problem
from crm_core.customers import create_customer
from crm_core.db import open_engine, unit_of_work
from crm_core.models import AnalyticsFit, Customer, Interaction, Purchase
from crm_core.settings import Settings
from tests.analytics_data import load_cdnow
from tests.slack_emulator import SlackEmulator
from tests.slack_requests import SIGNING_SECRET, SlackSender
from tests.test_serve import free_port, wait_healthy

CRM = shutil.which("crm", path=str(Path(sys.executable).parent))
TEAM = "TCLI"


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    """A `crm` pointed at its own SQLite file through the environment, as an operator would."""
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    env = {
        "CRM_DATABASE_URL": url,
        "CRM_TEAM_ID": TEAM,
        "CRM_CONFIG": str(tmp_path / "app.yaml"),
        "CRM_HISTORY": str(tmp_path / "history"),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    (tmp_path / "app.yaml").write_text("default_timezone: UTC\n")
    runner = CliRunner()

    def crm(*args: str, input: str | None = None):
        return runner.invoke(cli, list(args), input=input, catch_exceptions=False)

    crm.url, crm.path, crm.env, crm.folder = url, tmp_path / "crm.db", env, tmp_path
    return crm


def count(url: str, table) -> int:
    with unit_of_work(open_engine(url)) as session:
        return session.exec(
            select_rows(func.count()).select_from(table).where(table.team_id == TEAM)
        ).one()


def add_customers(url: str, *names: str) -> None:
    with unit_of_work(open_engine(url)) as session:
        for name in names:
            create_customer(session, team_id=TEAM, name=name)


# --tz


@pytest.mark.parametrize("command", [("ask", "help"), ("chat",)])
def test_a_time_zone_that_does_not_exist_is_named_with_how_to_write_one(workspace, command):
    result = workspace(command[0], "--tz", "Mars/Base", *command[1:], input="quit\n")
    assert result.exit_code == 2
    assert "'Mars/Base' is not a time zone" in result.output
    assert "IANA name such as Europe/Paris" in result.output
    assert "Traceback" not in result.output


def test_a_real_time_zone_is_still_taken(workspace):
    add_customers(workspace.url, "Acme Corp")
    result = workspace("ask", "--tz", "Asia/Tokyo", "log call with acme: renewal, follow up tue")
    assert result.exit_code == 0 and "Logged" in result.output, result.output
    with unit_of_work(open_engine(workspace.url)) as session:
        [call] = session.exec(select_rows(Interaction)).all()
    assert call.follow_up_at.astimezone(ZoneInfo("Asia/Tokyo")).hour == 9


# crm demo


def test_demo_leaves_a_workspace_with_other_customers_alone_and_says_what_to_do(workspace):
    add_customers(workspace.url, "Acme Corp")
    result = workspace("demo")
    assert result.exit_code == 1
    assert "already holds 1 customer of its own, so the demo was not loaded" in result.output
    assert "already loaded" not in result.output
    assert "CRM_DATABASE_URL=sqlite:///demo.db crm demo" in result.output
    assert "crm demo --reset" in result.output
    assert count(workspace.url, Customer) == 1 and count(workspace.url, Purchase) == 0


def test_demo_reset_in_a_script_without_yes_deletes_nothing(workspace):
    add_customers(workspace.url, "Acme Corp", "Globex")
    result = workspace("demo", "--reset")
    assert result.exit_code == 1
    assert "would delete everything in workspace TCLI" in result.output
    assert "2 customers" in result.output and "add --yes" in result.output
    assert count(workspace.url, Customer) == 2


def test_demo_reset_on_a_terminal_shows_the_counts_and_takes_no_for_an_answer(workspace):
    add_customers(workspace.url, "Acme Corp", "Globex")
    output, code = on_a_terminal([CRM, "demo", "--reset"], workspace, answer="n")
    assert "deletes everything in workspace TCLI" in output and "2 customers" in output
    assert "Delete all of this and load the demo? [y/N]" in output
    assert "Nothing was deleted" in output and code == 1
    assert count(workspace.url, Customer) == 2


def test_demo_reset_with_yes_replaces_the_workspace_with_the_demo(workspace):
    add_customers(workspace.url, "Acme Corp")
    result = workspace("demo", "--reset", "--yes")
    assert result.exit_code == 0, result.output
    assert "23,570 customers" in result.output
    assert count(workspace.url, Customer) == 23_570
    with unit_of_work(open_engine(workspace.url)) as session:
        assert (
            session.exec(select_rows(Customer).where(Customer.name == "Acme Corp")).first() is None
        )
    again = workspace("demo")  # what `make demo` runs a second time
    assert again.exit_code == 0 and "The demo data is already loaded" in again.output


def on_a_terminal(command: list[str], workspace, *, answer: str) -> tuple[str, int]:
    """Run `command` with a pseudo-terminal as its stdin and stdout, answer its question."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        command,
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=os.environ | workspace.env,
        cwd=workspace.folder,
    )
    os.close(follower)
    output = b""
    deadline = time.monotonic() + 60
    answered = False
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            output += chunk
        if not answered and b"[y/N]" in output:
            os.write(leader, answer.encode() + b"\n")
            answered = True
        if process.poll() is not None and not ready:
            break
    os.close(leader)
    return output.decode(errors="replace"), process.wait(timeout=10)


# The database file deleted under a running process


def console_backend(url: str) -> tuple[Backend, Actor]:
    backend = Backend(open_engine(url), Settings(database_url=url, team_id=TEAM))
    return backend, Actor(team_id=TEAM, user_id="U0REP0001", tz=UTC)


def test_a_write_after_the_database_file_was_deleted_is_refused(tmp_path):
    path = tmp_path / "crm.db"
    backend, actor = console_backend(f"sqlite:///{path}")
    assert isinstance(dispatch("add customer Acme Corp", actor, backend).result, CustomerAdded)
    path.unlink()
    answer = dispatch("log call with acme: renewal", actor, backend)
    assert isinstance(answer.result, Problem)
    assert f"the database file {path} was deleted after this process opened it" in (
        answer.result.message
    )
    assert "nothing was saved" in answer.result.message and "restart" in answer.result.message
    assert answer.result.usage is None  # not about how the command was typed
    assert not path.exists(), "a new empty database appeared where the old one was"


def test_a_write_after_the_database_file_was_replaced_is_refused(tmp_path):
    path, other = tmp_path / "crm.db", tmp_path / "other.db"
    backend, actor = console_backend(f"sqlite:///{path}")
    dispatch("add customer Acme Corp", actor, backend)
    add_customers(f"sqlite:///{other}", "Globex")
    os.replace(other, path)
    answer = dispatch("log call with acme: renewal", actor, backend)
    assert isinstance(answer.result, Problem)
    assert "was replaced by another file after this process opened it" in answer.result.message
    with sqlite3.connect(path) as replacement:
        assert replacement.execute("SELECT count(*) FROM interaction").fetchone() == (0,)


def test_crm_chat_says_its_database_is_gone_and_writes_nowhere(workspace):
    add_customers(workspace.url, "Acme Corp")
    chat = Chat(workspace)
    chat.say("log call with acme: first call")
    chat.wait_for("Logged")
    workspace.path.unlink()
    chat.say("log call with acme: second call")
    chat.wait_for("was deleted after this process opened it")
    assert chat.leave() == 0
    assert not workspace.path.exists()


def test_crm_serve_says_its_database_is_gone_and_fails_its_health_check(tmp_path):
    path = tmp_path / "crm.db"
    with unit_of_work(open_engine(f"sqlite:///{path}")) as session:
        create_customer(session, team_id="T1", name="Acme Corp")
    port = free_port()
    with SlackEmulator() as emulator:
        env = os.environ | {
            "CRM_DATABASE_URL": f"sqlite:///{path}",
            "SLACK_BOT_TOKEN": "xoxb-serve-test",
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": emulator.base_url,
        }
        env.pop("SLACK_APP_TOKEN", None)
        process = subprocess.Popen(
            [CRM, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
             "--no-scheduler"],
            env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        try:
            health = f"http://127.0.0.1:{port}/healthz"
            wait_healthy(health, process)
            path.unlink()
            sender = SlackSender(f"http://127.0.0.1:{port}/slack/events")
            reply = sender.slash(
                "log call with acme: renewal", response_url=emulator.response_url()
            )
            assert reply.status == 200
            assert "was deleted after this process opened it" in reply.body.decode()
            with pytest.raises(urllib.error.HTTPError, match="503"):
                urllib.request.urlopen(health, timeout=5)
        finally:
            process.terminate()
            process.communicate(timeout=15)
    assert not path.exists()


# Ctrl-C


class Chat:
    """`crm chat` in a real process, fed line by line, its output collected as it comes."""

    def __init__(self, workspace) -> None:
        self.process = subprocess.Popen(
            [CRM, "chat"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=os.environ | workspace.env | {"PYTHONUNBUFFERED": "1"},
            cwd=workspace.folder,
        )
        self.output = ""
        self.seen = 0
        threading.Thread(target=self._read, daemon=True).start()
        self.wait_for("crm> ")

    def _read(self) -> None:
        while chunk := self.process.stdout.read1(4096):
            self.output += chunk.decode()

    def say(self, line: str) -> None:
        self.process.stdin.write(line.encode() + b"\n")
        self.process.stdin.flush()

    def wait_for(self, text: str, seconds: float = 60) -> None:
        """Until `text` appears after what was waited for before."""
        deadline = time.monotonic() + seconds
        while text not in self.output[self.seen :]:
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise AssertionError(f"no {text!r} in the chat's output: {self.output!r}")
            time.sleep(0.02)
        self.seen = self.output.index(text, self.seen) + len(text)

    def leave(self) -> int:
        self.say("quit")
        return self.process.wait(timeout=30)


def test_ctrl_c_stops_a_long_command_rolls_it_back_and_the_chat_goes_on(workspace):
    with unit_of_work(open_engine(workspace.url)) as session:
        load_cdnow(session, customers=23_570, team_id=TEAM)  # the first clv fits on all of it
    chat = Chat(workspace)
    chat.say("clv top 3")
    time.sleep(0.3)
    chat.process.send_signal(signal.SIGINT)
    chat.wait_for("Interrupted: the command stopped and what it changed was rolled back.")
    chat.wait_for("crm> ")
    assert count(workspace.url, AnalyticsFit) == 0, "the interrupted fit was kept"
    chat.process.send_signal(signal.SIGINT)  # at the prompt: the line goes, the chat stays
    chat.wait_for("(Type `quit` or press Ctrl-D to leave.)")
    chat.say("clv top 3")
    chat.wait_for("Top 3 customers by predicted 12-month CLV")
    assert chat.leave() == 0
    assert count(workspace.url, AnalyticsFit) == 1


def test_ctrl_c_stops_a_long_sqlite_statement_midway(tmp_path):
    """SQLite looks at no signal until a statement ends; the console's engine stops anyway."""
    script = f"""
        import os, signal, threading, time
        from sqlalchemy import text
        from crm_core.db import open_engine, stop_on_ctrl_c, unit_of_work

        engine = open_engine("sqlite:///{tmp_path / "crm.db"}")
        stop_on_ctrl_c(engine)
        threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT)).start()
        started = time.monotonic()
        try:
            with unit_of_work(engine) as session:
                session.execute(text(
                    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                    "WHERE i < 2000000000) SELECT count(*) FROM n"
                ))
            print("finished")
        except KeyboardInterrupt:
            print(f"interrupted after {{time.monotonic() - started:.1f}} s")
    """
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.stdout.startswith("interrupted after"), done.stdout + done.stderr
    assert float(done.stdout.split()[2]) < 5


def test_ctrl_c_during_an_import_waits_for_the_import_to_finish(tmp_path):
    """An import cut short leaves its module half-made (pandas then never loads again)."""
    (tmp_path / "slow_to_load.py").write_text("import time\ntime.sleep(1.0)\nLOADED = True\n")
    script = """
        import os, signal, sys, threading, time
        from commands.ctrl_c import outside_imports

        threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT)).start()
        started = time.monotonic()
        try:
            with outside_imports():
                import slow_to_load
                time.sleep(5)
            print("not interrupted")
        except KeyboardInterrupt:
            loaded = getattr(sys.modules.get("slow_to_load"), "LOADED", False)
            print(f"interrupted after {time.monotonic() - started:.1f} s, loaded: {loaded}")
    """
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env=os.environ | {"PYTHONPATH": f"{tmp_path}:{Path(__file__).parent.parent}"},
    )
    assert done.stdout.strip().endswith("loaded: True"), done.stdout + done.stderr
    assert 0.9 < float(done.stdout.split()[2]) < 3
