-- pool_summary: one row per pool: its manager and currency; its current
-- members and the sum of their commitments; the totals of all its positions
-- (net of reversals, in the pool's currency; net_invested is contributed -
-- withdrawn - fees); and its last activity, the latest occurred_at of its
-- ledger rows (NULL before the first). Filter it by pool_id or manager_id:
-- each row costs a few index probes, whatever the size of the ledger.
CREATE VIEW poolkeeper.pool_summary WITH (security_invoker = true) AS
SELECT p.id AS pool_id, p.name AS pool_name, p.manager_id, m.name AS manager_name, p.currency, p.status,
       mb.members, mb.committed,
       s.contributed, s.withdrawn, s.distributed, s.fees, s.net_invested,
       la.last_activity_at
  FROM poolkeeper.pools p
  JOIN poolkeeper.managers m ON m.id = p.manager_id
 CROSS JOIN LATERAL (SELECT count(*) AS members, coalesce(sum(ms.commitment), 0) AS committed
                       FROM poolkeeper.memberships ms
                      WHERE ms.pool_id = p.id AND ms.left_at IS NULL) mb
 CROSS JOIN LATERAL (SELECT coalesce(sum(ps.contributed), 0)::numeric AS contributed,
                            coalesce(sum(ps.withdrawn), 0)::numeric AS withdrawn,
                            coalesce(sum(ps.distributed), 0)::numeric AS distributed,
                            coalesce(sum(ps.fees), 0)::numeric AS fees,
                            coalesce(sum(ps.net_invested), 0)::numeric AS net_invested
                       FROM poolkeeper.positions ps
                      WHERE ps.pool_id = p.id) s
 CROSS JOIN LATERAL (SELECT max(t.occurred_at) AS last_activity_at
                       FROM poolkeeper.transactions t
                      WHERE t.pool_id = p.id) la;
