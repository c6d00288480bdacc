"""The run store's SQLite schema, versioned.

One database per run directory (`store.sqlite`). Bump SCHEMA_VERSION and append
a migration to MIGRATIONS whenever the schema changes; `apply_schema` brings an
older store up to date and refuses a newer one.
"""

from __future__ import annotations

import re
import sqlite3

SCHEMA_VERSION = 1

_V1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

-- one row per `bdsc run` invocation
CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    started_at REAL NOT NULL,
    finished_at REAL,
    status TEXT NOT NULL,              -- running | done | failed | stopped_budget | interrupted
    spec_name TEXT NOT NULL, spec_version TEXT NOT NULL, spec_path TEXT NOT NULL,
    spec_hash TEXT NOT NULL, plan_hash TEXT NOT NULL,
    regulations_json TEXT NOT NULL,
    model_override TEXT NOT NULL DEFAULT '',
    options_json TEXT NOT NULL,
    calls_made INTEGER NOT NULL DEFAULT 0,
    cache_hits INTEGER NOT NULL DEFAULT 0,
    reused INTEGER NOT NULL DEFAULT 0,
    regenerated INTEGER NOT NULL DEFAULT 0
);

-- the current plan's jobs; content_hash is the effective hash (model override included)
CREATE TABLE jobs (
    key TEXT PRIMARY KEY,
    dataset TEXT NOT NULL, kind TEXT NOT NULL,
    content_hash TEXT NOT NULL, gates_hash TEXT NOT NULL,
    seed INTEGER NOT NULL, model TEXT NOT NULL,
    job_json TEXT NOT NULL,
    state TEXT NOT NULL,               -- pending | done | failed
    error TEXT NOT NULL DEFAULT '',
    position INTEGER NOT NULL,         -- order in the plan
    in_plan INTEGER NOT NULL DEFAULT 1,
    updated_at REAL NOT NULL
);

-- a finished generation of one job version; older versions stay for diff/audit
CREATE TABLE conversations (
    id INTEGER PRIMARY KEY,
    job_key TEXT NOT NULL, content_hash TEXT NOT NULL,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    dataset TEXT NOT NULL, kind TEXT NOT NULL,
    model TEXT NOT NULL, params_json TEXT NOT NULL, seed INTEGER NOT NULL,
    context_json TEXT NOT NULL,        -- the job's scaffolding (JobContext + cell)
    prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL,
    cost REAL,                         -- NULL when any call's cost is unknown
    calls INTEGER NOT NULL,
    started_at REAL NOT NULL, finished_at REAL NOT NULL,
    provenance_json TEXT NOT NULL,
    UNIQUE (job_key, content_hash)
);

-- kind: message (the conversation) | hidden (deliberation scratch) |
--       alternate (a counter-example for a message, e.g. bad synthesis) | note (meta-commentary)
CREATE TABLE turns (
    conversation_id INTEGER NOT NULL REFERENCES conversations(id),
    seq INTEGER NOT NULL,
    idx INTEGER NOT NULL,              -- TurnTarget.index the record belongs to
    role TEXT NOT NULL, kind TEXT NOT NULL, label TEXT NOT NULL DEFAULT '',
    content TEXT NOT NULL,
    train INTEGER NOT NULL,
    session INTEGER NOT NULL DEFAULT -1,
    target_json TEXT NOT NULL,
    call_id INTEGER REFERENCES llm_calls(id),
    PRIMARY KEY (conversation_id, seq)
);

CREATE TABLE annotations (
    conversation_id INTEGER NOT NULL REFERENCES conversations(id),
    seq INTEGER NOT NULL,
    primary_emotion TEXT NOT NULL, secondary_emotion TEXT NOT NULL,
    intensity REAL NOT NULL, valence REAL NOT NULL, strategy TEXT NOT NULL,
    raw_json TEXT NOT NULL,
    call_id INTEGER REFERENCES llm_calls(id),
    PRIMARY KEY (conversation_id, seq)
);

