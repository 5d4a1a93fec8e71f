import Foundation
import PoolKeeper
import PostgresNIO
import Testing

/// Reads `stream` until `done` holds for what was kept (the entries `keep`
/// accepts), or fails after `timeout`.
func collect<Stream: AsyncSequence & Sendable>(
    _ stream: Stream, timeout: Duration = .seconds(60),
    keep: @escaping @Sendable (Stream.Element) -> Bool,
    until done: @escaping @Sendable ([Stream.Element]) -> Bool
) async throws -> [Stream.Element] where Stream.Element: Sendable {
    try await withThrowingTaskGroup(of: [Stream.Element]?.self) { group in
        group.addTask {
            var kept: [Stream.Element] = []
            if done(kept) { return kept }
            for try await element in stream where keep(element) {
                kept.append(element)
                if done(kept) { return kept }
            }
            return kept
        }
        group.addTask {
            try await Task.sleep(for: timeout)
            return nil
        }
        defer { group.cancelAll() }
        guard let kept = try await group.next()!  else {
            throw PoolKeeperError(code: .server, message: "the stream did not deliver in \(timeout)")
        }
        return kept
    }
}

/// Client settings whose feed connections other tests cannot mistake for theirs.
func settingsNamed(_ name: String) throws -> ConnectionSettings {
    var settings = try ConnectionSettings.fromEnvironment()
    settings.applicationName = name
    return settings
}

@Suite("Alert and transaction streams")
struct FeedStreamTests {
    @Test("the alert stream delivers a pool's alerts once each, in order, as they commit; a cursor resumes it")
    func alertStream() async throws {
        try await TestDatabase.withClient { client in
            let (pool, investors) = try await makePool(client, members: 1)
            try await client.setAlertRule(AlertRule(largeTransactionThreshold: 100), for: pool)
            let start = try await client.feedCursor()
            let stream = client.alertStream(after: start)
            // Large-transaction alerts only: a spike monitor of another test may raise spikes here.
            async let delivered = collect(stream, keep: { $0.poolID == pool && $0.kind == .largeTransaction }, until: { $0.count == 5 })
            for index in 1...10 {
                _ = try await client.post(.contribution, index.isMultiple(of: 2) ? 150 : 50, pool: pool, investor: investors[0])
            }
            let alerts = try await delivered
            let expected = try await client.alerts(after: start, limit: 10_000).alerts.filter { $0.poolID == pool && $0.kind == .largeTransaction }
            #expect(alerts.map(\.item) == expected)
            #expect(Set(alerts.map(\.id)).count == 5)
            #expect(alerts.allSatisfy { $0.kind == .largeTransaction })

            // From the cursor of the third alert: the fourth and fifth, and what comes after.
            _ = try await client.post(.contribution, 500, pool: pool, investor: investors[0])
            let resumed = try await collect(client.alertStream(after: alerts[2].cursor), keep: { $0.poolID == pool && $0.kind == .largeTransaction },
                                            until: { $0.count == 3 })
            #expect(Array(resumed.map(\.id).prefix(2)) == alerts[3...].map(\.id))
            #expect(resumed.last?.item.transactionID != nil)
        }
    }

    @Test("the transaction stream delivers every row once, rows of concurrent posts included, with currency and metadata")
    func transactionStream() async throws {
        try await TestDatabase.withClient { client in
            let (pool, investors) = try await makePool(client, members: 4, currency: "JPY")
            let start = try await client.feedCursor()
            let count = 200
            async let delivered = collect(client.transactionStream(after: start), keep: { $0.poolID == pool },
                                          until: { $0.count >= count })
            try await withThrowingTaskGroup(of: Void.self) { group in
                for investor in investors {
                    group.addTask {
                        for index in 0..<(count / investors.count) {
                            _ = try await client.post(.contribution, Decimal(index + 1), pool: pool, investor: investor,
                                                      metadata: ["n": "\(index)"])
                        }
                    }
                }
                try await group.waitForAll()
            }
            let rows = try await delivered
            #expect(rows.count == count)
            #expect(Set(rows.map(\.id)).count == count)
            let ledger = try await client.transactions(in: pool, limit: 1000).transactions
            #expect(Set(rows.map(\.item)) == Set(ledger))
            #expect(rows.allSatisfy { $0.amount.currency == "JPY" && $0.metadata["n"] != nil })
        }
    }

