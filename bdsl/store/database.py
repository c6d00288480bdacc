"""The two databases a run store can live in, behind one small interface.

    db = open_database("runs/x/store.sqlite")            # SQLite, WAL (the default)
    db = open_database("postgresql://host/dbname")       # PostgreSQL (many workers)
    db.execute("SELECT ... WHERE key = ?", (key,)).fetchone()
    with db.transaction() as tx: tx.execute(...)

Store code writes one SQL dialect: `?` placeholders, `INSERT ... ON CONFLICT ... DO`,
`RETURNING`, and the type words of schema.py. The PostgreSQL adapter turns `?` into the
driver's `%s`. Nothing outside bdsl/store sees a connection.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class StoreUnavailable(Exception):
    """The database cannot be opened or read (message safe to show, no credentials)."""


class Database:
    dialect = ""
    readonly = False

    def execute(self, sql: str, params=()):
        raise NotImplementedError

    @contextmanager
    def transaction(self) -> Iterator[Database]:
        raise NotImplementedError
        yield self

    def close(self) -> None:
        raise NotImplementedError


class SQLiteDatabase(Database):
    dialect = "sqlite"

    def __init__(self, path: str | Path, readonly: bool = False, durable: bool = False,
                 timeout: float = 30.0):
        self.path = Path(path)
        self.readonly = readonly
        try:
            if readonly:
                # immutable=0 but mode=ro: never takes a write lock, works in a read-only dir
                self.conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True,
                                            isolation_level=None, timeout=timeout,
                                            check_same_thread=False)
            else:
                self.conn = sqlite3.connect(self.path, isolation_level=None, timeout=timeout,
                                            check_same_thread=False)
                self.conn.execute("PRAGMA journal_mode=WAL")
                self.conn.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
                self.conn.execute("PRAGMA foreign_keys=ON")
        except sqlite3.Error as e:
            raise StoreUnavailable(f"cannot open {self.path}: {e}") from None

    def execute(self, sql: str, params=()):
        return self.conn.execute(sql, params)

    @contextmanager
    def transaction(self) -> Iterator[Database]:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def close(self) -> None:
        self.conn.close()


_PLACEHOLDER = re.compile(r"\?")


def to_pg(sql: str) -> str:
    """`?` placeholders -> psycopg's `%s` (a literal `%` doubled first)."""
    return _PLACEHOLDER.sub("%s", sql.replace("%", "%%"))


class PostgresDatabase(Database):
    dialect = "postgresql"

    def __init__(self, url: str, readonly: bool = False):
        try:
            import psycopg
        except ImportError:
            raise StoreUnavailable("a postgresql:// store needs psycopg: "
                                   "pip install 'psycopg[binary]'") from None
        self.url = url
        self.readonly = readonly
        try:
            self.conn = psycopg.connect(url, autocommit=True)
        except psycopg.Error as e:
            raise StoreUnavailable(f"cannot connect to {redact(url)}: "
                                   f"{str(e).strip().splitlines()[0]}") from None
        # SUM over BIGINT is NUMERIC in PostgreSQL; read it back as SQLite would (int/float)
        self.conn.adapters.register_loader("numeric", _numeric_loader())
        if readonly:
            self.conn.execute("SET default_transaction_read_only = on")

    def execute(self, sql: str, params=()):
        return self.conn.execute(to_pg(sql), params)

    @contextmanager
    def transaction(self) -> Iterator[Database]:
        with self.conn.transaction():
            yield self

    def close(self) -> None:
        self.conn.close()


def _numeric_loader():
    from decimal import Decimal

    from psycopg.adapt import Loader

    class NumericLoader(Loader):
        def load(self, data):
            value = Decimal(bytes(data).decode())
            return int(value) if value == value.to_integral_value() else float(value)

    return NumericLoader


def redact(url: str) -> str:
    """A database URL with its password masked (for messages)."""
    url = re.sub(r"(://[^:/@]+):[^@/]*@", r"\1:***@", url)
    return re.sub(r"(?<=[?&]password=)[^&]*", "***", url)


def without_password(url: str) -> str:
    """A database URL with no password at all, for store.json: later commands connect with
    it and take the password from PGPASSWORD or ~/.pgpass (a masked `***` in the URL would
    be sent as the password and win over both)."""
    url = re.sub(r"(://[^:/@]+):[^@/]*@", r"\1@", url)
    return re.sub(r"(?<=[?&])password=[^&]*(&|$)", "", url).rstrip("?&")


def is_url(target: str | Path) -> bool:
    return str(target).startswith(("postgresql://", "postgres://"))


def open_database(target: str | Path, readonly: bool = False, durable: bool = False
                  ) -> Database:
    if is_url(target):
        return PostgresDatabase(str(target), readonly)
    return SQLiteDatabase(target, readonly, durable)
