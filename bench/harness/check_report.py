"""bench/harness/check_report.py REPORT — TAP checks that a report written by
run.py holds every section with real figures and that the harness's own
cross-checks passed: verify() found nothing after the ingest and growth
runs, every report gave its plain-SQL reference's figures, every probe's
alert reached both the Swift stream and `poolkeeper watch`. scripts/test
runs it on the smoke profile's report, so that the harness cannot rot.
It also parses a stored output of the spike-detector suite
(testdata/detector-jmh.txt), which the smoke profile does not run.
"""
import os
import re
import sys

import detector
from profiles import PROFILES

SECTIONS = ["## Targets", "## Machine and settings", "## Ingest", "## Growth and reports", "## Alert latency"]


def checks(report):
    for heading in SECTIONS:
        yield heading in report, f"the report has the section {heading[3:]}"
    profile = PROFILES[re.search(r"^\| profile \| (\w+) \|", report, re.MULTILINE).group(1)]
    ingest = re.findall(r"^\| \d+ \| [^|]+ \| ([\d,]+) \|", report, re.MULTILINE)
    yield len(ingest) == 6 * len(profile.client_counts) and all(int(n.replace(",", "")) > 0 for n in ingest), \
        f"every ingest run committed rows ({len(ingest)} runs for {len(profile.client_counts)} client counts)"
    problems = re.findall(r"`verify\(\)` after the runs: (\d+) problems", report)
    problems += re.findall(r"\| (\d+) \([\d,]+\)", report.split("`verify()` problems after the posts", 1)[-1].split("\n", 1)[0])
    yield problems == ["0"] * (1 + len(profile.ledger_sizes)), \
        f"verify() found no problem after the ingest runs and after the posts at each ledger size ({problems})"
    yield "Each pair gave the same figures at every size: yes." in report, \
        "every report gave the figures of its plain-SQL reference"
    delivered = re.findall(r"delivered ([\d,]+) of ([\d,]+)", report)
    yield len(delivered) == 3 and all(a == b and a != "0" for a, b in delivered), \
        f"every probe's alert reached the stream and watch under each load ({delivered})"
    targets = report.split("## Targets", 1)[-1].split("\n## ", 1)[0]
    judged = re.findall(r"\*\*(?:not )?met\*\*", targets)
    expected = 3 + ("## Spike detector" in report)  # the smoke profile runs no detector suite
    yield len(judged) == expected, \
        f"the targets table judges ingest, growth, alert latency (and the detector) ({len(judged)} of {expected} verdicts)"
    yield not re.search(r"n/a|nan|inf\b", targets), "every figure in the targets table is a number"
    ingest_missed = re.search(r"spread positions.*\*\*not met\*\*", targets) is not None
    yield ingest_missed == ("### Why ingest misses 0.7x" in targets), "a missed ingest target comes with its explanation"
    stored = os.path.join(os.path.dirname(os.path.abspath(__file__)), "testdata", "detector-jmh.txt")
    with open(stored) as file:
        parsed = detector.parse(file.read())
    yield sorted(parsed) == [10, 10_000, 1_000_000] and all(m["Rows per second"][1] > 0 for m in parsed.values()), \
        "the spike-detector suite's jmh output parses into rows/s for 10, 10,000 and 1,000,000 pools"


def main():
    with open(sys.argv[1]) as file:
        report = file.read()
    failed = 0
    for number, (passed, name) in enumerate(checks(report), 1):
        print(f"{'ok' if passed else 'not ok'} {number} - bench harness: {name}")
        failed += not passed
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