    @Test("a stream with a cursor of another feed, or a malformed one, throws invalidCursor")
    func invalidCursor() async throws {
        try await TestDatabase.withClient { client in
            var iterator = client.transactionStream(after: FeedCursor("v1;bogus")).makeAsyncIterator()
            await expectFailure(.invalidCursor) { _ = try await iterator.next() }
            let (pool, investors) = try await makePool(client, members: 1)
            try await client.setAlertRule(AlertRule(largeTransactionThreshold: 1), for: pool)
            _ = try await client.post(.contribution, 5, pool: pool, investor: investors[0])
            let alertCursor = try #require(try await client.alerts(after: nil, limit: 10_000).cursor)
            var transactions = client.transactionStream(after: alertCursor).makeAsyncIterator()
            await expectFailure(.invalidCursor) { _ = try await transactions.next() }
        }
    }

    @Test("cancelling the consuming task ends the stream at once, and closes its connection")
    func cancellation() async throws {
        let name = unique("cancel")
        let settings = try settingsNamed(name)
        try await TestDatabase.withClient(settings: settings) { client in
            let stream = client.transactionStream(after: try await client.feedCursor())
            let reading = Task {
                var count = 0
                for try await _ in stream { count += 1 }
                return count
            }
            func feedConnections() async throws -> Int64 {
                try await scalar(client, "SELECT count(*) FROM pg_stat_activity WHERE application_name = \(name + " transactions feed")")
            }
            for _ in 0..<100 where try await feedConnections() == 0 { try await Task.sleep(for: .milliseconds(100)) }
            #expect(try await feedConnections() == 1)
            let cancelled = ContinuousClock.now
            reading.cancel()
            _ = try await reading.value
            #expect(ContinuousClock.now - cancelled < .seconds(1))
            for _ in 0..<100 where try await feedConnections() == 1 { try await Task.sleep(for: .milliseconds(100)) }
            #expect(try await feedConnections() == 0)
        }
    }

    @Test("posts while the streams' backends are terminated again and again: every row and alert arrives exactly once",
          .timeLimit(.minutes(3)))
    func terminatedBackends() async throws {
        let name = unique("terminate")
        try await FeedFaults.run(settings: try settingsNamed(name), posts: 300) { _ in
            try await terminateBackends(named: name + " %")  // the streams' and the monitor's connections
        }
    }
}

/// Terminates the backends whose application_name is LIKE `pattern`; returns how many.
func terminateBackends(named pattern: String) async throws -> Int {
    try await withRawConnection { connection in
        let rows = try await connection.query("""
            SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name LIKE \(pattern)
            """, logger: TestDatabase.logger).collect()
        return Int(try rows[0].decode(Int64.self))
    }
}

