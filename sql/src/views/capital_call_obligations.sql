-- capital_call_obligations: every obligation of every capital call, with
-- what was called, what has been paid (net of reversed payments) and what
-- is outstanding, and whether it is overdue (outstanding after its due
-- date; days are UTC).
CREATE VIEW poolkeeper.capital_call_obligations WITH (security_invoker = true) AS
SELECT o.operation_id AS call_id, c.pool_id, o.investor_id, c.due_date, o.called,
       p.paid, o.called - p.paid AS outstanding,
       o.called > p.paid AND c.due_date < (now() AT TIME ZONE 'UTC')::date AS overdue
  FROM poolkeeper.obligations o
  JOIN poolkeeper.operations c ON c.id = o.operation_id
 CROSS JOIN LATERAL (SELECT poolkeeper.obligation_paid(o.operation_id, o.investor_id) AS paid) p;
