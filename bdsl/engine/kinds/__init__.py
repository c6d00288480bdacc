"""One module per Job.kind; RUNNERS maps the kind to its coroutine."""

from bdsl.engine.kinds.contrastive import run_contrastive
from bdsl.engine.kinds.conversation import run_conversation
from bdsl.engine.kinds.curriculum import run_curriculum
from bdsl.engine.kinds.panels import run_deliberation, run_explicit_panel

RUNNERS = {
    "conversation": run_conversation,
    "deliberation": run_deliberation,
    "explicit_panel": run_explicit_panel,
    "contrastive": run_contrastive,
    "curriculum": run_curriculum,
}
