import Foundation
import Logging
import PoolKeeper
import PostgresNIO

/// One run: the world, the load with its consumers, monitor and faults,
/// the wait for everything to settle, and the checks.
struct StressRun {
    let plan: StressPlan
    let settings: ConnectionSettings
    let logger: Logger

    func run() async throws -> StressReport {
        // No retries inside the library: a deadlock or a serialization failure
        // it would retry quietly must show in the journal.
        let client = try PoolKeeperClient(settings: settings, maximumConnections: plan.libraryClients + 4,
                                          retryPolicy: .never, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await client.run() }
            defer { group.cancelAll() }
            return try await load(client)
        }
    }

    private func load(_ client: PoolKeeperClient) async throws -> StressReport {
        let started = ContinuousClock.now
        let world = try await StressWorld.create(client, coldPools: plan.coldPools, seed: plan.seed)
        let before = try await Baseline.read(client)
        let alertCursor = try await client.alertFeedCursor()
        let ledgerCursor = try await client.feedCursor()
        let journal = Journal()
        let watchdog = Watchdog()
        let consumers = [Sightings(name: "alert listener 1"), Sightings(name: "alert listener 2"), Sightings(name: "ledger feed reader")]
        let faults = FaultInjector(settings: settings, crashCommand: plan.crashCommand, consumers: consumers,
                                   seed: plan.seed &+ 7919, logger: logger)
        let deadline = ContinuousClock.now + .seconds(plan.seconds)
        progress("world made; load for \(plan.seconds) s")

        // Consumers and the monitor run until cancelled, after the checks' wait.
        let background = Task {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await Consumers.alerts(client, after: alertCursor, into: consumers[0]) }
                group.addTask { await Consumers.alerts(client, after: alertCursor, into: consumers[1]) }
                group.addTask { await Consumers.ledger(client, after: ledgerCursor, into: consumers[2]) }
                group.addTask {
                    do { try await SpikeMonitor(client: client).run() } catch { print("# spike monitor stopped: \(error)") }
                }
            }
        }
        defer { background.cancel() }

        await withTaskGroup(of: Void.self) { group in
            for index in 0..<plan.libraryClients {
                let worker = LibraryWorker(index: index, client: client, world: world, journal: journal, watchdog: watchdog, seed: plan.seed &+ UInt64(index))
                group.addTask { await worker.run(until: deadline) }
            }
            for index in 0..<plan.sqlClients {
                let worker = SQLWorker(index: 100 + index, settings: settings, world: world, journal: journal, watchdog: watchdog,
                                       seed: plan.seed &+ 1000 &+ UInt64(index), logger: logger)
                group.addTask { await worker.run(until: deadline) }
            }
            if plan.faultInterval > 0 {
                group.addTask { await faults.run(every: plan.faultInterval, until: deadline) }
            }
            // Names any client still in one call 30 s after the deadline, every 30 s.
            let watching = Task {
                try await Task.sleep(until: deadline + .seconds(30))
                while true {
                    for line in await watchdog.stuck(longerThan: .seconds(30)) { progress("stuck: \(line)") }
                    try await Task.sleep(for: .seconds(30))
                }
            }
            await group.waitForAll()
            watching.cancel()
        }
        let loadEnded = ContinuousClock.now
        await faults.close()
        progress("load ended after \(String(format: "%.1f", (loadEnded - started).seconds)) s; the quiet pool's burst")

        // After the last fault: the monitor must raise the quiet pool's burst by itself.
        let burst = try await QuietBurst.run(client, world: world, journal: journal)
        progress("checks")
        var checks = try await StressChecks(client: client, before: before, journal: journal, consumers: consumers,
                                            burst: burst, overrun: loadEnded - deadline).run()
        let terminated = await faults.terminatedBackends, crashes = await faults.crashes
        let attempted = await faults.injected
        checks.append(.init(passed: plan.faultInterval == 0 || (terminated > 0 && crashes == attempted[.crash, default: 0]),
                            text: "the faults took effect: \(terminated) backends terminated, \(crashes) crashes"))
        return await StressReport(plan: plan, journal: journal, faults: faults.injected, faultProblems: faults.problems,
                            checks: checks, loadSeconds: (loadEnded - started).seconds,
                            totalSeconds: (ContinuousClock.now - started).seconds)
    }
}

/// Where the tables stood before the load: rows above these ids are the run's.
struct Baseline: Sendable {
    let lastLedgerRow: Int64
    let lastAlert: Int64

    static func read(_ client: PoolKeeperClient) async throws -> Baseline {
        Baseline(lastLedgerRow: try await client.stressScalar("SELECT coalesce(max(id), 0) FROM poolkeeper.transactions"),
                 lastAlert: try await client.stressScalar("SELECT coalesce(max(id), 0) FROM poolkeeper.alerts"))
    }
}

/// The burst on the quiet pool after the faults, and the spike alert the
/// monitor must raise for it.
struct QuietBurst: Sendable {
    let pool: PoolID
    let rows: Int
    let spikeAlert: Int64?

    static func run(_ client: PoolKeeperClient, world: StressWorld, journal: Journal) async throws -> QuietBurst {
        // The server may still be coming back from a crash: wait until a post goes through.
        let pool = world.quiet
        var posted = 0
        let giveUp = ContinuousClock.now + .seconds(90)
        while posted < 12 && ContinuousClock.now < giveUp {
            do {
                let row = try await client.contribute(1, pool: pool.id, investor: pool.members[posted % pool.members.count])
                await journal.acknowledge("quiet pool burst", row: row.rawValue)
                posted += 1
            } catch {
                try? await Task.sleep(for: .milliseconds(250))
            }
        }
        var alert: Int64?
        let waitUntil = ContinuousClock.now + .seconds(60)
        while alert == nil && ContinuousClock.now < waitUntil {
            alert = try? await client.stressScalar(
                "SELECT id FROM poolkeeper.alerts WHERE pool_id = \(pool.id.rawValue) AND kind = 'spike' ORDER BY id LIMIT 1")
            if alert == nil { try? await Task.sleep(for: .milliseconds(250)) }
        }
        return QuietBurst(pool: pool.id, rows: posted, spikeAlert: alert)
    }
}

extension PoolKeeperClient {
    /// The first column of the first row of `sql`, as an Int64 (raw SQL for the harness's checks).
    func stressScalar(_ sql: String) async throws -> Int64 {
        let rows = try await postgres.query(PostgresQuery(unsafeSQL: sql), logger: stressLogger)
        for try await row in rows { return try row.decode(Int64.self) }
        throw PoolKeeperError(code: .notFound, message: "no row: \(sql)")
    }

    /// Every row's first column of `sql`, as Int64s.
    func stressColumn(_ sql: String) async throws -> [Int64] {
        let rows = try await postgres.query(PostgresQuery(unsafeSQL: sql), logger: stressLogger)
        var values: [Int64] = []
        for try await row in rows { values.append(try row.decode(Int64.self)) }
        return values
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

/// The harness's own logger for raw queries: errors only.
let stressLogger: Logger = {
    var logger = Logger(label: "poolkeeper-stress")
    logger.logLevel = .critical
    return logger
}()

/// A line on standard error, so that a slow phase shows where it is.
func progress(_ text: String) {
    FileHandle.standardError.write(Data("# \(Date().formatted(.iso8601)) \(text)\n".utf8))
}
