import os
import subprocess
import sys
from pathlib import Path

import pytest

from bdsl.testing import MockServer

SPEC = '''spec "hardening" version "1"
import std.arcs {{ confusion_to_clarity }}
import std.gates {{ not_truncated, clarity }}
persona u : user {{ summary "A first-time saver." }}
persona bot : assistant {{ summary "A money coach." }}
topic budget "Budgeting"
topic debt "Paying off a card"
dataset d {{
  model "{model}"
  assistant bot
  users [u]
  arcs [confusion_to_clarity]
  topics [budget, debt]
  per_cell {per_cell}
  gates [{gates}]
}}
'''


def write_spec(folder: Path, model: str = "fake/echo", per_cell: int = 1,
               gates: str = "not_truncated, clarity") -> Path:
    path = folder / "spec.bds"
    path.write_text(SPEC.format(model=model, per_cell=per_cell, gates=gates))
    return path


def bdsc(*args, env=None, timeout=300) -> subprocess.CompletedProcess:
    """`bdsc` as a user runs it: a new process."""
    full = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True", **(env or {})}
    return subprocess.run([sys.executable, "-m", "bdsl", *map(str, args)], capture_output=True,
                          text=True, env=full, timeout=timeout)


@pytest.fixture
def mock():
    servers = []

    def start(**settings) -> MockServer:
        server = MockServer(**settings).start()
        servers.append(server)
        return server

    yield start
    for s in servers:
        s.stop()
