"""The harness's profiles: how long each benchmark runs and at what scale.

short: a quick check (under 10 minutes once the Swift release build exists),
       every figure at a smaller scale and with fewer, shorter runs.
full:  the figures BENCHMARKS.md quotes: 1 and 10 million ledger rows.
smoke: seconds per benchmark, for scripts/test to prove the harness still runs;
       its figures mean nothing.
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    name: str
    client_counts: tuple      # pgbench clients for the ingest runs
    rounds: int               # alternating rounds per client count
    seconds: int              # seconds per pgbench run
    batch_size: int           # posts per database transaction in the batch run
    ledger_sizes: tuple       # ledger rows at which growth and reports are measured
    growth_pools: int
    growth_investors: int
    report_runs: int          # timed runs of each report (after one warm-up)
    reference_runs: int       # timed runs of each plain-SQL reference query
    alert_seconds: int        # seconds per alert-latency run
    alert_repeats: int        # alert-latency runs per mode
    detector: bool            # run the ordo-one/benchmark spike-detector suite
    detector_warmup: int      # seconds of ledger time to warm each detector up; 0: the suite's default (2.5 retentions)


PROFILES = {
    "short": Profile("short", (1, 8, 32), 3, 3, 10, (100_000, 1_000_000), 2_000, 100_000, 5, 3, 8, 1, True, 600),
    "full": Profile("full", (1, 8, 32), 5, 8, 10, (1_000_000, 10_000_000), 2_000, 100_000, 9, 3, 20, 3, True, 0),
    "smoke": Profile("smoke", (1, 8), 1, 1, 10, (2_000, 4_000), 20, 200, 1, 1, 3, 1, False, 0),
}
