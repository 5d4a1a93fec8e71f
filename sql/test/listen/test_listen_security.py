"""What NOTIFY tells roles that should not know, over real logins.

NOTIFY has no access control: any role that can connect can LISTEN on
poolkeeper_alerts. So a payload carries ids, the kind and the time only
(docs/security.md); the alert's details (amount, investor, metadata) are read
through alerts_after or the alerts table, under row-level security. These
tests connect as login roles of their own, not through SET ROLE: a role with
no poolkeeper role, and two managers of two pools.

Run by scripts/test with test_alert_notifications, against the same database.
"""
import json
import select
import time
import unittest

import psycopg2.errors

from pkconn import connect, scalar

CHANNEL = "poolkeeper_alerts"
ROLES = {
    "pklisten_stranger": None,
    "pklisten_mgr_a": "poolkeeper_manager",
    "pklisten_mgr_b": "poolkeeper_manager",
    "pklisten_investor": "poolkeeper_investor",
}
ALLOWED_KEYS = {"version", "alert_id", "kind", "pool_id", "transaction_id", "raised_at"}
SECRETS = ["123456", "TOP-SECRET-4711", "Secret Investor Name", "Pool of Secrets"]


def drop_roles(admin):
    with admin.cursor() as cur:
        for role in ROLES:
            cur.execute("DROP ROLE IF EXISTS %s" % role)


class ListenSecurity(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.admin = connect()
        with cls.admin.cursor() as cur:
            cur.execute("SET client_min_messages = warning")
        drop_roles(cls.admin)
        with cls.admin.cursor() as cur:
            for role, group in ROLES.items():
                cur.execute("CREATE ROLE %s LOGIN%s" % (role, " IN ROLE " + group if group else ""))
        cls.manager_a = scalar(cls.admin, "SELECT poolkeeper.create_manager('Listen A', 'pklisten_mgr_a')")
        cls.manager_b = scalar(cls.admin, "SELECT poolkeeper.create_manager('Listen B', 'pklisten_mgr_b')")
        cls.investor = scalar(cls.admin, "SELECT poolkeeper.create_investor('Secret Investor Name', 'pklisten_investor')")
        cls.a = connect("pklisten_mgr_a")
        cls.b = connect("pklisten_mgr_b")
        cls.pool_a = scalar(cls.a, "SELECT poolkeeper.create_pool(%s, 'Pool of Secrets', 'USD')", (cls.manager_a,))
        cls.pool_b = scalar(cls.b, "SELECT poolkeeper.create_pool(%s, 'Pool B', 'USD')", (cls.manager_b,))
        scalar(cls.a, "SELECT poolkeeper.add_investor(%s, %s) IS NULL", (cls.pool_a, cls.investor))
        scalar(cls.a, "SELECT poolkeeper.set_alert_rule(%s, 1000) IS NULL", (cls.pool_a,))

    @classmethod
    def tearDownClass(cls):
        cls.a.close()
        cls.b.close()
        drop_roles(cls.admin)
        cls.admin.close()

    def listen_as(self, user):
        conn = connect(user)
        self.addCleanup(conn.close)
        with conn.cursor() as cur:
            cur.execute("LISTEN " + CHANNEL)
        return conn

    def payload_for(self, conn, transaction_id, timeout=10.0):
        """The payload (text) of the alert of ledger row transaction_id."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            select.select([conn], [], [], 0.1)
            conn.poll()
            while conn.notifies:
                note = conn.notifies.pop(0)
                if json.loads(note.payload).get("transaction_id") == transaction_id:
                    return note.payload
        self.fail("no payload arrived for ledger row %s" % transaction_id)

    def post_secret(self):
        return scalar(self.a, "SELECT poolkeeper.post_transaction(%s, %s, 'contribution', 123456.78, NULL, NULL, %s)",
                      (self.pool_a, self.investor, json.dumps({"note": "TOP-SECRET-4711"})))

    def test_a_stranger_hears_ids_kind_and_time_only(self):
        stranger = self.listen_as("pklisten_stranger")
        tx = self.post_secret()
        text = self.payload_for(stranger, tx)
        payload = json.loads(text)
        self.assertEqual(set(payload), ALLOWED_KEYS)
        self.assertEqual((payload["kind"], payload["pool_id"]), ("large_transaction", self.pool_a))
        for secret in SECRETS:
            self.assertNotIn(secret, text)
        # ... and cannot read anything behind it.
        for sql in ("SELECT count(*) FROM poolkeeper.alerts",
                    "SELECT count(*) FROM poolkeeper.alerts_after(NULL)",
                    "SELECT count(*) FROM poolkeeper.transactions"):
            with self.assertRaises(psycopg2.errors.InsufficientPrivilege, msg=sql):
                scalar(stranger, sql)

    def test_another_manager_hears_the_payload_but_reads_nothing_behind_it(self):
        listener_b = self.listen_as("pklisten_mgr_b")
        tx = self.post_secret()
        alert_id = json.loads(self.payload_for(listener_b, tx))["alert_id"]
        self.assertEqual(scalar(self.b, "SELECT count(*) FROM poolkeeper.alerts WHERE id = %s", (alert_id,)), 0)
        self.assertEqual(scalar(self.b, "SELECT count(*) FROM poolkeeper.alerts_after(NULL) WHERE id = %s", (alert_id,)), 0)
        self.assertEqual(scalar(self.b, "SELECT count(*) FROM poolkeeper.transactions WHERE id = %s", (tx,)), 0)
        # Manager A, whose pool it is, reads the details.
        self.assertEqual(scalar(self.a, "SELECT details->>'amount' FROM poolkeeper.alerts_after(NULL) WHERE id = %s", (alert_id,)),
                         "123456.78")

    def test_real_logins_write_only_what_is_theirs(self):
        with self.assertRaises(psycopg2.errors.InsufficientPrivilege):
            scalar(self.b, "SELECT poolkeeper.post_transaction(%s, %s, 'contribution', 1)", (self.pool_a, self.investor))
        investor = connect("pklisten_investor")
        self.addCleanup(investor.close)
        with self.assertRaises(psycopg2.errors.InsufficientPrivilege):
            scalar(investor, "SELECT poolkeeper.post_transaction(%s, %s, 'contribution', 1)", (self.pool_a, self.investor))
        tx = scalar(self.a, "SELECT poolkeeper.post_transaction(%s, %s, 'contribution', 10)", (self.pool_a, self.investor))
        self.assertEqual(scalar(investor, "SELECT posted_by FROM poolkeeper.transactions WHERE id = %s", (tx,)), "pklisten_mgr_a")
        self.assertEqual(scalar(investor, "SELECT count(*) FROM poolkeeper.positions"), 1)


if __name__ == "__main__":
    unittest.main()
