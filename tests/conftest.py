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
