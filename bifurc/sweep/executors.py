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
    bar = tqdm(total=total, initial=len(rows), unit="point", desc=desc, disable=not progress)

    def keep(row):
        rows.append(row)
        if writer is not None:
            writer.writerow([format_value(row[c]) for c in columns])
            stream.flush()
        bar.update(1)

    own = None
    futures = []
    try:
        if executor is None and workers == 1:
            for task in tasks:
                keep(classify.evaluate_point(task))
            return "completed"
        if tasks:
            # the first point runs here: it compiles the kernels every point uses
            # and numba caches them on disk, so workers load machine code instead
            # of each compiling the same model
            keep(classify.evaluate_point(tasks[0]))
            tasks = tasks[1:]
        if executor is None and tasks:
            own = executor = cf.ProcessPoolExecutor(
                max_workers=min(workers, len(tasks)), initializer=_ignore_interrupts,
                mp_context=_process_context())
        futures = [executor.submit(classify.evaluate_point, task) for task in tasks]
        for future in cf.as_completed(futures):
            keep(future.result())
        return "completed"
    except cf.process.BrokenProcessPool as error:
        raise BifurcError(
            f"a sweep worker process died ({error}). Scripts that run sweeps in worker "
            f"processes must guard their entry point with `if __name__ == '__main__':` "
            f"(and cannot be read from stdin); `workers=1` runs in this process") from None
    except KeyboardInterrupt:
        for future in futures:
            future.cancel()
        running = [f for f in futures if not f.cancelled()]
        try:  # points already running finish quickly: keep them too
            for future in cf.as_completed(running):
                if future.exception() is None and not future.cancelled():
                    row = future.result()
                    if row["point"] not in {r["point"] for r in rows}:
                        keep(row)
        except (KeyboardInterrupt, cf.CancelledError):
            pass
        return "interrupted"
    finally:
        for future in futures:
            future.cancel()
        if own is not None:
            own.shutdown(wait=True, cancel_futures=True)
        bar.close()
        if stream is not None:
            stream.close()
