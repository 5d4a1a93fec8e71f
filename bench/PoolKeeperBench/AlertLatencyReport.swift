import Foundation

/// What one run of `poolkeeper-bench alert-latency` measured: printed as one
/// line of JSON with `--json`, as text otherwise.
struct AlertLatencyReport: Encodable {
    /// The background load the probes ran under.
    enum Mode: String, Encodable {
        /// No background posts: the probes are the only traffic.
        case idle
        /// A fixed rate of background posts.
        case steady
        /// Background posters posting back to back, as fast as they can.
        case flatOut = "flat-out"
    }

    let mode: Mode
    /// The measurement's length as asked for (`--seconds`).
    let seconds: Int
    let posters: Int
    /// Nil for flat-out, which has no target.
    let targetRowsPerSecond: Int?
    let probes: Int
    let backgroundRows: Int
    /// Background rows over the time the posters actually ran.
    let backgroundRowsPerSecond: Double
    /// Delivery to an in-process consumer of `PoolKeeperClient.alertStream`.
    let stream: DeliveryLatency
    /// Lines printed by a `poolkeeper watch --json --no-detect` process.
    let watch: DeliveryLatency

    enum CodingKeys: String, CodingKey {
        case mode, seconds, posters, probes, stream, watch
        case targetRowsPerSecond = "target_rows_per_second"
        case backgroundRows = "background_rows"
        case backgroundRowsPerSecond = "background_rows_per_second"
    }

    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(mode, forKey: .mode)
        try container.encode(seconds, forKey: .seconds)
        try container.encode(posters, forKey: .posters)
        try container.encode(targetRowsPerSecond, forKey: .targetRowsPerSecond)  // null for flat-out
        try container.encode(probes, forKey: .probes)
        try container.encode(backgroundRows, forKey: .backgroundRows)
        try container.encode((backgroundRowsPerSecond * 10).rounded() / 10, forKey: .backgroundRowsPerSecond)
        try container.encode(stream, forKey: .stream)
        try container.encode(watch, forKey: .watch)
    }

    /// The report as one line of JSON.
    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys  // the same order every run
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// The report as text for a person.
    func text() -> String {
        let target = targetRowsPerSecond.map { "target \($0)" } ?? "no target"
        var lines = [
            "large_transaction alert latency, \(mode.rawValue) load, \(seconds) s, \(probes) probes",
            String(format: "  background load: %d rows = %.0f rows/s (%@, %d posters)", backgroundRows,
                   backgroundRowsPerSecond, target as NSString, posters),
        ]
        for (name, latency) in [("in-process alertStream, delivered", stream), ("`poolkeeper watch --json`, printed", watch)] {
            lines.append("  \(name): \(latency.printed) of \(probes) probes (\(latency.missing) missing)")
            for (bound, values) in [("from COMMIT returned (lower bound)", latency.fromCommit),
                                    ("from the post's start (upper bound)", latency.fromStart)] {
                let met = values.p99.map { $0 < 50 ? "met" : "NOT met" } ?? "no data"
                // %-38@ does not pad on Linux.
                lines.append("    " + bound.padding(toLength: 38, withPad: " ", startingAt: 0)
                    + String(format: "p50 %7.1f ms   p99 %7.1f ms   max %7.1f ms   (p99 target 50 ms: %@)",
                             values.p50 ?? .nan, values.p99 ?? .nan, values.max ?? .nan, met as NSString))
            }
        }
        return lines.joined(separator: "\n")
    }
}
