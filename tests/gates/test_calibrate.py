"""Calibration statistics against hand-computed values, and the command on a store."""

import json
import sqlite3

from click.testing import CliRunner

from bdsl.cli import main
from bdsl.gates.calibrate import best_threshold, cohen_kappa, roc_auc
from bdsl.store import Store


def test_kappa_by_hand():
    # judge:  P P P N N N ; human: P P N N N P -> po = 4/6, pe = .5*.5 + .5*.5 = .5
    a = [True, True, True, False, False, False]
    b = [True, True, False, False, False, True]
    assert abs(cohen_kappa(a, b) - (4 / 6 - 0.5) / 0.5) < 1e-9
    assert cohen_kappa(a, a) == 1.0


def test_auc_by_hand():
    # positives 0.9, 0.6; negatives 0.7, 0.2: pairs (0.9>0.7)(0.9>0.2)(0.6<0.7)(0.6>0.2) = 3/4
    assert roc_auc([0.9, 0.6, 0.7, 0.2], [True, True, False, False]) == 0.75
    assert roc_auc([0.5, 0.5], [True, False]) == 0.5
    assert roc_auc([0.5], [True]) is None


def test_threshold_maximizes_youden():
    scores = [0.9, 0.8, 0.6, 0.55, 0.3, 0.2]
    labels = [True, True, True, False, False, False]
    assert best_threshold(scores, labels) == 0.6


def test_calibrate_command_on_a_store(tmp_path):
    store = Store.open(tmp_path)
    db = store.db
    for cid in range(1, 7):
        db.execute("INSERT INTO runs (id, started_at, status, spec_name, spec_version, spec_path,"
                   " spec_hash, plan_hash, regulations_json, options_json) VALUES (?, 0, 'done',"
                   " 's', '1', 'p', 'h', 'h', '[]', '{}') ON CONFLICT DO NOTHING", (1,))
        db.execute("INSERT INTO conversations (id, job_key, content_hash, run_id, dataset, kind,"
                   " model, params_json, seed, context_json, prompt_tokens, completion_tokens,"
                   " calls, started_at, finished_at, provenance_json) VALUES (?, ?, 'h', 1, 'd',"
                   " 'conversation', 'm', '{}', 0, '{}', 0, 0, 0, 0, 0, '{}')", (cid, f"k{cid}"))
    scores = {1: 0.9, 2: 0.8, 3: 0.6, 4: 0.55, 5: 0.3, 6: 0.2}
    approved = {1: True, 2: True, 3: True, 4: False, 5: False, 6: False}
    for cid, s in scores.items():
        db.execute("INSERT INTO gate_results VALUES (?, 'empathy', 'g', ?, ?, 0.7, 'r', ?, 0)",
                   (cid, int(s >= 0.7), s, json.dumps({"judge_model": "m", "soft": False})))
        db.execute("INSERT INTO reviews (conversation_id, reviewer, role, decision, created_at)"
                   " VALUES (?, 'ana', 'clinical', ?, 0)",
                   (cid, "approve" if approved[cid] else "reject"))
    store.close()
    out = CliRunner().invoke(main, ["calibrate", str(tmp_path), "--format", "json"])
    assert out.exit_code == 0, out.output
    (row,) = json.loads(out.output)
    # judge passes 1,2 (>= .7); humans approve 1,2,3: agreement 5/6
    assert row["n"] == 6 and row["agreement"] == round(5 / 6, 4)
    assert row["roc_auc"] == 1.0 and row["suggested_threshold"] == 0.6
    assert row["enough_data"] is False
    sqlite3.connect(tmp_path / "store.sqlite").close()
