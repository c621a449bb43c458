"""Journeys against the stack's durable ceiling, with one load client, in one run: the ratio that issue 11 targets.

The ceiling is `../shared/bench/ceiling_app.py --durable FILE` (referenced by path, never copied into the project):
the same three endpoints as the payment-callback journey on bare aiohttp and orjson, with one group-committed
SQLite WAL write per change (`synchronous=FULL`), no schema checks, no history, no logs. Journeys is
`journeys serve` on SQLite with the shipped definitions. Both servers stay up for the whole run and the rounds
alternate (ceiling, journeys, ceiling, journeys, ...), so a noisy neighbour on the shared machine weighs on both
alike; a ratio measured in one run means more than two absolute figures measured apart.

Each round is N journeys start -> callback (`X-Webhook-Secret`) -> result at concurrency C through
`journeys_bench.load`. Prints each round, then per server the journeys/s over all its rounds and the pooled
p50/p95/p99 per call, then journeys' share of the ceiling's journeys/s and both callback p99s. `--profile PREFIX`
attaches py-spy (`pip install py-spy`: a profiler, not a dependency of the project) to the journeys server during
its rounds and writes PREFIX.<round> (raw, collapsed stacks) for `py-spy` or flamegraph tools; `--py-spy-option`
passes one more option to `py-spy record` (e.g. `--idle`, `--gil`).
`--baseline-tree DIR` adds a third server, journeys from another source tree (for instance the last commit:
`git archive HEAD | tar -x -C DIR`), into the same rotation: a change measured against its predecessor and the
ceiling in one run. Not a test: it only measures and prints.

    .venv/bin/python bench/ceiling_compare.py -n 5000 -c 64 --rounds 2
    .venv/bin/python bench/ceiling_compare.py -n 3000 --profile /tmp/journeys.raw --py-spy-option=--idle
    .venv/bin/python bench/ceiling_compare.py -n 5000 --rounds 3 --baseline-tree /tmp/journeys-head
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import aiohttp
import yaml
from journeys_bench import ROOT, SECRET, Client, Run, free_port, load, percentiles, report, serve, stop, wait_ready

DEFAULT_CEILING = ROOT.parent / "shared" / "bench" / "ceiling_app.py"


def _start_ceiling(script: Path, database: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    command = [sys.executable, str(script), str(port), "--durable", str(database)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return process, f"http://127.0.0.1:{port}/api/v1"


def _pooled(runs: list[Run]) -> Run:
    timings = {name: [sample for run in runs for sample in run.timings[name]] for name in runs[0].timings}
    return Run(sum(r.total for r in runs), sum(r.elapsed for r in runs), sum(r.cpu for r in runs), timings)


def _p99(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[98] * 1000


async def _spy(prefix: str, options: list[str], round_no: int, pid: int) -> subprocess.Popen[bytes]:
    """Attach py-spy (200 samples/s, raw collapsed stacks) to `pid` until sent SIGINT."""
    spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or "py-spy"
    command = [spy, "record", "--pid", str(pid), "-r", "200", "--format", "raw", "-o", f"{prefix}.{round_no}", *options]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    await asyncio.sleep(0.5)  # attached before the load begins
    return process


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--journeys", type=int, default=5000, help="journeys per round")
    parser.add_argument("-c", "--concurrency", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=2, help="rounds per server, alternating")
    parser.add_argument("--ceiling", type=Path, default=DEFAULT_CEILING, help="path of ceiling_app.py")
    parser.add_argument("--profile", metavar="PREFIX", help="py-spy the journeys server's rounds into PREFIX.<round>")
    parser.add_argument("--py-spy-option", action="append", default=[], help="one more option for py-spy record")
    parser.add_argument("--baseline-tree", type=Path, help="also run journeys from this source tree")
    args = parser.parse_args()
    if not args.ceiling.is_file():
        raise SystemExit(f"no ceiling app at {args.ceiling}: pass --ceiling PATH")

    workdir = Path(tempfile.mkdtemp(prefix="journeys-ceiling-"))
    config = workdir / "config.yaml"
    config.write_text(yaml.safe_dump({"apiKeys": {"payments-callback": [SECRET]}}))
    client = Client()
    journeys, journeys_base = serve(f"sqlite:///{workdir / 'journeys.db'}", config)
    ceiling, ceiling_base = _start_ceiling(args.ceiling, workdir / "ceiling.db")
    servers = {"ceiling": (ceiling, ceiling_base), "journeys": (journeys, journeys_base)}
    if args.baseline_tree:
        servers["baseline"] = serve(f"sqlite:///{workdir / 'baseline.db'}", config, args.baseline_tree.resolve())
    runs: dict[str, list[Run]] = {name: [] for name in servers}
    try:
        async with aiohttp.ClientSession() as http:
            for name, (process, base) in servers.items():
                if name == "ceiling":
                    await wait_ready(http, f"{base}/journeys/none/result", process, {}, status=404)
                else:
                    await wait_ready(http, f"{base}/journeys?limit=1", process, {})
        print(f"N={args.journeys} per round, C={args.concurrency}, {args.rounds} rounds each; ceiling {args.ceiling}")
        for round_no in range(1, args.rounds + 1):
            for name, (process, base) in servers.items():
                spy = None
                if args.profile and name == "journeys":
                    spy = await _spy(args.profile, args.py_spy_option, round_no, process.pid)
                run = await load(base, client, process.pid, args.journeys, args.concurrency)
                if spy is not None:
                    spy.send_signal(signal.SIGINT)
                    spy.wait(timeout=60)
                runs[name].append(run)
                callback = percentiles(run.timings["callback"])
                print(f"round {round_no} {name:<8} {run.rate:7.0f} journeys/s  callback {callback}")
    finally:
        for process, _ in servers.values():
            stop(process)
        shutil.rmtree(workdir, ignore_errors=True)

    print()
    pooled = {name: _pooled(server_runs) for name, server_runs in runs.items()}
    for name, run in pooled.items():
        report(run, args.concurrency, label=f"{name} (all rounds)")
    print()
    for name in servers:
        if name == "ceiling":
            continue
        share = pooled[name].rate / pooled["ceiling"].rate
        pairs = [j.rate / c.rate for c, j in zip(runs["ceiling"], runs[name], strict=True)]
        print(f"journeys/s: {name} / ceiling = {share:.0%} (per round: {', '.join(f'{p:.0%}' for p in pairs)})")
    cb = ", ".join(f"{name} {_p99(run.timings['callback']):.1f} ms" for name, run in pooled.items())
    print(f"callback p99: {cb}")
    cpu = ", ".join(f"{name} {run.cpu / run.total * 1000:.2f} ms" for name, run in pooled.items())
    print(f"server CPU per journey: {cpu}")


if __name__ == "__main__":
    asyncio.run(main())
