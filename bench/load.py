"""Classroom load: N concurrent sessions using the concept pages while a training job runs.

Run: .venv/bin/python bench/load.py [--sessions 30] [--interactions 10] [--dataset PATH] [--no-training]
     .venv/bin/python bench/load.py --classroom --sessions 60 --followers 40   (a class: see below)

Starts its own dashboard server on a free localhost port and, unless --no-training, a training job
(the book's scratch convnet on the dataset, default ../shared/data/cats_vs_dogs_small, else the
synthetic set). Each session is a Streamlit websocket client (the same protobuf messages a browser
sends): it opens a concept page, then changes a widget ``--interactions`` times; the latency of an
interaction is the time from sending the new widget value to the end of the server's script run.
Prints p50/p95 latency, errors (exception elements or protocol failures), the server's memory,
and the training job's throughput under the load against the same batches trained alone (its whole second epoch,
and with --alone-after the first whole epoch after the load too). Targets: no errors, p95 <= 1 s, drop <= 20%.

``--classroom``: the server runs in classroom mode (a class key and a lecturer key) and every session joins
through the join form. Session 1 is the lecturer, on the convolution page, changing the kernel size every
``--lecturer-think`` seconds; ``--followers`` learners turn on "Follow the lecturer" and only watch; the other
learners use the concept pages as above. Follow latency is the time from the lecturer sending a new kernel size
to a follower receiving its page redrawn with it (target p95 <= 1.5 s). The server's CPU is also given per
script run (interactions and follower reruns together; target <= 25 ms).
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.ws_client import Session, free_port, start_server  # noqa: E402

# page -> (widget key, proto field, the values to cycle through)
PAGES = {
    "convolution": ("conv_k", "int_value", (3, 5, 1, 3)),
    "pooling": ("pool_size", "int_value", (2, 3, 4, 2)),
    "parameters": ("params_vgg_size", "int_value", (180, 224, 150, 180)),
}


def cpu_seconds(pid: int | None = None) -> float:
    """User + system CPU seconds used so far by process ``pid`` (this process when ``None``)."""
    if pid is None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


class ThroughputProbe(threading.Thread):
    """Samples the running job's progress.json every 0.5 s to measure training batches per second.

    ``rate`` is batches over wall time; ``train_rate`` counts only the time spent on training batches
    (``epoch_seconds`` within one epoch), leaving validation passes out. ``matched_seconds`` compares like with
    like: the batches trained under load against the same batches (the same positions in their epoch) in an
    epoch the job trained alone. Alone, a cats_vs_dogs_small epoch starts at about 0.70 batches/s and ends at
    0.85-0.95, so two time windows at different places in their epochs differ by 20% with no load at all."""

    def __init__(self, run_dir: Path) -> None:
        super().__init__(daemon=True)
        self.run_dir = run_dir
        # (time, global batch, epoch, epoch_seconds, batch within the epoch, batches in an epoch)
        self.samples: list[tuple[float, float, int, float, int, int]] = []
        self.stop = threading.Event()

    def run(self) -> None:
        import json

        from cnn_core.training.run_store import RunFolder

        while not self.stop.is_set():
            try:
                p = json.loads(RunFolder(self.run_dir).progress.read_text())
                done = (p["epoch"] - 1) * p["batches"] + p["batch"]
                self.samples.append(
                    (time.time(), done, p["epoch"], float(p["epoch_seconds"]), p["batch"], p["batches"])
                )
            except (OSError, ValueError, KeyError, TypeError):
                pass
            time.sleep(0.5)

    def rate(self, start: float, end: float) -> float | None:
        window = [s for s in self.samples if start <= s[0] <= end]
        if len(window) < 2 or window[-1][0] - window[0][0] <= 0:
            return None
        return (window[-1][1] - window[0][1]) / (window[-1][0] - window[0][0])

    def train_rate(self, start: float, end: float) -> float | None:
        window = [s for s in self.samples if start <= s[0] <= end]
        batches = seconds = 0.0
        for before, after in zip(window, window[1:], strict=False):
            if after[2] == before[2] and after[3] > before[3]:  # the same epoch: training time only
                batches += after[1] - before[1]
                seconds += after[3] - before[3]
        return batches / seconds if seconds > 0 and batches > 0 else None

    def last(self) -> tuple[float, float, int, float, int, int] | None:
        return self.samples[-1] if self.samples else None

    def epoch_curve(self, epoch: int) -> tuple[list[int], list[float]] | None:
        """Batch within ``epoch`` against its training seconds from the epoch's start, when the probe saw the
        whole epoch (its last batch); else None."""
        points = sorted({(s[4], s[3]) for s in self.samples if s[2] == epoch})
        if not points or points[-1][0] != next(s[5] for s in self.samples if s[2] == epoch):
            return None
        return [0, *(b for b, _ in points)], [0.0, *(sec for _, sec in points)]

    def matched_seconds(self, start: float, end: float, alone_epochs: list[int]) -> tuple[float, float, int]:
        """(training seconds under load, seconds the same batches took alone, batches) for the batches trained
        between ``start`` and ``end``; "alone" is the mean over ``alone_epochs`` at the same positions."""
        curves = [c for c in (self.epoch_curve(e) for e in alone_epochs) if c is not None]
        window = [s for s in self.samples if start <= s[0] <= end]
        loaded = alone = 0.0
        batches = 0
        for before, after in zip(window, window[1:], strict=False):
            if curves and after[2] == before[2] and after[3] > before[3]:  # the same epoch: training time only
                loaded += after[3] - before[3]
                batches += after[4] - before[4]
                alone += statistics.fmean(float(np.interp(after[4], *c) - np.interp(before[4], *c)) for c in curves)
        return loaded, alone, batches


def session_worker(
    port: int,
    page: str,
    interactions: int,
    latencies: list,
    errors: list,
    start_gate: threading.Barrier,
    think: float,
    class_key: str | None = None,
    nickname: str = "",
) -> None:
    key, field, values = PAGES[page]
    session, started = None, False
    try:
        session = Session(port, page)
        if class_key:
            session.join(class_key, nickname)
        else:
            session.run()
        started = True
        start_gate.wait(timeout=120)
        rng = random.Random(hash(page) + id(session))
        for i in range(interactions):
            if think:
                time.sleep(rng.uniform(0.5 * think, 1.5 * think))  # a learner reads the result before the next click
            latencies.append(session.run(key, field, values[(i + 1) % len(values)]))
        errors.append(session.errors)
        session.close()
    except Exception as err:  # noqa: BLE001 - every failure counts as an error
        errors.append(1)
        seen = (sorted(session.widget_ids), getattr(session, "texts", [])[-3:]) if session is not None else ()
        print(f"session error on {page}: {type(err).__name__}: {err} (widgets and last texts seen: {seen})", file=sys.stderr)  # fmt: skip
        if not started:  # one session failing before the load must not hold back the others: it counts as an error
            try:
                start_gate.wait(timeout=300)
            except threading.BrokenBarrierError:
                pass


CLASS_KEY, LECTURER_KEY = "bench-class", "bench-lecturer"
LECTURER_VALUES = (5, 1, 3)


class FollowClock:
    """The lecturer's latest kernel size and when it was sent; followers record how long they took to show it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.change = (0, 3, 0.0)  # (change number, value, perf_counter when sent)
        self.latencies: list[float] = []
        self.missed = 0

    def sent(self, number: int, value: int) -> None:
        with self.lock:
            self.change = (number, value, time.perf_counter())

    def follower(self):
        seen = {"number": 0}

        def on_value(value: float, at: float) -> None:
            with self.lock:
                number, expected, sent_at = self.change
                if number > seen["number"] and int(value) == expected:
                    seen["number"] = number
                    self.latencies.append(at - sent_at)

        return on_value, seen


