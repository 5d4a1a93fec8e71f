"""Spike detector: rows per second and memory of one SpikeDetector holding
10, 10,000 and 1,000,000 pools, measured in process by ordo-one/benchmark
(bench/Microbenchmarks, `swift package benchmark --format jmh`; see its
README for the metrics). Each figure is the median of the iterations, with
the lowest and highest iteration.
"""
import json
import os
import re
import subprocess

import markdown as md


def parse(output):
    """{pools: {metric name: (min, p50, max)}} from the tool's jmh output: the
    line that starts the JSON array, after the plugin's notes and build lines."""
    elements = json.loads(output[output.index("[{"):])
    results = {}
    for element in elements:
        pools = int(re.search(r"observe_(\d+)_pools", element["benchmark"]).group(1))
        results[pools] = {name: (metric["scorePercentiles"]["0.0"], metric["scorePercentiles"]["50.0"],
                                 metric["scorePercentiles"]["100.0"])
                          for name, metric in element["secondaryMetrics"].items()}
    return results


def run(folder, warmup_seconds, log):
    log("detector: swift package benchmark (bench/Microbenchmarks)")
    environment = dict(os.environ)
    if warmup_seconds:
        environment["POOLKEEPER_BENCH_WARMUP_SECONDS"] = str(warmup_seconds)
    result = subprocess.run(["swift", "package", "benchmark", "--format", "jmh", "--path", "stdout", "--no-progress"],
                            cwd=folder, text=True, capture_output=True, timeout=3600, env=environment)
    if result.returncode != 0 or "[{" not in result.stdout:
        raise RuntimeError(f"swift package benchmark failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    results = parse(result.stdout)
    for pools, metrics in sorted(results.items()):
        log(f"  {pools:,} pools: {metrics['Rows per second'][1]:,.0f} rows/s, "
            f"{metrics['Detector resident (bytes)'][1] / 2**20:,.0f} MiB resident")
    return render(results, warmup_seconds), figures(results)


def figures(results):
    slowest = min(metrics["Rows per second"][1] for metrics in results.values())
    return {"detector_targets": {"spike detector, rows/s at the slowest of 10 / 10,000 / 1,000,000 pools": (
        "≥ 1,000,000", md.count(slowest), md.verdict(slowest >= 1_000_000))}}


def mib(value):
    return f"{value / 2**20:,.1f} MiB"


def render(results, warmup_seconds):
    rows = []
    for pools, metrics in sorted(results.items()):
        low, middle, high = metrics["Rows per second"]
        rows.append([md.count(pools), f"{middle:,.0f} ({low:,.0f}–{high:,.0f})",
                     f"{metrics['Time (wall clock)'][1] / 1000:,.0f} ns",  # μs per million rows = ns per row
                     mib(metrics["Detector resident (bytes)"][1]),
                     f"{metrics['Detector resident per pool (bytes)'][1]:,.0f} B",
                     mib(metrics["Detector heap in use (bytes)"][1]),
                     mib(metrics["Memory (resident peak)"][1]),
                     f"{metrics['Malloc (total)'][1]:,.0f}"])
    warmup = (f"{warmup_seconds:,} s of ledger time (shorter than the 2.5 retentions of the full profile: the memory "
              "is below a long-running monitor's)" if warmup_seconds else
              "2.5 retentions of the built-in rule (9,300 s of ledger time, 186 million rows), the steady state of a "
              "long-running monitor")
    return "\n".join([
        "## Spike detector",
        "",
        "`swift package benchmark` in `bench/Microbenchmarks` (ordo-one/benchmark, release build, one process per "
        "pool count): one `SpikeDetector` under the built-in rule (S 60 s, B 1 h), fed rows that it generates as it "
        "goes (no input array), the pools taking turns, 20,000 rows per second of ledger time, 1 row in 5 up to 2 s "
        f"late. It is warmed up with {warmup}; each measured iteration then feeds 1,000,000 rows. Rows/s is the median "
        "iteration (lowest–highest in brackets). The detector's memory is measured around its warm-up: resident "
        "memory added (`/proc/self/statm`) and bytes malloc handed out and kept (`mallinfo2`); the peak is the whole "
        "process's, the tool included.",
        "",
        md.table(["pools", "rows/s", "per row", "detector resident", "per pool", "detector heap", "process peak",
                  "mallocs per 10^6 rows"], rows, "rrrrrrrr"),
    ])
