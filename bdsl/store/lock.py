"""One writer per run directory: an advisory lock on `run.lock` (fcntl).

`bdsc run`, `bdsc score` and `bdsc import` hold it while they write; a second one gets
`RunLocked` naming the holder's pid and host and exits 2 instead of paying for the same
calls twice. Readers (`status`, `export`, `review`, `report`) never take it and never
block. The kernel drops the lock when its process dies, however it dies, so a SIGKILLed
run never leaves the directory locked; the next writer then marks that run `interrupted`.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from pathlib import Path

LOCK_FILE = "run.lock"


class RunLocked(Exception):
    def __init__(self, holder: dict):
        self.holder = holder
        who = f"pid {holder.get('pid', '?')}"
        if holder.get("host") and holder.get("host") != socket.gethostname():
            who += f" on {holder['host']}"
        super().__init__(f"a run is in progress in this directory ({who}, "
                         f"`{holder.get('command', 'bdsc')}`)")


class RunLock:
    def __init__(self, run_dir: str | Path, command: str = "bdsc run"):
        self.path = Path(run_dir) / LOCK_FILE
        self.command = command
        self._fh = None

    def acquire(self) -> RunLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 (held until release)
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            try:
                holder = json.loads(fh.read() or "{}")
            except json.JSONDecodeError:
                holder = {}
            fh.close()
            raise RunLocked(holder) from None
        fh.seek(0)
        fh.truncate()
        fh.write(json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                             "command": self.command, "since": time.time()}))
        fh.flush()
        self._fh = fh
        return self

    def release(self) -> None:
        if self._fh is not None:
            fcntl.flock(self._fh.fileno(), fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def held(run_dir: str | Path) -> dict | None:
    """The holder of the run directory's lock, or None when no writer is alive. Reads only
    (a shared-lock probe on an existing file), so it works in a read-only directory."""
    path = Path(run_dir) / LOCK_FILE
    try:
        fh = open(path, encoding="utf-8")  # noqa: SIM115
    except OSError:
        return None  # never locked here
    with fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            try:
                return json.loads(fh.read() or "{}")
            except json.JSONDecodeError:
                return {}
        fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
        return None
