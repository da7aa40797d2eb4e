"""The Alembic migrations build exactly the schema the models describe, on first use."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

from crm_core import db


def test_migrations_match_the_models(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(connection)
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def test_first_use_creates_the_schema_and_later_uses_find_it_current(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    engine = db.open_engine(url)
    assert db.schema_is_current(engine)
    assert {
        "customer",
        "interaction",
        "purchase",
        "nps_response",
        "contact",
        "customer_merge",
    } <= set(inspect(engine).get_table_names())
    db.upgrade(engine)  # running it again is harmless
    assert db.schema_is_current(engine)
    engine.dispose()
