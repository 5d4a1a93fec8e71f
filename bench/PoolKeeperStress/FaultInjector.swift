import Foundation
import Logging
import PoolKeeper
import PoolKeeperTestSupport
import PostgresNIO

/// Injects faults at seeded moments while the load runs. The kinds come in
/// seeded rounds that hold each kind once, so a run of a few rounds meets
/// them all:
///   terminate one    pg_terminate_backend of a random client backend
///   terminate feeds  every backend whose last statement read a feed or
///                    LISTENed: the spike monitor's and the listeners'
///   terminate all    every client backend of the database
///   crash            the server stopped in immediate mode (no shutdown
///                    checkpoint: recovery replays the WAL) and started again
///   stall            one consumer takes nothing for 2 to 6 seconds
///   notify flood     10,000 notifications of garbage on poolkeeper_alerts
actor FaultInjector {
    enum Kind: String, CaseIterable, Sendable {
        case terminateOne = "terminate one backend"
        case terminateFeeds = "terminate the feed readers"
        case terminateAll = "terminate every backend"
        case crash = "crash and restart the server"
        case stall = "stall a consumer"
        case notifyFlood = "flood poolkeeper_alerts"
    }

    let settings: ConnectionSettings
    let crashCommand: String
    let consumers: [Sightings]
    let logger: Logger
    private var random: SeededGenerator
    private var connection: PostgresConnection?
    private(set) var injected: [Kind: Int] = [:]
    private(set) var lastFault: ContinuousClock.Instant?
    private(set) var problems: [String] = []
    /// Backends that pg_terminate_backend ended, and crashes that ran: the faults that took effect.
    private(set) var terminatedBackends = 0
    private(set) var crashes = 0

    init(settings: ConnectionSettings, crashCommand: String, consumers: [Sightings], seed: UInt64, logger: Logger) {
        self.settings = settings
        self.crashCommand = crashCommand
        self.consumers = consumers
        self.random = SeededGenerator(seed: seed)
        self.logger = logger
    }

    /// Faults about every `interval` seconds (between half and one and a half times it) until `deadline`.
    func run(every interval: Double, until deadline: ContinuousClock.Instant) async {
        var round: [Kind] = []
        while true {
            let pause = Double.random(in: (interval * 0.5)...(interval * 1.5), using: &random)
            guard ContinuousClock.now + .seconds(pause) < deadline else { return }
            try? await Task.sleep(for: .seconds(pause))
            if round.isEmpty { round = Kind.allCases.shuffled(using: &random) }
            let kind = round.removeFirst()
            progress("fault: \(kind.rawValue)")
            await inject(kind)
            injected[kind, default: 0] += 1
            lastFault = .now
        }
    }

    private func inject(_ kind: Kind) async {
        switch kind {
        case .terminateOne:
            let pids = await backends("true")
            if !pids.isEmpty { await terminate([pids[Int.random(in: 0..<pids.count, using: &random)]]) }
        case .terminateFeeds:
            await terminate(await backends("(query ILIKE '%transactions_after%' OR query ILIKE '%alerts_after%' OR query ILIKE 'LISTEN%')"))
        case .terminateAll:
            await terminate(await backends("true"))
        case .crash:
            await crash()
        case .stall:
            let consumer = consumers[Int.random(in: 0..<consumers.count, using: &random)]
            await consumer.stall(for: .milliseconds(Int.random(in: 2000...6000, using: &random)))
        case .notifyFlood:
            do {
                try await open().query("SELECT pg_notify('poolkeeper_alerts', 'stress garbage ' || g) FROM generate_series(1, 10000) g",
                                       logger: logger)
            } catch { await close() }
        }
    }

    /// Client backends of the database (not this one) that match `condition`, by pid.
    private func backends(_ condition: String) async -> [Int32] {
        do {
            let rows = try await open().query(PostgresQuery(unsafeSQL: """
                SELECT pid FROM pg_stat_activity
                 WHERE datname = current_database() AND backend_type = 'client backend'
                   AND pid <> pg_backend_pid() AND \(condition)
                 ORDER BY pid
                """), logger: logger)
            var pids: [Int32] = []
            for try await row in rows { pids.append(try row.decode(Int32.self)) }
            return pids
        } catch {
            await close()
            return []
        }
    }

    private func terminate(_ pids: [Int32]) async {
        guard !pids.isEmpty else { return }
        do {
            let rows = try await open().query("SELECT pg_terminate_backend(pid) FROM unnest(\(pids)) AS pid", logger: logger)
            for try await ended in rows.decode(Bool.self) where ended { terminatedBackends += 1 }
        } catch { await close() }
    }

    /// Runs the crash command with system(3) on a thread of its own: Foundation's
    /// Process did not always report the end of a shell whose child went on to
    /// start the server, and the harness waited forever.
    private func crash() async {
        await close()
        let command = crashCommand
        let status: Int32 = await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: system(command + " >/dev/null 2>&1")) }
        }
        if status != 0 { problems.append("\(crashCommand) exited with status \(status)") } else { crashes += 1 }
    }

    private func open() async throws -> PostgresConnection {
        if let connection, !connection.isClosed { return connection }
        let fresh = try await PostgresConnection.connect(configuration: settings.connectionConfiguration(), id: 9999, logger: logger)
        connection = fresh
        return fresh
    }

    func close() async {
        try? await connection?.close()
        connection = nil
    }
}
