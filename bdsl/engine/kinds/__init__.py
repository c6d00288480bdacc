"""One module per Job.kind. The runner of each kind is named in bdsl.kinds.JOB_KINDS;
`runner(kind)` imports it."""

from __future__ import annotations

import functools
import importlib

from bdsl.kinds import JOB_KINDS, JobKind


@functools.cache
def runner(kind: str):
    """The coroutine that runs one job of this kind (KeyError for an unknown kind)."""
    module, attr = JOB_KINDS[JobKind(kind)].runner.split(":")
    return getattr(importlib.import_module(module), attr)

