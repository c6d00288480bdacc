import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")


@pytest.fixture
def at_root(monkeypatch):
    """Run from the repo root so diagnostics show stable relative paths."""
    monkeypatch.chdir(ROOT)
    return ROOT


@pytest.fixture(scope="session")
def postgres(tmp_path_factory):
    """A PostgreSQL server for this test session (skipped, saying why, without one)."""
    from bdsl.testing.postgres_server import PostgresServer, pg_bindir

    if pg_bindir() is None:
        pytest.skip("PostgreSQL is not installed here (apt-get install postgresql)")
    import shutil
    import tempfile

    # not under pytest's tmp tree: that is private to root, and the server runs as postgres
    base = Path(tempfile.mkdtemp(prefix="bdsl-pg-"))
    base.chmod(0o755)
    server = PostgresServer(base).start()
    yield server
    server.stop()
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_target(request, tmp_path):
    """Where a store lives: a SQLite file in tmp_path, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return None
    return request.getfixturevalue("postgres").new_database()
