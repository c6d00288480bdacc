"""`bdsc`: the command line. Subcommands load lazily so `bdsc check` stays fast:
nothing here imports litellm, textual or xllamacpp; only `run`, `review` and
friends pull them in, inside their own modules.

Exit codes: 0 ok, 1 spec errors, 2 usage/config, 3 run failed.
"""

from __future__ import annotations

import importlib
import importlib.util
import os

import click

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

# name -> "module:function"; each module owns one command (or group).
COMMANDS = {
    "check": "bdsl.commands.check:check",
    "compile": "bdsl.commands.compile:compile_cmd",
    "plan": "bdsl.commands.plan:plan_cmd",
    "run": "bdsl.commands.run:run_cmd",
    "status": "bdsl.commands.status:status_cmd",
    "models": "bdsl.commands.models:models_group",
    "fmt": "bdsl.commands.fmt:fmt_cmd",
    "diff": "bdsl.commands.diff:diff_cmd",
    "changelog": "bdsl.commands.changelog:changelog_cmd",
    "score": "bdsl.commands.score:score_cmd",
    "export": "bdsl.commands.export:export_cmd",
    "gate": "bdsl.commands.gate:gate_cmd",
    "calibrate": "bdsl.commands.calibrate:calibrate_cmd",
    "review": "bdsl.commands.review:review_cmd",
    "seeds": "bdsl.commands.seeds:seeds_cmd",
    "lsp": "bdsl.commands.lsp:lsp_cmd",
    "init": "bdsl.commands.init:init_cmd",
    "report": "bdsl.commands.report:report_cmd",
    "import": "bdsl.commands.import_:import_cmd",
}


# Commands that compile a spec: each gets `--allow-outside` (imports may leave the project).
SPEC_COMMANDS = ("check", "compile", "plan", "run", "diff", "gate", "import", "lsp")


class LazyGroup(click.Group):
    def invoke(self, ctx):
        import warnings

        # httpx/anyio (under litellm and the openai SDK) can leave a connection attempt's
        # coroutine unawaited when a poller is cancelled; Python reports it in the middle
        # of the user's output, and there is nothing to act on. (One found during the
        # interpreter's exit is printed whatever the filters say.)
        warnings.filterwarnings("ignore", message="coroutine .* was never awaited",
                                category=RuntimeWarning)
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException, SystemExit):
            raise
        except BrokenPipeError:  # `bdsc plan x | head`: the reader left; not an error
            import os
            import sys

            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise SystemExit(0) from None
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            raise SystemExit(130) from None
        except Exception as exc:  # a bug in bdsc, never the user's fault: no traceback for them
            import tempfile
            import traceback

            with tempfile.NamedTemporaryFile("w", prefix="bdsc-crash-", suffix=".txt",
                                             delete=False) as fh:
                traceback.print_exc(file=fh)
            click.echo(f"internal error in bdsc: {type(exc).__name__}: {exc}\n"
                       f"  this is a bug in bdsc, not in your spec; details in {fh.name}", err=True)
            raise SystemExit(3) from None

    def list_commands(self, ctx):
        return sorted(name for name, target in COMMANDS.items() if _available(target))

    def get_command(self, ctx, name):
        target = COMMANDS.get(name)
        if target is None or not _available(target):
            return None
        module, attr = target.split(":")
        command = getattr(importlib.import_module(module), attr)
        if name in SPEC_COMMANDS:
            from bdsl.commands._common import allow_outside_option

            allow_outside_option(command)
        return command


def _available(target: str) -> bool:
    return importlib.util.find_spec(target.split(":")[0]) is not None


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="bdsl", prog_name="bdsc")
def main() -> None:
    """bdsc: compile .bds specs into fine-tuning datasets of multi-turn conversations."""
