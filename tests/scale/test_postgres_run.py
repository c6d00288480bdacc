"""A whole run kept in PostgreSQL reads and exports exactly like one kept in SQLite."""

from __future__ import annotations

import json

from tests.rundir.conftest import bdsc, write_spec


def _export(run_dir, out):
    r = bdsc("export", run_dir, "--format", "openai", "-o", out, "--include-unreviewed",
             "--split", "1")
    assert r.returncode == 0, r.stderr
    return [json.loads(line) for line in (out / "train.jsonl").read_text().splitlines()]


def test_a_postgresql_run_matches_a_sqlite_run(tmp_path, postgres):
    spec = write_spec(tmp_path, per_cell=2, gates="not_truncated")
    url = postgres.new_database()
    lite = bdsc("run", spec, "--out", tmp_path / "lite")
    assert lite.returncode == 0, lite.stderr
    pg = bdsc("run", spec, "--out", tmp_path / "pg", "--store", url)
    assert pg.returncode == 0, pg.stderr
    assert "store postgresql://" in pg.stdout
    assert not (tmp_path / "pg" / "store.sqlite").exists()

    # the run directory points at its store: later commands need no --store
    status = bdsc("status", tmp_path / "pg", "--format", "json")
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["jobs"]["done"] == 4
    assert _export(tmp_path / "pg", tmp_path / "pg-export") == \
        _export(tmp_path / "lite", tmp_path / "lite-export")

    # resuming against the same database pays for nothing again
    again = bdsc("run", spec, "--out", tmp_path / "pg", "--store", url)
    assert again.returncode == 0, again.stderr
    assert "this run: 0 LLM calls" in again.stdout, again.stdout


def test_a_wrong_database_url_is_one_line(tmp_path):
    spec = write_spec(tmp_path)
    r = bdsc("run", spec, "--out", tmp_path / "run",
             "--store", "postgresql://nobody:secret@127.0.0.1:1/none")
    assert r.returncode != 0
    assert "Traceback" not in r.stderr
    assert "cannot connect to postgresql://nobody:***@127.0.0.1:1/none" in r.stderr
    assert "secret" not in r.stderr + r.stdout


def test_two_run_directories_cannot_share_one_database(tmp_path, postgres):
    spec = write_spec(tmp_path, gates="not_truncated")
    url = postgres.new_database()
    assert bdsc("run", spec, "--out", tmp_path / "a", "--store", url).returncode == 0
    r = bdsc("run", spec, "--out", tmp_path / "b", "--store", url)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "already holds the store of another run directory" in r.stderr
    assert str((tmp_path / "a").resolve()) in r.stderr
    assert "Traceback" not in r.stderr


def test_urls_in_messages_are_masked_and_store_json_has_no_password():
    from bdsl.store.database import redact, without_password

    assert redact("postgresql://ana:s3cret@db:5432/x") == "postgresql://ana:***@db:5432/x"
    assert redact("postgresql://ana@db/x?sslmode=require&password=s3cret") == \
        "postgresql://ana@db/x?sslmode=require&password=***"
    assert without_password("postgresql://ana:s3cret@db:5432/x") == "postgresql://ana@db:5432/x"
    assert without_password("postgresql://ana@db/x?password=s3cret&sslmode=require") == \
        "postgresql://ana@db/x?sslmode=require"
    assert without_password("postgresql://ana@db/x?sslmode=require&password=s3cret") == \
        "postgresql://ana@db/x?sslmode=require"
    assert without_password("postgresql://ana@db/x") == "postgresql://ana@db/x"


def test_a_password_in_the_url_is_not_written_to_store_json(tmp_path, postgres):
    """store.json's URL is what later commands connect with: a masked password there
    (`***`) would be sent as the password and override PGPASSWORD and ~/.pgpass."""
    from bdsl.store import Store

    url = postgres.new_database()
    with_password = url.replace("postgres@", "postgres:s3cret@")  # trust auth: accepted
    Store.open(tmp_path / "run", url=with_password).close()
    pointer = json.loads((tmp_path / "run" / "store.json").read_text())
    assert pointer["store"] == url
    Store.open_readonly(tmp_path / "run").close()  # later commands reach it through store.json
