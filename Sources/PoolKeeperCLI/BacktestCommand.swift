import ArgumentParser
import Foundation
import Logging
import PoolKeeper
import PostgresNIO

/// `poolkeeper backtest`: replays ledger rows through the spike detector
/// with a rule given on the command line, and prints what it would raise.
struct BacktestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backtest",
        abstract: "Replay ledger rows through the spike detector and print the spike alerts a rule would raise.",
        discussion: """
            Prints one JSON object per alert: pool_id, transaction_id (the row that opened the episode), time \
            (its recorded_at floored to the second), second (the same, in seconds since 1970), n_short, n_base. \
            Input is the database's ledger recorded in [--from, --to) (rows of the 2S + B before --from are \
            counted, not evaluated), in the order the transaction feed hands rows out, or a CSV file \
            (--csv FILE, header id,pool_id,recorded_at, rows in arrival order, recorded_at in ISO 8601). \
            Nothing is written to the database.
            """
    )

    @OptionGroup var connection: ConnectionOptions

    @Option(name: .long, help: "S: the short window, in seconds (1 to 86400).")
    var shortWindow: Int64 = 60
    @Option(name: .long, help: "B: the baseline window, in seconds (1 to 86400).")
    var baselineWindow: Int64 = 3600
    @Option(name: .long, help: "F: the factor over the baseline rate (above 1, at most 1000000).")
    var factor: String = "10"
    @Option(name: .long, help: "M: the fewest rows in the short window that make a spike (1 to 1000000).")
    var minCount: Int64 = 5

    @Option(name: .long, help: "A CSV file of ledger rows to replay instead of the database's ledger.")
    var csv: String?
    @Option(name: .long, help: "Replay rows recorded at or after this time (ISO 8601).")
    var from: String?
    @Option(name: .long, help: "Replay rows recorded before this time (ISO 8601); default: now.")
    var to: String?
    @Option(name: .long, help: "Replay only this pool's rows.")
    var pool: Int64?

    func rule() throws -> SpikeRule {
        // Digits with at most one point: Decimal(string:) would take "1.5.5" as 1.5.
        guard self.factor.wholeMatch(of: /[0-9]+(\.[0-9]+)?/) != nil,
              let factor = Decimal(string: factor, locale: Locale(identifier: "en_US_POSIX")) else {
            throw ValidationError("--factor \(self.factor) is not a number")
        }
        do {
            return try SpikeRule(shortWindow: shortWindow, baselineWindow: baselineWindow, factor: factor, minCount: minCount)
        } catch {
            throw ValidationError(error.message)
        }
    }

    func validate() throws {
        _ = try rule()
        if csv != nil {
            guard from == nil, to == nil, pool == nil else { throw ValidationError("--csv replays a file: --from, --to and --pool do not apply") }
        } else {
            guard let from else { throw ValidationError("give --from (and optionally --to and --pool), or --csv FILE") }
            guard ISO8601Seconds.parse(Substring(from)) != nil else { throw ValidationError("--from \(from) is not an ISO 8601 time") }
            if let to, ISO8601Seconds.parse(Substring(to)) == nil { throw ValidationError("--to \(to) is not an ISO 8601 time") }
        }
    }

    func run() async throws {
        let rule = try rule()
        var detector = SpikeDetector(defaultRule: rule)
        var output = BufferedOutput()
        func replay(_ row: SpikeDetector.Row, evaluate: Bool) {
            guard evaluate else { return detector.count(row) }
            guard let spike = detector.observe(row) else { return }
            output.write("{\"pool_id\":\(spike.pool),\"transaction_id\":\(spike.transaction),"
                + "\"time\":\"\(Date(timeIntervalSince1970: TimeInterval(spike.second)).formatted(.iso8601))\","
                + "\"second\":\(spike.second),\"n_short\":\(spike.nShort),\"n_base\":\(spike.nBase)}\n")
        }
        do {
            if let csv {
                try LedgerCSV.read(path: csv) { replay($0, evaluate: true) }
            } else {
                try await replayLedger(rule: rule) { replay($0, evaluate: $1) }
            }
            output.flush()
        } catch let error as PoolKeeperError {
            output.flush()
            printError("poolkeeper: \(error)")
            throw ExitCode.failure
        }
        if detector.lateRows > 0 {
            printError("poolkeeper: \(detector.lateRows) rows arrived more than S seconds out of time order; they were counted, not evaluated")
        }
    }

    /// Streams the ledger's rows of the period, with the warm-up before it, in feed order.
    private func replayLedger(rule: SpikeRule, _ replay: @escaping (SpikeDetector.Row, Bool) -> Void) async throws {
        var logger = Logger(label: "poolkeeper")
        logger.logLevel = .error
        let settings = try connection.settings()
        let from = ISO8601Seconds.parse(Substring(self.from!))!
        let to = self.to.flatMap { ISO8601Seconds.parse(Substring($0)) }
        let warmUp = from - rule.shortWindow - rule.baselineWindow - rule.shortWindow
        let pool = self.pool
        let client = try PoolKeeperClient(settings: settings, maximumConnections: 1, logger: logger)
        try await connection.withTimeout(running: client) { try await client.checkConnection() }
        let database = try await PostgresConnection.connect(configuration: settings.connectionConfiguration(), id: 1, logger: logger)
        do {
            try await database.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: logger)
            let rows = try await database.query("""
                SELECT pool_id, id, floor(extract(epoch FROM recorded_at))::bigint, operation_id
                  FROM poolkeeper.transactions
                 WHERE recorded_at >= to_timestamp(\(warmUp))
                   AND (\(to)::bigint IS NULL OR recorded_at < to_timestamp(\(to)))
                   AND (\(pool)::bigint IS NULL OR pool_id = \(pool))
                 ORDER BY xact_id, id
                """, logger: logger)
            for try await (pool, id, second, operation) in rows.decode((Int64, Int64, Int64, Int64?).self) {
                replay(SpikeDetector.Row(pool: PoolID(rawValue: pool), transaction: TransactionID(rawValue: id), second: second,
                                         operation: operation.map(OperationID.init(rawValue:))),
                       second >= from)
            }
            try await database.query("COMMIT", logger: logger)
            try await database.close()
        } catch {
            try? await database.close()
            throw PoolKeeperError(error)
        }
    }
}

/// Standard output, written in large blocks.
struct BufferedOutput {
    private var buffer = Data()

    mutating func write(_ line: String) {
        buffer.append(contentsOf: line.utf8)
        if buffer.count >= 1 << 16 { flush() }
    }

    mutating func flush() {
        FileHandle.standardOutput.write(buffer)
        buffer.removeAll(keepingCapacity: true)
    }
}
