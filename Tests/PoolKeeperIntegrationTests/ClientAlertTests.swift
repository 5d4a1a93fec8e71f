import Foundation
import PoolKeeper
import PostgresNIO
import Testing

@Suite("PoolKeeperClient: alert rules, the alert log and verify()")
struct ClientAlertTests {
    @Test("a pool's rule wins over the default; dropping it falls back")
    func rules() async throws {
        try await TestDatabase.withClient { client in
            let (pool, _) = try await makePool(client, members: 0)
            let rule = AlertRule(largeTransactionThreshold: Decimal(string: "1000.50")!, spikeShortWindow: .seconds(2),
                                 spikeBaselineWindow: .seconds(30), spikeFactor: Decimal(string: "2.5")!,
                                 spikeMinCount: 3, enabled: true)
            try await client.setAlertRule(rule, for: pool)
            let effective = try await client.alertRule(for: pool)
            #expect(effective.source == .pool)
            #expect(effective.rule == rule)
            #expect(effective.poolID == pool)
            #expect(try await client.dropAlertRule(for: pool))
            #expect(try await !client.dropAlertRule(for: pool))
            #expect(try await client.alertRule(for: pool).source != .pool)
            await expectFailure(.notFound) { _ = try await client.alertRule(for: PoolID(rawValue: Int64.max)) }
        }
    }

    @Test("invalid rules are refused, by the library or the database", arguments: [
        AlertRule(largeTransactionThreshold: -1),
        AlertRule(spikeFactor: 1),
        AlertRule(spikeMinCount: 0),
        AlertRule(spikeShortWindow: .zero),
        AlertRule(spikeBaselineWindow: .seconds(2 * 86_400)),
        AlertRule(spikeShortWindow: .milliseconds(1500)),
        AlertRule(spikeShortWindow: .seconds(Int64.max / 4)),
        AlertRule(largeTransactionThreshold: .nan),
        AlertRule(spikeFactor: .nan),
    ])
    func invalidRules(rule: AlertRule) async throws {
        try await TestDatabase.withClient { client in
            let (pool, _) = try await makePool(client, members: 0)
            await expectFailure(.invalidArgument) { try await client.setAlertRule(rule, for: pool) }
            #expect(try await client.alertRule(for: pool).source != .pool)
            await expectFailure(.notFound, sqlState: "PKN01") {
                try await client.setAlertRule(AlertRule(), for: PoolID(rawValue: Int64.max))
            }
        }
    }

    @Test("a post above the threshold is read back from the alert feed once, with exact typed details")
    func largeTransactionAlerts() async throws {
        try await TestDatabase.withClient { client in
            let (pool, investors) = try await makePool(client, members: 1)
            try await client.setAlertRule(AlertRule(largeTransactionThreshold: 100), for: pool)
            var cursor: FeedCursor? = try await client.alertFeedCursor()
            _ = try await client.contribute(100, pool: pool, investor: investors[0])  // equal: no alert
            let large = try await client.contribute(Decimal(string: "100.01")!, pool: pool, investor: investors[0])

            var alerts: [Alert] = []
            repeat {
                let batch = try await client.alerts(after: cursor, limit: 1)
                alerts += batch.alerts
                if batch.alerts.isEmpty { break }
                cursor = batch.cursor
            } while true
            let mine = alerts.filter { $0.poolID == pool }
            #expect(mine.count == 1)
            let alert = try #require(mine.first)
            #expect(alert.kind == .largeTransaction)
            #expect(alert.transactionID == large)
            #expect(alert.dedupeKey == "large_transaction:\(large.rawValue)")
            guard case .largeTransaction(let details) = alert.details else {
                Issue.record("untyped details: \(alert.details)")
                return
            }
            #expect(details.amount == Money(Decimal(string: "100.01")!, "USD"))
            #expect(details.threshold == Decimal(100))
            #expect(details.investorID == investors[0])
            #expect(details.transactionKind == .contribution)

            // Reading on from the last cursor returns nothing new for this pool (other tests raise alerts too).
            let later: [Alert] = try await client.alerts(after: cursor).alerts
            let laterOfPool = later.filter { $0.poolID == pool }
            #expect(laterOfPool.isEmpty)
            // From the start of the feed, the alert is there too.
            var fromStart: FeedCursor?
            var seen = false
            while !seen {
                let batch = try await client.alerts(after: fromStart, limit: 10_000)
                if batch.alerts.isEmpty { break }
                seen = batch.alerts.contains { $0.id == alert.id }
                fromStart = batch.cursor
            }
            #expect(seen)
        }
    }

    @Test("a malformed cursor, or one of the transaction feed, is refused")
    func badCursors() async throws {
        try await TestDatabase.withClient { client in
            await expectFailure(.invalidCursor, sqlState: "PKA06") { _ = try await client.alerts(after: FeedCursor("nonsense")) }
            let (pool, investors) = try await makePool(client, members: 1)
            _ = try await client.contribute(1, pool: pool, investor: investors[0])
            let transactionCursor = try await scalarText(client, "SELECT cursor FROM poolkeeper.transactions_after(NULL, 1)")
            if let transactionCursor {
                await expectFailure(.invalidCursor, sqlState: "PKA06") {
                    _ = try await client.alerts(after: FeedCursor(transactionCursor))
                }
            }
            await expectFailure(.invalidArgument, sqlState: "PKA01") { _ = try await client.alerts(after: nil, limit: 0) }
        }
    }

    @Test("verify() finds nothing wrong after the library's posts")
    func verifies() async throws {
        try await TestDatabase.withClient { client in
            let (pool, investors) = try await makePool(client, members: 2)
            _ = try await client.contribute(10, pool: pool, investor: investors[0])
            _ = try await client.reverse(try await client.contribute(3, pool: pool, investor: investors[1]), reason: "test")
            #expect(try await client.verify() == [])
        }
    }
}

/// The text of the first column of the first row, or nil when there is no row.
func scalarText(_ client: PoolKeeperClient, _ query: PostgresQuery) async throws -> String? {
    for try await value in try await client.postgres.query(query, logger: TestDatabase.logger).decode(String.self) {
        return value
    }
    return nil
}
