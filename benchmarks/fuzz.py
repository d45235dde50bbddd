"""The fuzz harness of ``tests/test_fuzz.py``, run longer, with its figures.

    python -m benchmarks.fuzz [--examples 1000] [--formats text,markdown,html,docx,pdf]
    python -m benchmarks.fuzz --overhead 1000 [--runs 3]   # cost of the bounded workers
    python -m benchmarks.fuzz --amplifiers                 # the four amplification inputs

Each mutated file (bit flips, byte changes, truncation, chunk duplication and deletion;
for Word files also a damaged ZIP member) is parsed in the bounded runner (a child
process, 10 s and 1 GiB) and judged as the test judges it: parsed (invariants kept),
refused (a one-line LoadError), crash (an error the parser's last line of defence
caught, or not one line), hang (past the time limit), blow-up (past the memory limit)
or silent wrong (a parse that broke an invariant). Prints a markdown table per format
with the inputs tried, each outcome, the peak memory of a parse and the time, then the
details of every crash, hang, blow-up and silent wrong value."""
from __future__ import annotations

import argparse
import time
from collections import Counter

from hypothesis import HealthCheck, Phase, given, settings

from tests.test_fuzz import BUDGET, judge, mutated

BAD = ("crash", "hang", "memory", "silent_wrong")


def fuzz(fmt: str, examples: int) -> tuple[Counter, int, float, list[str]]:
    counts: Counter = Counter()
    peak, problems = 0, []
    started = time.monotonic()

    @given(mutated(fmt))
    @settings(max_examples=examples, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    def run(case):
        nonlocal peak
        name, before, data = case
        verdict = judge(name, before, data)
        counts[verdict.kind] += 1
        peak = max(peak, verdict.peak_bytes)
        if verdict.kind in BAD:
            problems.append(f"{fmt} {name} ({len(data)} bytes): {verdict.kind}: {verdict.detail}")

    run()
    return counts, peak, time.monotonic() - started, problems


def _pool_parse(path: str):
    from loaders.load import parse_for_store

    return parse_for_store(path)


def overhead(reports: int, runs: int) -> None:
    """Parse rate of seed-sized reports (``benchmarks/load.py``'s) through ``parsed_files``:
    in this process, in bounded workers (time and memory limits), and in an unbounded
    ``multiprocessing.Pool`` as ``ogi load --jobs`` parsed before."""
    import multiprocessing
    import statistics
    import tempfile
    from pathlib import Path

    from benchmarks.load import make_reports
    from loaders.load import parsed_files

    with tempfile.TemporaryDirectory() as folder:
        files = []
        for name, data in make_reports(reports):
            (Path(folder) / name).write_bytes(data)
            files.append(Path(folder) / name)

        def rate(run) -> float:
            rates = []
            for _ in range(runs):
                start = time.perf_counter()
                assert sum(not isinstance(r, str) for r in run()) == len(files)
                rates.append(len(files) / (time.perf_counter() - start))
            return statistics.median(rates)

        def pool(jobs):
            with multiprocessing.get_context("spawn").Pool(jobs) as p:
                return list(p.imap(_pool_parse, map(str, files), chunksize=1))

        for label, run in [
            ("1 job, in process (load_paths default)", lambda: [r for _, r in parsed_files(files, 1)]),
            ("1 job, bounded worker (ogi load)", lambda: [r for _, r in parsed_files(files, 1, bounded=True)]),
            ("2 jobs, bounded workers (ogi load -j 2)", lambda: [r for _, r in parsed_files(files, 2)]),
            ("2 jobs, unbounded Pool (before)", lambda: pool(2)),
        ]:
            print(f"| {label} | {rate(run):.1f} reports/s |", flush=True)


def amplifiers() -> None:
    """The four amplification inputs of issue 15 (``tests/test_limits.py`` builds them):
    each through the bounded runner with the default limits, then with the source
    limits lifted, where only the runner's time and memory limits stop it."""
    from loaders.bounded import run_bounded
    from loaders.limits import Limits
    from tests.test_limits import AMPLIFIERS, LIFTED

    for name, (make, _) in AMPLIFIERS.items():
        data = make()
        for label, limits in (("defaults", Limits()), ("source limits lifted", LIFTED)):
            o = run_bounded(data, name, limits)
            print(f"| {name} ({len(data) / 2**20:.2f} MB) | {label} | {o.seconds:.2f} s | "
                  f"{o.peak_bytes / 2**20:.0f} MB | {(o.error or 'parsed').split(': ', 1)[1]} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=1000, help="mutated inputs per format")
    parser.add_argument("--formats", default=",".join(BUDGET))
    parser.add_argument("--overhead", type=int, metavar="REPORTS",
                        help="instead: the parse rate of REPORTS seed-sized files in and out of bounded workers")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--amplifiers", action="store_true", help="instead: the four amplification inputs")
    args = parser.parse_args()
    if args.overhead:
        return overhead(args.overhead, args.runs)
    if args.amplifiers:
        return amplifiers()
    print("| format | inputs | parsed | refused | crashes | hangs | blow-ups | silent wrong | peak memory | time |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    problems = []
    for fmt in args.formats.split(","):
        counts, peak, seconds, found = fuzz(fmt, args.examples)
        problems += found
        print(f"| {fmt} | {counts.total()} | {counts['parsed']} | {counts['refused']} | {counts['crash']} | "
              f"{counts['hang']} | {counts['memory']} | {counts['silent_wrong']} | {peak / 2**20:.0f} MB | "
              f"{seconds:.0f} s |", flush=True)
    for line in problems:
        print(line)


if __name__ == "__main__":
    main()
