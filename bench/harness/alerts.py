"""Alert latency: from a large_transaction post's COMMIT to the alert in the
Swift library's stream (PoolKeeperClient.alertStream, in process) and to the
line printed by `poolkeeper watch --json`, measured in one run by
`poolkeeper-bench alert-latency` (release build): idle (the probes alone), under
a steady 1,000 posts/s, and with the background posters flat out.
"""
import json
import subprocess

import markdown as md
import pg
from stats import median

DATABASE = "poolkeeper_bench_alerts"
MODES = [("idle", ["--rate", "0"]), ("1,000 posts/s", ["--rate", "1000"]), ("flat out", ["--flat-out"])]


def run(profile, bench_binary, log):
    pg.recreate_database(DATABASE)
    results = []
    for name, arguments in MODES:
        runs = []
        for repeat in range(profile.alert_repeats):
            command = [bench_binary, "alert-latency", "--json", "--seconds", str(profile.alert_seconds), *arguments]
            output = subprocess.run(command, text=True, capture_output=True, env=pg.environment(DATABASE), timeout=600)
            if output.returncode != 0:
                raise RuntimeError(f"{' '.join(command)} failed:\n{output.stdout}\n{output.stderr}")
            runs.append(json.loads(output.stdout.strip().splitlines()[-1]))
            log(f"  alerts {name}, run {repeat + 1}: stream p99 {runs[-1]['stream']['from_commit']['p99']} ms, "
                f"watch p99 {runs[-1]['watch']['from_commit']['p99']} ms")
        results.append((name, runs))
    return render(profile, results), {"alerts": results}


def cell(runs, channel, bound, field):
    """The median over runs of one percentile (the max: the highest of the runs);
    n/a when no run delivered anything."""
    values = [run[channel][bound][field] for run in runs if run[channel][bound][field] is not None]
    if not values:
        return "n/a"
    return md.ms(max(values) if field == "max" else median(values))


def render(profile, results):
    rows = []
    for name, runs in results:
        background = median([run["background_rows_per_second"] for run in runs])
        delivered = sum(run[channel]["printed"] for run in runs for channel in ("stream", "watch"))
        probes = sum(run["probes"] for run in runs) * 2
        for channel, label in (("stream", "Swift `alertStream`"), ("watch", "`poolkeeper watch` line")):
            rows.append([name, md.count(background), label,
                         *(cell(runs, channel, "from_commit", field) for field in ("p50", "p99", "max")),
                         cell(runs, channel, "from_start", "p99")])
        rows.append(["", "", f"delivered {delivered:,} of {probes:,}", "", "", "", ""])
    repeats = (f"{profile.alert_repeats} runs of" if profile.alert_repeats > 1 else "one run of")
    return "\n".join([
        "## Alert latency",
        "",
        f"`poolkeeper-bench alert-latency`, {repeats} {profile.alert_seconds} s per load: a probe posts an amount above its "
        "pool's threshold every 50 ms (with some hundreds of probes a run, its p99 is one of its few slowest probes); p50 and p99 are "
        "the median over the runs, max the highest of any run; the times run from the moment the probe's COMMIT returned (a lower bound: the alert "
        "can be delivered a little before the client hears of the commit) and, in the last column, from the moment the "
        "post started (an upper bound). Background posts are below the threshold and raise nothing.",
        "",
        md.table(["load", "background rows/s", "delivered to", "p50", "p99", "max", "p99 from post start"], rows, "lrlrrrr"),
    ])
