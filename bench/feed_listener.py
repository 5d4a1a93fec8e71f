"""bench/feed_listener.py — a feed reader that measures delivery delay.

Polls poolkeeper.transactions_after every POLL_MS milliseconds (default 25)
for SECONDS seconds, following the cursor from the moment it starts, and
prints one line of numbers: rows read, polls, and the delay from each row's
recorded_at (taken inside the writing transaction, before its commit) to the
moment this reader had it; so the figures are upper bounds on the delay
after commit. To bound it from below as well, a probe thread posts a
contribution to pool 1, investor 1 every 50 ms through its own connection and
notes when each COMMIT returned: the reader's time minus that time is at most
the delay after commit (the row is visible a little before COMMIT returns).
Also the mean time of a poll that found nothing. Connection settings come
from the libpq environment.

Usage: python3 bench/feed_listener.py SECONDS [POLL_MS]
"""
import sys
import threading
import time

import psycopg2
import psycopg2.extensions


def percentile(sorted_values, fraction):
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, int(round(fraction * (len(sorted_values) - 1))))
    return sorted_values[index]


def probe(stop, committed):
    """Posts a contribution every 50 ms; notes each row's COMMIT return time."""
    conn = psycopg2.connect("")
    cur = conn.cursor()
    while not stop.is_set():
        cur.execute("SELECT poolkeeper.post_transaction(1, 1, 'contribution', 1)")
        row_id = cur.fetchone()[0]
        conn.commit()
        committed[row_id] = time.time()
        stop.wait(0.05)
    conn.close()


def main():
    seconds = float(sys.argv[1])
    poll = float(sys.argv[2] if len(sys.argv) > 2 else 25) / 1000
    conn = psycopg2.connect("")
    conn.set_isolation_level(psycopg2.extensions.ISOLATION_LEVEL_AUTOCOMMIT)
    cur = conn.cursor()
    cur.execute("SELECT poolkeeper.feed_cursor()")
    cursor = cur.fetchone()[0]
    delays, seen = [], set()
    stop, committed, probe_seen = threading.Event(), {}, {}
    prober = threading.Thread(target=probe, args=(stop, committed))
    prober.start()
    polls = empty_polls = duplicates = 0
    empty_time = 0.0
    end = time.monotonic() + seconds
    draining = False
    while True:
        if not draining and time.monotonic() >= end:
            # Stop the probe first, then read once more: its last row may
            # have committed after the previous read.
            stop.set()
            prober.join()
            draining = True
        started = time.monotonic()
        cur.execute("SELECT cursor, id, extract(epoch FROM recorded_at) FROM poolkeeper.transactions_after(%s, 10000)",
                    (cursor,))
        rows = cur.fetchall()
        now = time.time()
        polls += 1
        if not rows:
            empty_polls += 1
            empty_time += time.monotonic() - started
        for row_cursor, row_id, recorded in rows:
            if row_id in seen:
                duplicates += 1
            seen.add(row_id)
            delays.append(now - float(recorded))
            probe_seen[row_id] = now
            cursor = row_cursor
        if draining:
            break
        pause = poll - (time.monotonic() - started)
        if pause > 0:
            time.sleep(pause)
    # A probe row seen before its COMMIT returned counts as 0.
    after_commit = sorted(max(0.0, probe_seen[i] - t) for i, t in committed.items() if i in probe_seen)
    missed_probes = sum(1 for i in committed if i not in probe_seen)
    delays.sort()
    print("feed: rows %d, duplicates %d, polls %d (%d empty, %.2f ms each), delay p50 %.1f ms, p99 %.1f ms, max %.1f ms"
          % (len(delays), duplicates, polls, empty_polls, 1000 * empty_time / max(empty_polls, 1),
             1000 * percentile(delays, 0.50), 1000 * percentile(delays, 0.99), 1000 * (delays[-1] if delays else float("nan"))))
    print("feed: probes %d (%d not seen), delay after COMMIT returned p50 %.1f ms, p99 %.1f ms, max %.1f ms"
          % (len(committed), missed_probes, 1000 * percentile(after_commit, 0.50), 1000 * percentile(after_commit, 0.99),
             1000 * (after_commit[-1] if after_commit else float("nan"))))


if __name__ == "__main__":
    main()
