"""Alerts as a client other than the Swift library sees them: psycopg2
LISTENs on poolkeeper_alerts and checks exactly which payloads arrive.

To show that nothing arrived for an action, each such test then raises a
sentinel alert and waits for it: notifications come in commit order, so
anything sent for the action would arrive first.

Run by scripts/test as `python3 -m unittest -v` against the database named
by the libpq environment (PGHOST, PGPORT, PGDATABASE, ...), which must have
the extension installed and nothing else in it.
"""
import json
import select
import threading
import time
import unittest

import psycopg2

from pkconn import connect, scalar

CHANNEL = "poolkeeper_alerts"


class AlertNotifications(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.writer = connect()
        cls.pool = scalar(cls.writer, "SELECT poolkeeper.create_pool(poolkeeper.create_manager('Listen M'), 'Listen pool', 'USD')")
        cls.investor = scalar(cls.writer, "SELECT poolkeeper.create_investor('Listen investor')")
        scalar(cls.writer, "SELECT poolkeeper.add_investor(%s, %s) IS NULL", (cls.pool, cls.investor))
        scalar(cls.writer, "SELECT poolkeeper.set_alert_rule(%s, 1000) IS NULL", (cls.pool,))
        cls.sentinels = 0

    @classmethod
    def tearDownClass(cls):
        cls.writer.close()

    def setUp(self):
        self.listener = connect()
        with self.listener.cursor() as cur:
            cur.execute("LISTEN " + CHANNEL)

    def tearDown(self):
        self.listener.close()

    def post(self, kind, amount, conn=None):
        return scalar(conn or self.writer, "SELECT poolkeeper.post_transaction(%s, %s, %s, %s)",
                      (self.pool, self.investor, kind, amount))

    def payloads_until_sentinel(self, timeout=10.0):
        """Every payload that arrives before a sentinel alert raised now."""
        type(self).sentinels += 1
        key = "sentinel-%d-%d" % (id(self), self.sentinels)
        sentinel = scalar(self.writer, "SELECT poolkeeper.raise_alert('spike', %s, '{}', %s)", (self.pool, key))
        received = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            select.select([self.listener], [], [], 0.1)
            self.listener.poll()
            while self.listener.notifies:
                note = self.listener.notifies.pop(0)
                self.assertEqual(note.channel, CHANNEL)
                payload = json.loads(note.payload)
                if payload["alert_id"] == sentinel:
                    return received
                received.append(payload)
        self.fail("the sentinel alert %s never arrived" % sentinel)

    def test_above_threshold_sends_exactly_one_payload(self):
        tx = self.post("contribution", "1000.01")
        payloads = self.payloads_until_sentinel()
        self.assertEqual(len(payloads), 1, payloads)
        payload = payloads[0]
        with self.writer.cursor() as cur:
            cur.execute("SELECT id, kind, pool_id, transaction_id, to_json(raised_at)#>>'{}' FROM poolkeeper.alerts"
                        " WHERE transaction_id = %s", (tx,))
            alert_id, kind, pool_id, transaction_id, raised_at = cur.fetchone()
        self.assertEqual(payload, {"version": 1, "alert_id": alert_id, "kind": kind, "pool_id": pool_id,
                                   "transaction_id": transaction_id, "raised_at": raised_at})
        self.assertEqual((kind, transaction_id), ("large_transaction", tx))

    def test_equal_to_threshold_sends_nothing(self):
        self.post("contribution", "1000")
        self.assertEqual(self.payloads_until_sentinel(), [])

    def test_rolled_back_post_above_threshold_sends_nothing(self):
        with self.writer.cursor() as cur:
            cur.execute("BEGIN")
            cur.execute("SELECT poolkeeper.post_transaction(%s, %s, 'contribution', 5000)", (self.pool, self.investor))
            cur.execute("SELECT count(*) FROM poolkeeper.alerts WHERE pool_id = %s AND details->>'amount' = '5000.00'",
                        (self.pool,))
            self.assertEqual(cur.fetchone()[0], 1, "the alert exists inside the transaction")
            cur.execute("ROLLBACK")
        self.assertEqual(self.payloads_until_sentinel(), [])

    def test_reversal_sends_nothing(self):
        tx = self.post("contribution", "2000")
        self.assertEqual(len(self.payloads_until_sentinel()), 1)
        scalar(self.writer, "SELECT poolkeeper.reverse_transaction(%s, 'entered twice')", (tx,))
        self.assertEqual(self.payloads_until_sentinel(), [])

    def test_racing_raise_alert_sends_one_notification(self):
        first, second = connect(), connect()
        results = {}
        key = "race-%d" % time.monotonic_ns()
        try:
            with first.cursor() as cur:
                cur.execute("BEGIN")
                cur.execute("SELECT poolkeeper.raise_alert('spike', %s, '{}', %s)", (self.pool, key))
                results["first"] = cur.fetchone()[0]

            def raise_second():
                results["second"] = scalar(second, "SELECT poolkeeper.raise_alert('spike', %s, '{}', %s)", (self.pool, key))

            racer = threading.Thread(target=raise_second)
            racer.start()
            # The second call must be waiting on the first's row before the first commits.
            deadline = time.monotonic() + 10
            while scalar(self.writer, "SELECT count(*) FROM pg_stat_activity WHERE pid = %s AND wait_event_type = 'Lock'",
                         (second.get_backend_pid(),)) == 0:
                self.assertLess(time.monotonic(), deadline, "the second raise_alert never waited for the first")
                time.sleep(0.01)
            with first.cursor() as cur:
                cur.execute("COMMIT")
            racer.join(10)
            self.assertFalse(racer.is_alive())
        finally:
            first.close()
            second.close()
        self.assertIsNotNone(results["first"])
        self.assertIsNone(results["second"])
        self.assertEqual(scalar(self.writer, "SELECT count(*) FROM poolkeeper.alerts WHERE dedupe_key = %s", (key,)), 1)
        payloads = self.payloads_until_sentinel()
        self.assertEqual([p["alert_id"] for p in payloads], [results["first"]])

    def test_a_listener_that_was_away_catches_up(self):
        cursor = scalar(self.writer, "SELECT poolkeeper.feed_cursor()")
        self.listener.close()  # away: nobody listens while these are raised
        raised = [self.post("contribution", "1500"), self.post("contribution", "1600")]
        self.listener = connect()
        with self.listener.cursor() as cur:
            cur.execute("LISTEN " + CHANNEL)
            cur.execute("SELECT transaction_id FROM poolkeeper.alerts_after(%s) WHERE kind = 'large_transaction'", (cursor,))
            self.assertEqual([row[0] for row in cur.fetchall()], raised)

    def test_two_phase_commit_needs_notify_alerts_off(self):
        self.assertGreater(int(scalar(self.writer, "SHOW max_prepared_transactions")), 0,
                           "the server needs max_prepared_transactions > 0 (scripts/db sets it at start)")
        gid = "pk-%d" % time.monotonic_ns()
        conn = connect()
        try:
            with conn.cursor() as cur:
                cur.execute("BEGIN")
                cur.execute("SELECT poolkeeper.post_transaction(%s, %s, 'contribution', 7000)", (self.pool, self.investor))
                with self.assertRaises(psycopg2.errors.FeatureNotSupported):
                    cur.execute("PREPARE TRANSACTION %s", (gid,))
                cur.execute("ROLLBACK")
                cur.execute("BEGIN")
                cur.execute("SET LOCAL poolkeeper.notify_alerts = false")  # any boolean spelling
                cur.execute("SELECT poolkeeper.post_transaction(%s, %s, 'contribution', 7001)", (self.pool, self.investor))
                tx = cur.fetchone()[0]
                cur.execute("PREPARE TRANSACTION %s", (gid,))
                cur.execute("COMMIT PREPARED %s", (gid,))
        finally:
            conn.close()
        self.assertEqual(self.payloads_until_sentinel(), [], "with notify_alerts off nothing is announced")
        self.assertEqual(scalar(self.writer, "SELECT count(*) FROM poolkeeper.alerts_after(NULL) WHERE transaction_id = %s", (tx,)), 1,
                         "but the alert is in the log and the feed")


if __name__ == "__main__":
    unittest.main()
