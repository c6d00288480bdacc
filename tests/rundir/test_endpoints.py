"""A dataset names where its model is served (api_base, the env var with its key, several
deployments), without litellm's global environment; `bdsc models check` probes them."""

import json

from tests.rundir.conftest import bdsc

SPEC = '''spec "endpoints" version "1"
import std.arcs {{ confusion_to_clarity }}
import std.gates {{ not_truncated }}
persona u : user {{ summary "A saver." }}
persona bot : assistant {{ summary "A coach." }}
topic a "A"
topic b "B"
dataset d {{
  model "openai/mock-chat"
  endpoint {{ {endpoint} }}
  annotate off
  assistant bot
  users [u]
  arcs [confusion_to_clarity]
  topics [a, b]
  per_cell 2
  gates [not_truncated]
}}
'''


def spec(tmp_path, endpoint: str):
    path = tmp_path / "spec.bds"
    path.write_text(SPEC.format(endpoint=endpoint))
    return path


CLEAN_ENV = {"OPENAI_BASE_URL": "", "OPENAI_API_BASE": "", "OPENAI_API_KEY": ""}


def test_api_base_and_key_env_reach_a_self_hosted_server(tmp_path, mock):
    server = mock(api_key="k-123", models=["mock-chat"])
    path = spec(tmp_path, f'api_base "{server.url}", api_key_env "MOCK_KEY"')
    r = bdsc("run", path, "--out", tmp_path / "run", env={**CLEAN_ENV, "MOCK_KEY": "k-123"})
    assert r.returncode == 0, r.stderr
    assert server.log.stats().billed > 0
    assert "k-123" not in (tmp_path / "run" / "plan.json").read_text()  # keys never written
    assert "k-123" not in json.dumps([str(p) for p in (tmp_path / "run").iterdir()])


def test_deployments_share_one_model_s_load(tmp_path, mock):
    one, two = mock(models=["mock-chat"]), mock(models=["mock-chat"])
    path = spec(tmp_path, f'deployments ["{one.url}", "{two.url}"]')
    r = bdsc("run", path, "--out", tmp_path / "run", env={**CLEAN_ENV, "OPENAI_API_KEY": "x"})
    assert r.returncode == 0, r.stderr
    assert one.log.stats().billed > 0 and two.log.stats().billed > 0


def test_models_check_probes_every_endpoint(tmp_path, mock):
    good = mock(models=["mock-chat"])
    path = spec(tmp_path, f'deployments ["{good.url}", "http://127.0.0.1:9/v1"]')
    r = bdsc("models", "check", path, "--timeout", "5", env={**CLEAN_ENV, "OPENAI_API_KEY": "x"})
    assert r.returncode == 2
    lines = r.stdout.splitlines()
    assert any(x.startswith("ok") and good.url in x for x in lines)
    assert any(x.startswith("FAIL") and "127.0.0.1:9" in x for x in lines)
