"""Slack tokens sealed at rest: encrypted with keys from CRM_SECRET_KEYS, so the database alone
(a backup, a dump, a stolen disk) gives nobody a workspace's bot token.

CRM_SECRET_KEYS is a comma-separated list of Fernet keys: the first seals, every one opens,
so a key is rotated by putting a new one first, running `crm secrets rotate` (every stored
token sealed anew with it), then dropping the old one. Fernet is AES-128-CBC with an
HMAC-SHA256, from `cryptography`. A value written before sealing began (a plain `xox…` token
or `https://` webhook URL) is still read, and sealed by the next rotate.
"""

from __future__ import annotations

import os

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Engine, MetaData, Table, Text, select, update
from sqlalchemy.types import TypeDecorator

KEYS_VARIABLE = "CRM_SECRET_KEYS"
MAKE_A_KEY = (
    'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
)
# slack_sdk's installation store: the tables and the columns of them that hold secrets.
SEALED_COLUMNS = {
    "slack_installations": (
        "bot_token",
        "bot_refresh_token",
        "user_token",
        "user_refresh_token",
        "incoming_webhook_url",
    ),
    "slack_bots": ("bot_token", "bot_refresh_token"),
}
_PLAIN_PREFIXES = ("xox", "https://")  # what a value stored before sealing starts with


class MissingSecretKey(RuntimeError):
    """No usable CRM_SECRET_KEYS: tokens cannot be stored or read."""


def cipher_from_environment() -> MultiFernet:
    """The keys in CRM_SECRET_KEYS (the first seals, all open); MissingSecretKey says how to
    make one when there is none."""
    names = [key.strip() for key in os.environ.get(KEYS_VARIABLE, "").split(",") if key.strip()]
    if not names:
        raise MissingSecretKey(
            f"{KEYS_VARIABLE} is not set: installed workspaces' tokens are stored encrypted "
            f"with it. Make a key with\n  {MAKE_A_KEY}\nand set {KEYS_VARIABLE}=<that key> "
            "(keep it with your other secrets, never in app.yaml)"
        )
    try:
        return MultiFernet([Fernet(key) for key in names])
    except ValueError:
        raise MissingSecretKey(
            f"{KEYS_VARIABLE} holds something that is not a Fernet key (32 url-safe base64 "
            f"bytes, comma-separated when there are several). Make one with\n  {MAKE_A_KEY}"
        ) from None


class SealedText(TypeDecorator):
    """A text column whose values are sealed on the way in and opened on the way out."""

    impl = Text
    cache_ok = True

    def __init__(self, cipher: MultiFernet) -> None:
        super().__init__()
        self.cipher = cipher

    def process_bind_param(self, value: str | None, dialect) -> str | None:
        return None if value is None else self.cipher.encrypt(value.encode()).decode()

    def process_result_value(self, value: str | None, dialect) -> str | None:
        return None if value is None else open_value(self.cipher, value)


def open_value(cipher: MultiFernet, value: str) -> str:
    """The plain value of a stored one: opened, or as it is when stored before sealing."""
    if value.startswith(_PLAIN_PREFIXES):
        return value
    try:
        return cipher.decrypt(value.encode()).decode()
    except InvalidToken:
        raise MissingSecretKey(
            f"a stored Slack token was sealed with a key that is not in {KEYS_VARIABLE}: put "
            "the old key back (after the new one) and run `crm secrets rotate`"
        ) from None


def seal_columns(table: Table, cipher: MultiFernet) -> None:
    """Make the secret columns of one of slack_sdk's installation tables sealed ones."""
    for name in SEALED_COLUMNS.get(table.name, ()):
        table.c[name].type = SealedText(cipher)


def reseal_all(engine: Engine, cipher: MultiFernet) -> int:
    """Seal every stored token anew with the first key (plain ones too); how many were."""
    metadata = MetaData()
    count = 0
    with engine.begin() as connection:
        for name, columns in SEALED_COLUMNS.items():
            if not engine.dialect.has_table(connection, name):
                continue
            table = Table(name, metadata, autoload_with=connection)
            for row in connection.execute(select(table.c.id, *(table.c[c] for c in columns))):
                values = {
                    column: _resealed(cipher, value)
                    for column, value in zip(columns, row[1:], strict=True)
                    if value is not None
                }
                if values:
                    connection.execute(update(table).where(table.c.id == row.id).values(values))
                    count += len(values)
    return count


def _resealed(cipher: MultiFernet, value: str) -> str:
    if value.startswith(_PLAIN_PREFIXES):
        return cipher.encrypt(value.encode()).decode()
    try:
        return cipher.rotate(value.encode()).decode()
    except InvalidToken:
        raise MissingSecretKey(
            f"a stored Slack token was sealed with a key that is not in {KEYS_VARIABLE}: "
            "keep the old key in the list (after the new one) until the rotation is done"
        ) from None


def widen_sealed_columns(engine: Engine) -> None:
    """A sealed token is longer than the plain one: make PostgreSQL columns that slack_sdk
    created as VARCHAR(200) before sealing began TEXT (SQLite does not enforce lengths)."""
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as connection:
        for name, columns in SEALED_COLUMNS.items():
            if not engine.dialect.has_table(connection, name):
                continue
            table = Table(name, MetaData(), autoload_with=connection)
            for column in columns:
                if not isinstance(table.c[column].type, Text):
                    connection.exec_driver_sql(
                        f'ALTER TABLE "{name}" ALTER COLUMN "{column}" TYPE TEXT'
                    )