/// The fault test: posts rows (a third of them above the threshold) while
/// `fault` strikes every 200 ms, and checks that the transaction stream and
/// the alert stream deliver each of the pool's rows and alerts exactly once,
/// and that a spike monitor's detector takes each row exactly once.
/// Each post and the checks use a client of their own: the faults may reach
/// any connection, and PostgresNIO's pool can hang on a connection the server
/// closed while it was idle (README, "Known limitations").
enum FeedFaults {
    static func run(settings: ConnectionSettings, posts: Int,
                    fault: @escaping @Sendable (_ strike: Int) async throws -> Int) async throws {
        let (pool, investors, start) = try await TestDatabase.withClient(settings: settings) { client in
            let (pool, investors) = try await makePool(client, members: 2)
            try await client.setAlertRule(AlertRule(largeTransactionThreshold: 1000), for: pool)
            return (pool, investors, try await client.feedCursor())
        }
        let streams = try PoolKeeperClient(settings: settings, logger: TestDatabase.logger)  // streams need no run()
        let expectedAlerts = posts / 3  // of the posts after the first row
        // A spike monitor of this pool, whose detector must also take each row exactly once.
        let observed = Observed()
        let monitor = SpikeMonitor(settings: settings, options: SpikeMonitor.Options(pools: [pool]), logger: TestDatabase.logger) { row in
            observed.append(row.transaction)
        }
        let monitoring = Task { try await monitor.run() }
        // One row first, and the faults only once the monitor has taken it: a monitor whose
        // connection is killed every 200 ms could never finish loading its history.
        let poster = KeyedPoster(settings: settings)
        try await poster.post(pool: pool, investor: investors[0], amount: 10, key: "\(pool)-first")
        for _ in 0..<300 where observed.ids.isEmpty { try await Task.sleep(for: .milliseconds(100)) }
        try #require(!observed.ids.isEmpty, "the monitor started and took the first row")
        let posts = posts + 1
        async let rows = collect(streams.transactionStream(after: start), timeout: .seconds(150),
                                 keep: { $0.poolID == pool }, until: { $0.count >= posts })
        async let alerts = collect(streams.alertStream(after: start), timeout: .seconds(150),
                                   keep: { $0.poolID == pool && $0.kind == .largeTransaction }, until: { $0.count >= expectedAlerts })
        let faults = Task {
            var struck = 0, strike = 0
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(200))
                strike += 1
                struck += (try? await fault(strike)) ?? 0
            }
            return struck
        }
        for index in 0..<(posts - 1) {
            try await poster.post(pool: pool, investor: investors[index % 2], amount: index % 3 == 2 ? 5000 : 10,
                                  key: "\(pool)-\(index)")
            try await Task.sleep(for: .milliseconds(5))
        }
        let (delivered, announced) = try await (rows, alerts)
        faults.cancel()  // the faults struck all along the posts; now let the monitor catch up
        for _ in 0..<600 where observed.ids.count < posts { try await Task.sleep(for: .milliseconds(100)) }
        monitoring.cancel()
        _ = try? await monitoring.value
        let struck = await faults.value
        #expect(struck >= 3, "the fault struck \(struck) times")
        try await TestDatabase.withClient(settings: settings) { client in
            let ledger = try await client.transactions(in: pool, limit: 1000).transactions.map(\.id)
            #expect(ledger.count == posts)
            #expect(delivered.map(\.id).sorted() == ledger.sorted(), "every row once")
            let log = try await client.alerts(after: start, limit: 10_000).alerts.filter { $0.poolID == pool && $0.kind == .largeTransaction }.map(\.id)
            #expect(log.count == expectedAlerts)
            #expect(announced.map(\.id) == log, "every alert once, in feed order")
            #expect(observed.ids.sorted() == ledger.sorted(), "the monitor's detector took every row once")
        }
    }
}

/// Posts contributions with idempotency keys, each through a client of its
/// own, repeating a post that failed (a repeat with the same key returns the
/// original row). A fresh client never holds a connection the server closed
/// while it sat idle in the pool.
struct KeyedPoster {
    let settings: ConnectionSettings

    func post(pool: PoolID, investor: InvestorID, amount: Decimal, key: String) async throws {
        let patient = RetryPolicy(maximumAttempts: 10, initialDelay: .milliseconds(50), maximumDelay: .milliseconds(500))
        for _ in 1...20 {
            do {
                _ = try await TestDatabase.withClient(maximumConnections: 1, retryPolicy: patient, settings: settings) { client in
                    try await client.post(.contribution, amount, pool: pool, investor: investor, idempotencyKey: key)
                }
                return
            } catch {
                try await Task.sleep(for: .milliseconds(200))
            }
        }
        throw PoolKeeperError(code: .connectionLost, message: "post \(key) failed 20 times")
    }
}

/// Ledger row ids a monitor's observer saw, from any thread.
final class Observed: @unchecked Sendable {
    private let lock = NSLock()
    private var seen: [TransactionID] = []

    func append(_ id: TransactionID) { lock.withLock { seen.append(id) } }
    var ids: [TransactionID] { lock.withLock { seen } }
}
