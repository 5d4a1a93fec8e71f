"""bench/harness/check_report.py REPORT — TAP checks that a report written by
run.py holds every section with real figures and that the harness's own
cross-checks passed: verify() found nothing after the ingest and growth
runs, every report gave its plain-SQL reference's figures, every probe's
alert reached both the Swift stream and `poolkeeper watch`. scripts/test
runs it on the smoke profile's report, so that the harness cannot rot.
"""
import re
import sys

SECTIONS = ["## Targets", "## Machine and settings", "## Ingest", "## Growth and reports", "## Alert latency"]


def checks(report):
    for heading in SECTIONS:
        yield heading in report, f"the report has the section {heading[3:]}"
    ingest = re.findall(r"^\| \d+ \| [^|]+ \| ([\d,]+) \|", report, re.MULTILINE)
    yield len(ingest) >= 6 and all(int(n.replace(",", "")) > 0 for n in ingest), \
        f"every ingest run committed rows ({len(ingest)} runs)"
    problems = re.findall(r"`verify\(\)`[^:]*: (\d+) problems", report)
    yield len(problems) == 2 and set(problems) == {"0"}, f"verify() found no problem after ingest and growth ({problems})"
    yield "Each pair gave the same figures at every size: yes." in report, \
        "every report gave the figures of its plain-SQL reference"
    delivered = re.findall(r"delivered ([\d,]+) of ([\d,]+)", report)
    yield len(delivered) == 3 and all(a == b and a != "0" for a, b in delivered), \
        f"every probe's alert reached the stream and watch under each load ({delivered})"
    targets = report.split("## Targets", 1)[-1].split("\n## ", 1)[0]
    yield re.search(r"\| [\d.]+x \| \*\*(not )?met\*\* \|", targets) is not None, "the targets table judges the ingest ratio"


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
