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


def test_upgrading_a_database_that_holds_data_keeps_it(engine):
    """From the first schema to the newest with customers and their purchases in place."""
    from alembic import command
    from sqlalchemy import text

    command.downgrade(db.alembic_config(engine), "0001")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO customer (team_id, name, normalized_name, created_at) "
                "VALUES ('T1', 'Acme', 'acme', '2024-01-01 00:00:00')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO purchase "
                "(team_id, customer_id, purchased_at, amount, currency, created_at) "
                "SELECT 'T1', id, '2024-01-02 00:00:00', 5, 'USD', '2024-01-02 00:00:00' "
                "FROM customer"
            )
        )
    db.upgrade(engine)
    assert db.schema_is_current(engine)
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT c.name, c.updated_at, count(p.id) FROM customer c "
                "JOIN purchase p ON p.customer_id = c.id GROUP BY c.name, c.updated_at"
            )
        ).all()
    assert len(rows) == 1 and rows[0][0] == "Acme" and rows[0][1] is not None and rows[0][2] == 1
