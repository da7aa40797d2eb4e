"""A console that starts fast: the model libraries load only for the commands that need them,
`crm ask help` needs no database at all, and the schema check reads no migration script."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from datetime import UTC
from pathlib import Path

from alembic.script import ScriptDirectory

from commands.registry import VERBS
from crm_core import db
from reports.chat import render_text
from tests.chat import NOW

ROOT = Path(__file__).resolve().parent.parent
# What issue 13 measured costing 2.7 s of every start.
MODEL_LIBRARIES = ("lifetimes", "autograd", "scipy", "matplotlib")


def run_python(code: str, cwd: Path) -> dict:
    """Run `code` in a fresh interpreter (this process has imported everything already) and
    return the JSON it prints last."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "HOME": str(cwd)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_no_model_library_loads_before_a_command_needs_it(tmp_path):
    seen = run_python(
        f"""
        import json, sys
        from datetime import UTC, datetime

        MODEL_LIBRARIES = {MODEL_LIBRARIES!r}

        def loaded():
            return sorted(name for name in MODEL_LIBRARIES if name in sys.modules)

        stages = {{}}
        import commands.cli, commands.console, commands.dispatch, commands.registry
        stages["import"] = loaded()

        from commands import Actor, Backend, dispatch
        from crm_core.db import open_engine
        from crm_core.settings import Settings
        from reports.chat import render_message, render_text

        url = "sqlite:///{tmp_path / "crm.db"}"
        backend = Backend(open_engine(url), Settings(database_url=url, team_id="T1"))
        actor = Actor(team_id="T1", user_id="U1", tz=UTC, source="console")
        kinds = {{}}
        for text in (
            "help",
            "add customer Acme Corp",
            "customer acme",
            "log call with acme: talked renewal, follow up next tue",
            "purchase acme 120",
            "nps acme 9 great support",
            "nps",
            "clv",
        ):
            answer = dispatch(text, actor, backend)
            render_text(answer, UTC), render_message(answer, UTC)
            stages[text], kinds[text] = loaded(), type(answer.result).__name__
        from reports.charts import render_chart

        chart = render_chart(dispatch("nps", actor, backend))
        stages["nps chart"], kinds["nps chart"] = loaded(), type(chart).__name__
        print(json.dumps({{"stages": stages, "kinds": kinds}}))
        """,
        tmp_path,
    )
    stages, kinds = seen["stages"], seen["kinds"]
    logged = "log call with acme: talked renewal, follow up next tue"
    assert kinds["customer acme"] == "CustomerCard" and kinds[logged] == "Logged"
    for stage in ("import", "help", "add customer Acme Corp", "customer acme"):
        assert stages[stage] == [], f"{stages[stage]} loaded by {stage!r}"
    assert stages[logged] == []
    assert stages["purchase acme 120"] == [] and stages["nps"] == []
    # The check sees them when they do load: fitting CLV and drawing a chart.
    assert kinds["clv"] == "ClvTop" and "lifetimes" in stages["clv"]
    assert kinds["nps chart"] == "bytes" and "matplotlib" in stages["nps chart"]


def test_a_server_worker_loads_no_model_library_before_a_command_needs_it(tmp_path):
    seen = run_python(
        f"""
        import json, sys
        import bot.app, bot.server  # what a gunicorn worker imports to build its app
        from commands.lazy_handlers import import_all

        import_all()  # as make_wsgi does
        print(json.dumps(sorted(name for name in {MODEL_LIBRARIES!r} if name in sys.modules)))
        """,
        tmp_path,
    )
    assert seen == []


def test_crm_ask_help_opens_no_settings_and_no_database(tmp_path):
    (tmp_path / "app.yaml").write_text("analytics:\n  horizon_months: -3\n")  # never read
    seen = run_python(
        """
        import contextlib, io, json, sys
        from commands.cli import main

        sys.argv = ["crm", "ask", "help", "log"]
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
            main()
        heavy = ("sqlalchemy", "sqlmodel", "pydantic", "pandas", "numpy", "alembic")
        print(json.dumps({"out": out.getvalue(), "loaded": [m for m in heavy if m in sys.modules]}))
        """,
        tmp_path,
    )
    assert seen["out"].startswith("log call|meeting|email|note") and "Examples:" in seen["out"]
    assert seen["loaded"] == []
    assert not (tmp_path / "crm.db").exists()


def test_help_without_the_database_says_what_dispatch_says(bot):
    from commands.console import help_answer

    for text in ("help", "help log", "help cac", "help nonsense"):
        assert render_text(help_answer(text, NOW), UTC) == bot.exec(text)
    assert help_answer("customer acme", NOW) is None and help_answer("hepl", NOW) is None


def test_every_handler_the_registry_names_exists():
    for spec in VERBS:
        assert callable(spec.handler.resolve()), f"{spec.name}: no {spec.handler}"


def test_the_cheap_head_revision_is_alembics():
    alembic = ScriptDirectory.from_config(db.alembic_config(None)).get_current_head()
    assert db.head_revision() == alembic


def test_the_schema_check_sees_an_old_schema(engine):
    from alembic import command

    command.downgrade(db.alembic_config(engine), "0011")
    assert not db.schema_is_current(engine)
    db.upgrade(engine)
    assert db.schema_is_current(engine)


def test_first_use_migrates_an_old_schema(tmp_path):
    from alembic import command

    url = f"sqlite:///{tmp_path / 'old.db'}"
    old = db.make_engine(url)
    command.upgrade(db.alembic_config(old), "0011")
    old.dispose()
    assert db.schema_is_current(db.open_engine(url))
