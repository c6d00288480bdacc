"""Store writes off the event loop, grouped into few transactions.

The engine journals every paid call before using it. Done on the event loop, one
transaction per call blocks every conversation for the length of an fsync. Here a thread
owns its own connection; writes queue up, the thread takes everything waiting, runs each in
its own savepoint inside one transaction and commits once. A write's future resolves only
after that commit, so "journaled before it is used" holds exactly as before, and a failing
write fails alone.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable

from bdsl.store.texts import Interner

MAX_GROUP = 256


class Writer:
    def __init__(self, open_db: Callable[[], object]):
        self._open_db = open_db
        self._queue: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._loop, name="bdsl-store-writer",
                                        daemon=True)
        self._ready = threading.Event()
        self._failed: BaseException | None = None
        self._thread.start()
        self._ready.wait()
        if self._failed is not None:
            raise self._failed

    async def submit(self, fn, *args):
        """Run fn(db, interner, *args) in the writer's next transaction; its result once
        committed."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._queue.put((fn, args, future, loop))
        return await future

    def close(self) -> None:
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()

    def _loop(self) -> None:
        try:
            db = self._open_db()
        except BaseException as e:  # reported to the opener
            self._failed = e
            self._ready.set()
            return
        interner = Interner(db)
        self._ready.set()
        try:
            while True:
                item = self._queue.get()
                if item is None:
                    return
                batch = [item]
                while len(batch) < MAX_GROUP:
                    try:
                        nxt = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if nxt is None:
                        self._queue.put(None)  # finish this group first, then stop
                        break
                    batch.append(nxt)
                self._run(db, interner, batch)
        finally:
            db.close()

    def _run(self, db, interner: Interner, batch) -> None:
        outcomes = []
        try:
            with db.transaction():
                for fn, args, _future, _loop in batch:
                    db.execute("SAVEPOINT w")
                    try:
                        outcomes.append((True, fn(db, interner, *args)))
                        db.execute("RELEASE SAVEPOINT w")
                    except Exception as e:  # this write fails alone
                        db.execute("ROLLBACK TO SAVEPOINT w")
                        db.execute("RELEASE SAVEPOINT w")
                        interner.reset()  # ids and bases it cached may have been rolled back
                        outcomes.append((False, e))
        except Exception as e:  # the commit itself failed: nothing of the group is stored
            interner.reset()
            outcomes = [(False, e)] * len(batch)
        for (ok, value), (_fn, _args, future, loop) in zip(outcomes, batch, strict=True):
            try:
                loop.call_soon_threadsafe(_resolve, future, ok, value)
            except RuntimeError:  # the waiting event loop is gone (the run was interrupted)
                pass


def _resolve(future: asyncio.Future, ok: bool, value) -> None:
    if future.cancelled():
        return
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)
