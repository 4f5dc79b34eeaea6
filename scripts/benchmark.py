#!/usr/bin/env python3
"""Benchmark the replay demo across every platform and check the performance targets (README: Performance).

Prints: wall time with --jobs 1 and with the default (medians of five runs, taking turns) and how busy the
machine's cores were in each; peak memory (PSS) of the whole process tree, browser included, from separate runs;
navigations per setting on a re-check with saved sessions; `optout-run --help` start-up next to `python -c pass`.
Exits 1 when a target is missed. Run: python scripts/benchmark.py [--latency [KIND=MS,...]]

Fixtures are local files, answered at once; `--latency` makes the replays answer as a real network would
(OPTOUT_REPLAY_LATENCY, fixtures/README.md), by kind of response: documents, API calls, saves.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from runner.replay import Scenario  # noqa: E402  (the harness's own reading of a manifest, `extends` included)

FIXTURES = ROOT / "fixtures"
OPTOUT = str(Path(sys.executable).parent / "optout-run")
TARGETS = {"parallel_ratio": 0.6, "help_seconds": 0.3, "peak_mb": 1536}
REALISTIC_LATENCY = "documents=150,api=60,saves=120"  # ms: a page from a CDN edge, an API call, a write
REPEATS = 5


def tree_pss_mb(pid: int) -> float:
    """Memory of a process and all its descendants, from /proc (Linux).

    PSS, not RSS: Chromium's processes share most of their pages, and summing RSS counts them once per process.
    """
    children: dict[int, list[int]] = {}
    pss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            rollup = (entry / "smaps_rollup").read_text()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
        kb = next((line.split()[1] for line in rollup.splitlines() if line.startswith("Pss:")), "0")
        pss[int(entry.name)] = int(kb)
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        total += pss.get(current, 0)
        todo += children.get(current, [])
    return total / 1024


def cpu_ticks() -> tuple[int, int]:
    """Busy and total CPU ticks of the whole machine, all cores (/proc/stat)."""
    fields = [int(f) for f in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return sum(fields) - idle, sum(fields)


@dataclass
class Run:
    wall: float  # seconds
    busy: float  # share of all cores' time the machine was busy meanwhile (0..1; the run is nearly all of it)
    peak_mb: float  # peak PSS of the process tree; 0 unless sampled
    document: dict  # its --json output


def run(args: list[str], home: Path, sample_memory: bool = False) -> Run:
    """Run optout-run once. Memory is sampled only when asked: reading every process's smaps costs about a third of
    a core, which would slow the timed runs, the parallel one most."""
    env = {**os.environ, "OPTOUT_HOME": str(home)}
    busy_before, total_before = cpu_ticks()
    started = time.perf_counter()
    process = subprocess.Popen([OPTOUT, *args, "--json"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    peak = 0.0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_pss_mb(process.pid))
            done.wait(0.05)

    sampler = threading.Thread(target=sample) if sample_memory else None
    if sampler:
        sampler.start()
    out, _ = process.communicate()
    wall = time.perf_counter() - started
    busy_after, total_after = cpu_ticks()
    done.set()
    if sampler:
        sampler.join()
    busy = (busy_after - busy_before) / max(1, total_after - total_before)
    return Run(wall, busy, peak, json.loads(out))


def median_runs(variants: list[list[str]], home: Path) -> list[Run]:
    """Each variant's median of REPEATS runs, each from a fresh home. The variants take turns, so a noisy spell on a
    shared machine slows them alike instead of one of them."""
    runs = [[run(args, home / f"{v}-{i}") for v, args in enumerate(variants)] for i in range(REPEATS)]
    return [sorted((r[v] for r in runs), key=lambda r: r.wall)[REPEATS // 2] for v in range(len(variants))]


def recheck_root(target: Path) -> Path:
    """A fixtures root whose `exposed` scenarios are the platforms' `compliant` ones: a re-check finds all opted out."""
    for platform_dir in sorted(p for p in FIXTURES.iterdir() if p.is_dir()):
        source = platform_dir / ("compliant" if (platform_dir / "compliant").is_dir() else "exposed")
        shutil.copytree(source, target / platform_dir.name / "exposed")
        manifest = target / platform_dir.name / "exposed" / "manifest.toml"  # compliant extends ../exposed: the original
        manifest.write_text(
            re.sub(r'(?m)^extends = "(.+)"$', lambda m: f"extends = {json.dumps(str((source / m.group(1)).resolve()))}", manifest.read_text())
        )
        for shared in platform_dir.iterdir():
            if shared.is_dir() and not (shared / "manifest.toml").exists():
                (target / platform_dir.name / shared.name).symlink_to(shared)
    return target


