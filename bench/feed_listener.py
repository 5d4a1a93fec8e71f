"""bench/feed_listener.py — a feed reader that measures delivery delay.

Polls poolkeeper.transactions_after every POLL_MS milliseconds (default 25)
for SECONDS seconds, following the cursor from the moment it starts, and
prints one line of numbers: rows read, polls, and the delay from each row's
recorded_at (taken inside the writing transaction, before its commit) to the
moment this reader had it; so the figures are upper bounds on the delay
after commit. Also the mean time of a poll that found nothing. Connection
settings come from the libpq environment.

Usage: python3 bench/feed_listener.py SECONDS [POLL_MS]
"""
import sys
import time

import psycopg2
import psycopg2.extensions


def percentile(sorted_values, fraction):
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, int(round(fraction * (len(sorted_values) - 1))))
    return sorted_values[index]


def main():
    seconds = float(sys.argv[1])
    poll = float(sys.argv[2] if len(sys.argv) > 2 else 25) / 1000
    conn = psycopg2.connect("")
    conn.set_isolation_level(psycopg2.extensions.ISOLATION_LEVEL_AUTOCOMMIT)
    cur = conn.cursor()
    cur.execute("SELECT poolkeeper.feed_cursor()")
    cursor = cur.fetchone()[0]
    delays, seen = [], set()
    polls = empty_polls = duplicates = 0
    empty_time = 0.0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
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
            cursor = row_cursor
        pause = poll - (time.monotonic() - started)
        if pause > 0:
            time.sleep(pause)
    delays.sort()
    print("feed: rows %d, duplicates %d, polls %d (%d empty, %.2f ms each), delay p50 %.1f ms, p99 %.1f ms, max %.1f ms"
          % (len(delays), duplicates, polls, empty_polls, 1000 * empty_time / max(empty_polls, 1),
             1000 * percentile(delays, 0.50), 1000 * percentile(delays, 0.99), 1000 * (delays[-1] if delays else float("nan"))))
    print("feed_ids_first_last %s %s" % (min(seen) if seen else 0, max(seen) if seen else 0))


if __name__ == "__main__":
    main()
