"""bench/harness/run.py — every poolkeeper benchmark in one run, written up as
markdown (BENCHMARKS.md). scripts/bench starts the database, installs the
extension, builds the Swift release products and calls this; see its header
for the options. Progress goes to standard error, the report to --output and
to standard output.
"""
import argparse
import os
import subprocess
import sys
import time

import alerts
import detector
import growth
import ingest
import machine
import markdown as md
from profiles import PROFILES

SECTIONS = ["ingest", "growth", "alerts", "detector"]


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", choices=sorted(PROFILES), default="short")
    parser.add_argument("--output", required=True)
    parser.add_argument("--bench-binary", required=True, help="the poolkeeper-bench executable (poolkeeper next to it)")
    parser.add_argument("--microbenchmarks", help="the ordo-one/benchmark package folder (bench/Microbenchmarks)")
    parser.add_argument("--only", nargs="*", choices=SECTIONS, default=SECTIONS)
    options = parser.parse_args()
    profile = PROFILES[options.profile]
    started = time.monotonic()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], text=True, capture_output=True).stdout.strip() or "unknown"
    log(f"profile {profile.name}: {', '.join(options.only)}")

    sections, figures = [machine.describe(profile, commit)], {}
    failed = []
    for name in options.only:
        log(f"== {name}")
        try:
            if name == "ingest":
                text, found = ingest.run(profile, log)
            elif name == "growth":
                text, found = growth.run(profile, log)
            elif name == "alerts":
                text, found = alerts.run(profile, options.bench_binary, log)
            elif profile.detector and options.microbenchmarks:
                text, found = detector.run(options.microbenchmarks, profile.detector_warmup, log)
            else:
                continue
        except Exception as error:  # one section's failure must not lose the others' figures
            log(f"{name} FAILED: {error}")
            failed.append(name)
            text, found = f"## {name}: FAILED\n\n```\n{str(error)[-2000:]}\n```", {}
        sections.append(text)
        figures.update(found)
    minutes = (time.monotonic() - started) / 60
    report = "\n\n".join([header(profile, minutes), targets(figures), *sections]) + "\n"
    with open(options.output, "w") as output:
        output.write(report)
    print(report)
    log(f"wrote {options.output} in {minutes:.1f} min")
    if failed:
        log(f"failed sections: {', '.join(failed)}")
        sys.exit(1)


def header(profile, minutes):
    return "\n".join([
        "# poolkeeper benchmarks",
        "",
        f"Written by `scripts/bench --{profile.name}` in {minutes:.0f} minutes (after the builds) on {time.strftime('%Y-%m-%d')}; "
        "every figure below comes from that one run. Figures are medians of repeated runs; ratios are taken within "
        "the same round, so that the machine's drift between rounds cancels out; *spread* says how far the runs of one "
        "figure lay apart (the reports' ratios are of medians timed one after the other). Run `scripts/bench --short` (under 10 minutes) to check a change, "
        "`scripts/bench --full` to rewrite this file.",
    ])


def targets(figures):
    rows = []
    if "post_ratio_8" in figures:
        rows.append(["ingest, 8 clients, spread positions: `post_transaction` vs bare INSERT", "≥ 0.70x",
                     md.ratio(figures["post_ratio_8"]), md.verdict(figures["post_ratio_8"] >= 0.70)])
        rows.append(["the same, `synchronous_commit` off on both sides: the write path's CPU cost (reported)", "",
                     md.ratio(figures["post_async_ratio_8"]), ""])
        rows.append(["ingest, 8 clients, one hot pool (reported, no target)", "", md.ratio(figures["hot_ratio_8"]), ""])
        rows.append([f"ingest, 8 clients, batches of posts, rows/s vs bare INSERT (reported)", "", md.ratio(figures["batch_ratio_8"]), ""])
    if "growth_relative_change" in figures:
        raw, relative = figures["growth_raw_change"], figures["growth_relative_change"]
        rows.append([f"ingest from {figures['growth_first']:,} to {figures['growth_last']:,} ledger rows "
                     "(raw; relative to the bare INSERT of the same rounds)", "fall ≤ 10%",
                     f"{raw * 100:+.1f}%; {relative * 100:+.1f}%", md.verdict(raw >= -0.10 and relative >= -0.10)])
        rows.append([f"`top_investors(5)` at {figures['growth_first']:,} / {figures['growth_last']:,} rows", "",
                     " / ".join(md.ms(value) for value in figures["top_ms"]), ""])
    for name, runs in figures.get("alerts", []):
        if name == "flat out":
            worst = max(run["watch"]["from_commit"]["p99"] or float("inf") for run in runs)
            rows.append(["large_transaction alert, COMMIT to `poolkeeper watch` line, p99 with posters flat out "
                         "(worst run; issue 5's target)", "< 50 ms", md.ms(worst), md.verdict(worst < 50)])
    for key, (label, target, met) in figures.get("detector_targets", {}).items():
        rows.append([key, label, target, met])
    text = ["## Targets", "", md.table(["figure", "target", "measured", ""], rows, "lrrl")]
    if "post_ratio_8" in figures and figures["post_ratio_8"] < 0.70:
        with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "ingest_gap.md")) as notes:
            text += ["", notes.read().strip()]
    return "\n".join(text)


if __name__ == "__main__":
    main()