def lecturer_worker(port, changes, think, clock, latencies, errors, start_gate, done) -> None:
    try:
        session = Session(port, "convolution")
        session.join(LECTURER_KEY, "Lecturer")
        start_gate.wait(timeout=300)
        for i in range(changes):
            time.sleep(think)
            value = LECTURER_VALUES[i % len(LECTURER_VALUES)]
            clock.sent(i + 1, value)
            latencies.append(session.run("conv_k", "int_value", value))
        time.sleep(3)  # the last change reaches the followers
        errors.append(session.errors)
        session.close()
    except Exception as err:  # noqa: BLE001
        errors.append(1)
        print(f"lecturer error: {type(err).__name__}: {err}", file=sys.stderr)
    finally:
        done.set()


def follower_worker(port, number, clock, errors, start_gate, done, seen_counts) -> None:
    try:
        session = Session(port, "convolution")
        session.join(CLASS_KEY, f"follower{number}")
        session.run("follow", "bool_value", True)
        on_value, seen = clock.follower()
        start_gate.wait(timeout=300)
        session.watch("conv_k", on_value, done)
        seen_counts.append(seen["number"])
        errors.append(session.errors)
        session.close()
    except Exception as err:  # noqa: BLE001
        errors.append(1)
        print(f"follower error: {type(err).__name__}: {err}", file=sys.stderr)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--interactions", type=int, default=10)
    parser.add_argument("--dataset", default=str(ROOT.parent / "shared" / "data" / "cats_vs_dogs_small"))
    parser.add_argument("--no-training", action="store_true")
    parser.add_argument(
        "--alone-after", action="store_true", help="also time a whole epoch of the job alone after the load"
    )
    parser.add_argument(
        "--think", type=float, default=2.0, help="mean seconds between a session's interactions (0: back to back)"
    )
    parser.add_argument("--classroom", action="store_true", help="classroom mode: a lecturer, followers, learners")
    parser.add_argument("--followers", type=int, default=40, help="with --classroom: learners following the lecturer")
    parser.add_argument("--lecturer-think", type=float, default=4.0, help="seconds between the lecturer's changes")
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="cnn-load-"))
    dataset = Path(args.dataset)
    env = os.environ | {
        "CNN_CLASSROOM_HOME": str(home),
        "CNN_CLASSROOM_RUNS_DIR": str(home / "runs"),
        "CNN_CLASSROOM_DATA_DIRS": str(dataset.parent if dataset.is_dir() else home / "data"),
        "TF_CPP_MIN_LOG_LEVEL": "3",
    }
    if args.classroom:
        env |= {"CNN_CLASSROOM_CLASS_KEY": CLASS_KEY, "CNN_CLASSROOM_LECTURER_KEY": LECTURER_KEY}
    os.environ.update({k: env[k] for k in env if k.startswith("CNN_CLASSROOM_")})
    port = free_port()
    server = start_server(port, env)
    probe = None
    job_pid = None
    try:
        if not args.no_training:
            from cnn_core.classroom.room import SOLO
            from cnn_core.runs.jobs import launch
            from cnn_core.training.run_config import RunConfig
            from cnn_core.training.run_store import RunState, RunStore

            store = RunStore(home / "runs")
            config = RunConfig(
                "scratch",
                str(dataset) if dataset.is_dir() else "synthetic",
                image_size=180 if dataset.is_dir() else 96,
                epochs=200,
            )
            owner = SOLO
            if args.classroom:
                from cnn_core.classroom.room import Classroom

                owner = Classroom.beside(home / "runs").join(LECTURER_KEY, "Lecturer")
            run_id = launch(store, config, name="load test job", owner=owner)
            probe = ThroughputProbe(store.path(run_id))
            probe.start()
            while store.load(run_id).state != RunState.RUNNING or not store.folder(run_id).progress.exists():
                time.sleep(0.5)
            job_pid = store.load(run_id).status["pid"]
            # The first epoch also decodes every image into tf.data's cache: the job alone is its whole second
            # epoch, and the load starts with the third.
            base_epoch = 2
            while (probe.last() or (0, 0, 0))[2] < base_epoch:
                time.sleep(0.2)
            base_start, base_cpu = time.time(), cpu_seconds(job_pid)
            while (probe.last() or (0, 0, 0))[2] <= base_epoch:
                time.sleep(0.2)
            base_end = time.time()
            base_cores = (cpu_seconds(job_pid) - base_cpu) / (base_end - base_start)

        latencies: list[float] = []
        errors: list[int] = []
        pages = list(PAGES)
        clock, done, seen_counts = FollowClock(), threading.Event(), []
        followers = min(args.followers, args.sessions - 1) if args.classroom else 0
        learners = args.sessions - followers - (1 if args.classroom else 0)

        def cpu_snapshot() -> dict[str, float]:
            return {
                "server": cpu_seconds(server.pid),
                "clients": cpu_seconds(),
                "job": cpu_seconds(job_pid) if job_pid else 0.0,
            }

        marks: dict = {}

        def start_measuring() -> None:  # every session has opened its page (and joined): the load starts now
            marks.update(start=time.time(), cpu=cpu_snapshot())

        gate = threading.Barrier(args.sessions, action=start_measuring)
        changes = max(1, round(args.interactions * args.think / args.lecturer_think)) if args.classroom else 0

        def learner(i: int) -> None:
            session_worker(port, pages[i % len(pages)], args.interactions, latencies, errors, gate, args.think,
                           CLASS_KEY if args.classroom else None, f"learner{i}")  # fmt: skip

        workers = [threading.Thread(target=learner, args=(i,)) for i in range(learners)]
        if args.classroom:
            workers.append(threading.Thread(
                target=lecturer_worker, args=(port, changes, args.lecturer_think, clock, latencies, errors, gate, done)
            ))  # fmt: skip
            workers += [
                threading.Thread(target=follower_worker, args=(port, n, clock, errors, gate, done, seen_counts))
                for n in range(followers)
            ]
        # The sessions stand in for learners' browsers, which run on their own machines: the client side of the
        # protocol runs at the lowest priority so that it takes as little as possible from the server and the job.
        # (On Linux a nice value is per thread; the threads started below inherit this one's.)
        os.nice(19)

        for w in workers:
            w.start()
        peak_rss = 0.0
        while any(w.is_alive() for w in workers):
            peak_rss = max(peak_rss, rss_mb(server.pid))
            time.sleep(0.2)
        load_end = time.time()
        cpu_end = cpu_snapshot()
        load_start, cpu_start = marks["start"], marks["cpu"]
        cpu = {k: cpu_end[k] - cpu_start[k] for k in cpu_start}
        alone_epochs = [base_epoch] if probe is not None else []
        if probe is not None and args.alone_after:  # and a whole epoch alone after the load (A-B-A)
            first_after = (probe.last() or (0, 0, 0))[2] + 1
            while (probe.last() or (0, 0, 0))[2] <= first_after:
                time.sleep(0.5)
            alone_epochs.append(first_after)

        ordered = sorted(latencies)
        p50 = statistics.median(ordered) if ordered else float("nan")
        p95 = ordered[int(0.95 * (len(ordered) - 1))] if ordered else float("nan")
        print(
            f"sessions {args.sessions}, interactions {len(latencies)}, think time {args.think:g} s "
            f"(pages: {', '.join(pages)})"
        )
        print(
            f"latency p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, max {ordered[-1] * 1000 if ordered else float('nan'):.0f} ms (target p95 <= 1000 ms)"
        )
        print(f"errors {sum(errors)} (target 0); server memory peak {peak_rss:.0f} MB, now {rss_mb(server.pid):.0f} MB")
        span = load_end - load_start
        print(
            f"CPU during the {span:.0f} s load (cores busy on average): server {cpu['server'] / span:.2f}, "
            f"load clients {cpu['clients'] / span:.2f}, training job {cpu['job'] / span:.2f} "
            f"(server {1000 * cpu['server'] / max(len(latencies), 1):.0f} ms of CPU per interaction)"
        )
        if probe is not None:
            alone_rate = probe.train_rate(base_start, base_end)
            loaded, alone, batches = probe.matched_seconds(load_start, load_end, alone_epochs)
            if alone_rate and batches:
                print(
                    f"training job alone (epoch {base_epoch}, training steps): {alone_rate:.2f} batches/s "
                    f"({base_cores:.2f} cores busy over the epoch, its validation pass included)"
                )
                print(
                    f"training job under the load: {batches} batches in {loaded:.1f} s ({batches / loaded:.2f} batches/s); "
                    f"the same batches alone (epoch {' and '.join(map(str, alone_epochs))}, same places in the "
                    f"epoch): {alone:.1f} s: drop {1 - alone / loaded:.0%} (target <= 20%)"
                )
            else:
                print("training job: not enough progress samples to measure throughput")
        ok = not sum(errors) and p95 <= 1.0
        if args.classroom:
            expected = followers * changes
            late = expected - len(clock.latencies)  # shown only after the next change: counted as that long at least
            follow = sorted(clock.latencies + [args.lecturer_think] * late)
            f95 = follow[int(0.95 * (len(follow) - 1))] if follow else float("nan")
            runs = len(latencies) + expected
            print(
                f"classroom: 1 lecturer ({changes} kernel-size changes, one every {args.lecturer_think:g} s), "
                f"{followers} followers, {learners} learners using the concept pages"
            )
            print(
                f"follow latency p50 {1000 * statistics.median(follow) if follow else float('nan'):.0f} ms, "
                f"p95 {f95 * 1000:.0f} ms, max {1000 * follow[-1] if follow else float('nan'):.0f} ms over {expected} "
                f"follower updates, {late} of them later than the next change (target p95 <= 1500 ms)"
            )
            print(
                f"server CPU per script run (interactions and follower reruns, {runs} in all): "
                f"{1000 * cpu['server'] / max(runs, 1):.0f} ms (target <= 25 ms)"
            )
            ok = ok and f95 <= 1.5
        return 0 if ok else 1
    finally:
        if probe is not None:
            probe.stop.set()
        if job_pid:
            try:
                os.kill(job_pid, 9)
            except OSError:
                pass
        server.terminate()
        server.wait(timeout=20)


if __name__ == "__main__":
    raise SystemExit(main())
