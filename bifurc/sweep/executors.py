"""Running the points: in this process, in local worker processes (forkserver), or
on any concurrent.futures executor (Dask); Ctrl-C keeps the finished points."""

from __future__ import annotations

import concurrent.futures as cf
import concurrent.futures.process  # noqa: F401 - BrokenProcessPool, before any pool exists
import csv
import multiprocessing
import signal

from tqdm.auto import tqdm

from ..errors import BifurcError
from . import classify
from .options import DATA_FILE
from .store import format_value

# ------------------------------------------------------------- running it
def _ignore_interrupts():
    # Workers ignore Ctrl-C: the main process decides what to keep and stops them.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _process_context():
    # forkserver: workers fork from a server that imported bifurc once (fast, and
    # safe with threads in this process, unlike fork); it starts once per session.
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["bifurc.sweep"])
    return context


def describe_executor(executor, workers) -> str:
    if executor is None:
        return "serial" if workers == 1 else f"processes ({workers})"
    return type(executor).__name__


def run_tasks(tasks, executor, workers, rows, columns, out, progress, desc, total) -> str:
    """Evaluate ``tasks``, appending each finished row to ``rows`` and the CSV."""
    stream = open(out / DATA_FILE, "a", newline="") if out is not None else None
    writer = csv.writer(stream, lineterminator="\n") if stream is not None else None

    def keep(row):
        rows.append(row)
        if writer is not None:
            writer.writerow([format_value(row[c]) for c in columns])
            stream.flush()

    try:
        return map_tasks(classify.evaluate_point, tasks, executor, workers, keep,
                         progress=progress, desc=desc, total=total, initial=len(rows))
    finally:
        if stream is not None:
            stream.close()


def map_tasks(evaluate, tasks, executor, workers, keep, *, progress: bool, desc: str,
              total: int, initial: int = 0) -> str:
    """Call ``keep(evaluate(task))`` for every task, in this process
    (``executor`` None and one worker), in local worker processes, or on any
    concurrent.futures ``executor`` (Dask's client); ``evaluate`` must be a
    module-level function (it is pickled). The first task runs here (it
    compiles the kernels the others load from numba's disk cache). Ctrl-C
    keeps the results of the tasks already running: returns "completed" or
    "interrupted"."""
    bar = tqdm(total=total, initial=initial, unit="task", desc=desc, disable=not progress)

    def kept(result):
        keep(result)
        bar.update(1)

    own = None
    futures, done = [], set()
    try:
        if executor is None and workers == 1:
            for task in tasks:
                kept(evaluate(task))
            return "completed"
        if tasks:
            kept(evaluate(tasks[0]))
            tasks = tasks[1:]
        if executor is None and tasks:
            own = executor = cf.ProcessPoolExecutor(
                max_workers=min(workers, len(tasks)), initializer=_ignore_interrupts,
                mp_context=_process_context())
        futures = [executor.submit(evaluate, task) for task in tasks]
        for future in cf.as_completed(futures):
            kept(future.result())
            done.add(future)
        return "completed"
    except cf.process.BrokenProcessPool as error:
        raise BifurcError(
            f"a worker process died ({error}). Scripts that run sweeps or maps in worker "
            f"processes must guard their entry point with `if __name__ == '__main__':` "
            f"(and cannot be read from stdin); `workers=1` runs in this process") from None
    except KeyboardInterrupt:
        for future in futures:
            future.cancel()
        running = [f for f in futures if not f.cancelled() and f not in done]
        try:  # tasks already running finish quickly: keep them too
            for future in cf.as_completed(running):
                if future.exception() is None and not future.cancelled():
                    kept(future.result())
        except (KeyboardInterrupt, cf.CancelledError):
            pass
        return "interrupted"
    finally:
        for future in futures:
            future.cancel()
        if own is not None:
            own.shutdown(wait=True, cancel_futures=True)
        bar.close()