-- the journal: every paid call, committed before its result is used
CREATE TABLE llm_calls (
    id INTEGER PRIMARY KEY,
    request_hash TEXT NOT NULL UNIQUE,
    run_id INTEGER NOT NULL,
    job_key TEXT NOT NULL, content_hash TEXT NOT NULL,
    step TEXT NOT NULL, turn_index INTEGER NOT NULL, attempt INTEGER NOT NULL,
    model TEXT NOT NULL,
    request_json TEXT NOT NULL,        -- messages + params; never credentials
    response_text TEXT NOT NULL,
    finish_reason TEXT NOT NULL,
    status TEXT NOT NULL,              -- ok | truncated
    prompt_tokens INTEGER, completion_tokens INTEGER,
    cost REAL, latency_s REAL NOT NULL,
    created_at REAL NOT NULL
);
CREATE INDEX llm_calls_job ON llm_calls (job_key, content_hash);

CREATE TABLE errors (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL,
    job_key TEXT NOT NULL, content_hash TEXT NOT NULL,
    step TEXT NOT NULL, turn_index INTEGER NOT NULL, attempt INTEGER NOT NULL,
    kind TEXT NOT NULL,                -- truncated | invalid_output | invalid_annotation | llm_error | ...
    message TEXT NOT NULL,
    created_at REAL NOT NULL
);

-- for gates, review and export (written by later stages)
CREATE TABLE gate_results (
    conversation_id INTEGER NOT NULL REFERENCES conversations(id),
    gate TEXT NOT NULL, gates_hash TEXT NOT NULL,
    passed INTEGER NOT NULL, score REAL, threshold REAL,
    reason TEXT NOT NULL DEFAULT '', details_json TEXT NOT NULL DEFAULT '{}',
    created_at REAL NOT NULL,
    PRIMARY KEY (conversation_id, gate, gates_hash)
);
CREATE TABLE reviews (
    id INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id),
    reviewer TEXT NOT NULL, role TEXT NOT NULL,
    decision TEXT NOT NULL,            -- approve | reject | edit | pending
    notes TEXT NOT NULL DEFAULT '',
    use_as_seed_example INTEGER NOT NULL DEFAULT 0,
    edited_json TEXT,                  -- edited messages, if any
    created_at REAL NOT NULL
);
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at REAL NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
    subject TEXT NOT NULL, details_json TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE changelog (
    id INTEGER PRIMARY KEY,
    at REAL NOT NULL, run_id INTEGER NOT NULL,
    spec_hash TEXT NOT NULL, plan_hash TEXT NOT NULL,
    added INTEGER NOT NULL, changed INTEGER NOT NULL, unchanged INTEGER NOT NULL,
    removed INTEGER NOT NULL, details_json TEXT NOT NULL DEFAULT '{}'
);
"""

# MIGRATIONS[v] takes a store at version v to v + 1.
MIGRATIONS: dict[int, str] = {0: _V1}


class SchemaError(Exception):
    pass


def schema_version(db: sqlite3.Connection) -> int:
    has_meta = db.execute(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'").fetchone()
    if not has_meta:
        return 0
    row = db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
    return int(row[0]) if row else 0


def check_schema(db: sqlite3.Connection) -> None:
    """For read-only opens: the store must already be at this bdsc's version."""
    version = schema_version(db)
    if version != SCHEMA_VERSION:
        raise SchemaError(f"store schema version {version}, this bdsc reads {SCHEMA_VERSION}; "
                          + ("upgrade bdsl" if version > SCHEMA_VERSION else
                             "open it once with a writing command (e.g. `bdsc score`) to migrate"))


def apply_schema(db: sqlite3.Connection) -> None:
    version = schema_version(db)
    if version > SCHEMA_VERSION:
        raise SchemaError(f"store schema version {version} is newer than this bdsc "
                          f"({SCHEMA_VERSION}); upgrade bdsl")
    while version < SCHEMA_VERSION:
        # the connection is in autocommit mode: one explicit transaction per migration
        db.execute("BEGIN IMMEDIATE")
        try:
            for stmt in _statements(MIGRATIONS[version]):
                db.execute(stmt)
            version += 1
            db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', ?)",
                       (str(version),))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise


def _statements(script: str) -> list[str]:
    # the DDL holds no string literals, so comments can be cut before splitting on ";"
    text = re.sub(r"--[^\n]*", "", script)
    return [s.strip() for s in text.split(";") if s.strip()]