def startup(command: list[str]) -> float:
    times = []
    for _ in range(7):
        started = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--latency", nargs="?", const=REALISTIC_LATENCY, metavar="KIND=MS,...",
        help=f"replays answer with this latency per kind of response (documents, api, saves; default {REALISTIC_LATENCY})",
    )
    latency = parser.parse_args().latency
    if latency:
        os.environ["OPTOUT_REPLAY_LATENCY"] = latency  # every optout-run below inherits it
        print(f"replay latency: {latency} ms")
    work = Path(tempfile.mkdtemp(prefix="optout-bench-"))
    ok = True
    try:
        demo = ["--all", "--replay", str(FIXTURES)]
        serial, default = median_runs([[*demo, "--jobs", "1"], demo], work / "timed")
        ratio = default.wall / serial.wall
        peak = max(run([*demo, "--jobs", "1"], work / "memory-serial", True).peak_mb, run(demo, work / "memory", True).peak_mb)
        statuses = Counter(r["status"] for r in default.document["results"])
        results, platforms = len(default.document["results"]), len(default.document["replay"])
        print(f"demo, {results} settings on {platforms} platforms: {dict(statuses)}; wall times are medians of {REPEATS} runs")
        print(f"wall time --jobs 1:        {serial.wall:6.1f} s")
        print(f"wall time default jobs:    {default.wall:6.1f} s  ({ratio:.2f} x --jobs 1; target <= {TARGETS['parallel_ratio']})")
        # A serial run that already keeps the cores busy leaves parallel jobs little to overlap.
        print(f"CPU busy, all {os.cpu_count()} cores:    --jobs 1 {serial.busy:.0%}, default {default.busy:.0%}")
        print(f"peak memory (PSS), tree:   {peak:6.0f} MB (target < {TARGETS['peak_mb']} MB)")
        ok &= ratio <= TARGETS["parallel_ratio"] and peak < TARGETS["peak_mb"]

        root = recheck_root(work / "recheck-fixtures")
        run(["--all", "--replay", str(root)], work / "recheck")  # signs in and saves the sessions
        again = run(["--all", "--replay", str(root)], work / "recheck").document
        sign_ins = sum(r["password_submissions"] for r in again["replay"])
        loads = Counter(line.split()[1] for r in again["replay"] for line in r["requests"] if line.endswith("-> page"))
        sign_in_urls = {  # as the harness composes them: a scenario may inherit its [sign_in]
            Scenario.load(m.parent).manifest.get("sign_in", {}).get("redirect") for m in root.glob("*/exposed/manifest.toml")
        }
        sign_in_pages = [url for url in loads if url in sign_in_urls]
        web_results = [r for r in again["results"] if r["reason"] != "app_only"]
        print(
            f"re-check with saved sessions: {sum(loads.values())} page loads for {len(web_results)} settings "
            f"({sum(loads.values()) / max(1, len(web_results)):.2f} per setting), most loads of one page: "
            f"{max(loads.values(), default=0)}, sign-in submissions: {sign_ins}, sign-in pages loaded: {len(sign_in_pages)}"
        )
        ok &= max(loads.values(), default=0) <= 1 and sign_ins == 0 and not sign_in_pages

        help_time = startup([OPTOUT, "--help"])
        bare = startup([sys.executable, "-c", "pass"])
        print(f"optout-run --help:         {help_time:6.3f} s  (python -c pass: {bare:.3f} s; target <= {TARGETS['help_seconds']} s)")
        ok &= help_time <= TARGETS["help_seconds"]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("all targets met" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
