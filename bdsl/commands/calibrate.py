"""`bdsc calibrate RUN_DIR`: judged gates against reviewers' decisions."""

from __future__ import annotations

import json

import click

from bdsl.commands._common import open_store_readonly


@click.command("calibrate")
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def calibrate_cmd(run_dir: str, fmt: str) -> None:
    """How well each LLM judge agrees with your reviewers (kappa, ROC AUC, threshold)."""
    from bdsl.gates.calibrate import MIN_N, calibrate

    store = open_store_readonly(run_dir)
    try:
        report = calibrate(store)
    finally:
        store.close()
    if fmt == "json":
        click.echo(json.dumps(report, indent=2))
        return
    if not report:
        click.echo("no judged gate has reviewed conversations yet: review some with "
                   "`bdsc review`, then calibrate")
        return
    for r in report:
        def f(x):
            return "n/a" if x is None else f"{x:.2f}"

        click.echo(f"{r['gate']:<22} n={r['n']:<4} agreement {f(r['agreement'])}  kappa "
                   f"{f(r['kappa'])}  ROC AUC {f(r['roc_auc'])}  threshold {r['threshold']:.2f}"
                   f" -> suggested {f(r['suggested_threshold'])}")
        if not r["enough_data"]:
            click.echo(f"  not enough reviewed conversations (fewer than {MIN_N}): "
                       "treat these numbers as anecdotes")
