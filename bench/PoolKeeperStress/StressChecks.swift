import Foundation
import PoolKeeper

/// The invariants checked after a run, each a line of the report.
struct StressChecks {
    let client: PoolKeeperClient
    let before: Baseline
    let journal: Journal
    let consumers: [Sightings]
    let burst: QuietBurst
    /// How long after the deadline the last client's last call ended.
    let overrun: Duration

    struct Check: Sendable {
        let passed: Bool
        let text: String
    }

    func run() async throws -> [Check] {
        var checks: [Check] = []
        func check(_ passed: Bool, _ text: String) { checks.append(Check(passed: passed, text: text)) }

        check(try await count("SELECT count(*) FROM poolkeeper.verify()") == 0, "verify() returns no rows")
        let mismatched = try await count("""
            SELECT count(*) FROM poolkeeper.positions p
              FULL JOIN (SELECT pool_id, investor_id,
                                sum(CASE kind WHEN 'contribution' THEN s ELSE 0 END) AS contributed,
                                sum(CASE kind WHEN 'withdrawal' THEN s ELSE 0 END) AS withdrawn,
                                sum(CASE kind WHEN 'distribution' THEN s ELSE 0 END) AS distributed,
                                sum(CASE kind WHEN 'fee' THEN s ELSE 0 END) AS fees
                           FROM (SELECT pool_id, investor_id, kind,
                                        CASE WHEN reverses_id IS NULL THEN amount ELSE -amount END AS s
                                   FROM poolkeeper.transactions) t
                          GROUP BY pool_id, investor_id) l USING (pool_id, investor_id)
             WHERE p.pool_id IS NULL
                OR (p.contributed, p.withdrawn, p.distributed, p.fees, p.net_invested)
                   IS DISTINCT FROM (coalesce(l.contributed, 0), coalesce(l.withdrawn, 0), coalesce(l.distributed, 0),
                                     coalesce(l.fees, 0), coalesce(l.contributed, 0) - coalesce(l.withdrawn, 0) - coalesce(l.fees, 0))
            """)
        check(mismatched == 0, "every position equals the sum of its ledger rows (\(mismatched) differ)")
        check(try await count("SELECT count(*) FROM poolkeeper.positions WHERE net_invested < 0") == 0, "no net position is negative")

        let acknowledged = await journal.rows
        let found = try await count("SELECT count(*) FROM poolkeeper.transactions WHERE id IN (\(list(acknowledged)))")
        var lostRows = ""
        if found != acknowledged.count {
            let present = Set(try await client.stressColumn("SELECT id FROM poolkeeper.transactions WHERE id IN (\(list(acknowledged)))"))
            let sources = await journal.rowSources
            lostRows = ": missing " + acknowledged.subtracting(present).sorted().prefix(5)
                .map { "\($0) (\(sources[$0] ?? "?"))" }.joined(separator: ", ")
        }
        check(found == acknowledged.count && !acknowledged.isEmpty,
              "every acknowledged ledger row is there after the faults: \(found) of \(acknowledged.count)\(lostRows)")

        let keyed = await journal.keyedRows
        let keyedFound = try await pairs("""
            SELECT id, count(*) OVER (PARTITION BY idempotency_key) FROM poolkeeper.transactions
             WHERE idempotency_key IN (\(keyed.keys.map { "'\($0)'" }.joined(separator: ",")))
            """)
        let wrong = keyed.values.filter { keyedFound[$0] != 1 }.count
        check(keyedFound.count == keyed.count && wrong == 0,
              "every acknowledged keyed post exists once, with the id it was acknowledged with (\(keyed.count) keys)")

        check(try await count("SELECT count(*) FROM poolkeeper.transactions WHERE idempotency_key LIKE 'uncommitted-%'") == 0,
              "no row of a rolled-back or cut-off transaction is visible")

        let pairs = await journal.pairsInDoubt
        var halves = 0
        for (first, second) in pairs {
            let present = try await count("""
                SELECT count(*) FROM poolkeeper.transactions WHERE idempotency_key IN ('\(first)', '\(second)')
                """)
            if present == 1 { halves += 1 }
        }
        check(halves == 0, "each two-row transaction whose COMMIT got no answer left both rows or neither (\(pairs.count) in doubt)")

        let operations = await journal.operations
        let unexplained = try await count("""
            SELECT count(*) FROM poolkeeper.transactions
             WHERE id > \(before.lastLedgerRow) AND id NOT IN (\(list(acknowledged)))
               AND (operation_id IS NULL OR operation_id NOT IN (\(list(operations))))
            """)
        let inDoubt = await journal.rowsInDoubt
        check(unexplained <= inDoubt,
              "no ledger row the clients were not told of, beyond what lost answers allow: \(unexplained) rows, \(inDoubt) allowed")

        let alerts = Set(try await client.stressColumn("SELECT id FROM poolkeeper.alerts WHERE id > \(before.lastAlert)"))
        let ledger = Set(try await client.stressColumn("SELECT id FROM poolkeeper.transactions WHERE id > \(before.lastLedgerRow)"))
        // The consumers may still be catching up after the last fault.
        let catchUp = ContinuousClock.now + .seconds(90)
        for (consumer, expected) in zip(consumers, [alerts, alerts, ledger]) {
            while await consumer.ids != expected && ContinuousClock.now < catchUp {
                try? await Task.sleep(for: .milliseconds(250))
            }
            let seen = await consumer.ids
            let duplicates = await consumer.duplicates
            check(seen == expected && duplicates.isEmpty,
                  "\(consumer.name) received each of the \(expected.count) committed items exactly once"
                  + " (missing \(expected.subtracting(seen).count), unknown \(seen.subtracting(expected).count), twice \(duplicates.count))")
        }

        check(burst.rows == 12 && burst.spikeAlert != nil,
              "after the last fault the spike monitor, on its own, raised the quiet pool's burst (alert \(burst.spikeAlert.map(String.init) ?? "none"))")
        if let spike = burst.spikeAlert {
            let first = await consumers[0].ids.contains(spike)
            let second = await consumers[1].ids.contains(spike)
            check(first && second, "both alert listeners received that spike alert")
        }

        check(overrun < .seconds(60),
              "every client's last call ended within 60 s of the deadline (the last \(String(format: "%.1f", overrun.seconds)) s after): no call hangs")

        let violations = await journal.violations
        check(violations.isEmpty, "no unexpected error and no replay with another id (\(violations.count)): \(violations.prefix(3))")
        return checks
    }

    private func count(_ sql: String) async throws -> Int {
        Int(try await client.stressScalar(sql))
    }

    /// id -> second column, for rows of two bigint columns.
    private func pairs(_ sql: String) async throws -> [Int64: Int64] {
        let rows = try await client.postgres.query(.init(unsafeSQL: sql), logger: stressLogger)
        var result: [Int64: Int64] = [:]
        for try await (id, value) in rows.decode((Int64, Int64).self) { result[id] = value }
        return result
    }

    private func list(_ ids: some Collection<Int64>) -> String {
        ids.isEmpty ? "NULL" : ids.map(String.init).joined(separator: ",")
    }
}
