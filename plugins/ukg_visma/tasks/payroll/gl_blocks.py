"""Reading a UKG GL run block by block (``GET /payroll/v2/general-ledger``: ``runId``,
``blockId``, ``page``, ``per_Page``), in block order, holding a few blocks at a time.

Why a generator: a run of a million lines is ~500 blocks of 2,000; the extract stages each
block's lines and lets them go, so what the task holds follows the block size and the number of
readers, not the size of the export.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Generator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ukg_visma.hooks.ukg import UkgHook

__all__ = ["read_run", "run_blocks"]

Lines = list[dict[str, Any]]


def run_blocks(
    ukg: UkgHook, run_id: str, readers: int = 1, *, most_recent: bool = True
) -> Generator[tuple[int, Lines], None, None]:
    """``(blockId, lines)`` of every block of one GL run, in block order; nothing when block 1
    holds no lines.

    The block count is a field of the lines themselves, so it is not trusted alone: after the
    last block it names, the next block is asked for too and must be empty (UKG answers 404 or
    an empty page). Lines found there are yielded, so that the completeness check names the
    blocks beyond ``totalNrOfBlocks`` and the run stops before anything is posted.

    Block 1 is read first (it says how many blocks there are); blocks 2 … total + 1 are then
    read by up to ``readers`` threads, each with its own hook on the same connection (one
    token, one rate-limit pacer, the same 429 backoff), and handed on in block order — so the
    lines are exactly those of a sequential read. At most ``2 × readers`` blocks are read ahead
    of the one handed on. Only past the probe, when UKG keeps answering, does the read go on one
    block at a time.

    ``most_recent`` (``payroll.gl_most_recent``): whether every block read sends
    ``mostRecent=true`` with the ``runId`` — false for a tenant that refuses the pair.
    """
    first = ukg.gl_block(run_id, 1, most_recent=most_recent)
    if not first:
        return
    total = int(first[0].get("totalNrOfBlocks") or 1)
    yield 1, first
    del first
    last: Lines = []
    for block, lines in _read_blocks(ukg, run_id, range(2, total + 2), readers, most_recent):
        last = lines
        if lines or block <= total:
            yield block, lines
    if not last:  # the probe past the last block was empty: the usual end
        return
    block = total + 2
    while block <= 2 * total + 10:  # a server that never ends: the check reports it
        more = ukg.gl_block(run_id, block, most_recent=most_recent)
        if not more:
            break
        yield block, more
        block += 1


def read_run(ukg: UkgHook, run_id: str, readers: int = 1, *, most_recent: bool = True) -> Lines:
    """Every line of every block of one GL run, in block order (:func:`run_blocks`, held as one
    list: for benches and tests of the reader; the extract never holds a run this way)."""
    blocks = run_blocks(ukg, run_id, readers, most_recent=most_recent)
    return [line for _, lines in blocks for line in lines]


def _read_blocks(
    ukg: UkgHook, run_id: str, blocks: range, readers: int, most_recent: bool
) -> Iterator[tuple[int, Lines]]:
    """The lines of each of ``blocks``, in the order given (``readers`` threads at most).

    The first error of any block is raised once every reader has stopped: a block that cannot
    be read fails the extract as it would sequentially, and no thread outlives the task.
    """
    readers = max(1, min(readers, len(blocks)))
    if readers == 1:
        for b in blocks:
            yield b, ukg.gl_block(run_id, b, most_recent=most_recent)
        return

    local = threading.local()
    siblings: list[UkgHook] = []
    lock = threading.Lock()

    def read(block: int) -> Lines:
        hook = getattr(local, "hook", None)
        if hook is None:
            hook = local.hook = ukg.sibling()
            with lock:
                siblings.append(hook)
        return hook.gl_block(run_id, block, most_recent=most_recent)

    ahead = 2 * readers
    pool = ThreadPoolExecutor(max_workers=readers, thread_name_prefix="ukg-gl")
    pending: deque[tuple[int, Future[Lines]]] = deque()
    todo = iter(blocks)
    try:
        for b in todo:
            pending.append((b, pool.submit(read, b)))
            if len(pending) >= ahead:
                break
        while pending:
            block, future = pending.popleft()
            error = future.exception()
            if error is not None:
                raise error
            nxt = next(todo, None)
            if nxt is not None:
                pending.append((nxt, pool.submit(read, nxt)))
            yield block, future.result()
    finally:
        for _, future in pending:
            future.cancel()
        pool.shutdown(wait=True)
        for hook in siblings:  # the task's counters (429s, retries) include every reader's
            ukg.stats.add(**hook.stats.as_dict())
            hook.session.close()
