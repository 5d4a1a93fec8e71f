import PoolKeeper

/// One probe post: its ledger row, when the post started and when it
/// returned (its COMMIT had returned by then).
struct Probe: Sendable {
    let transaction: TransactionID
    let started: ContinuousClock.Instant
    let committed: ContinuousClock.Instant
}

/// How long the probes' alerts took to reach one consumer, in milliseconds:
/// from the post's return (a lower bound of commit-to-delivery, which can
/// even be negative when the alert beats the post's reply) and from its
/// start (an upper bound). Probes whose alert never arrived are counted as
/// missing, not dropped.
struct DeliveryLatency: Encodable {
    /// Probes whose alert arrived (the key says "printed" for both consumers).
    let printed: Int
    let missing: Int
    let fromCommit: Percentiles
    let fromStart: Percentiles

    init(probes: [Probe], arrivals: [TransactionID: ContinuousClock.Instant]) {
        let delivered = probes.compactMap { probe in arrivals[probe.transaction].map { (probe, $0) } }
        printed = delivered.count
        missing = probes.count - delivered.count
        fromCommit = Percentiles(delivered.map { milliseconds($1 - $0.committed) })
        fromStart = Percentiles(delivered.map { milliseconds($1 - $0.started) })
    }

    enum CodingKeys: String, CodingKey {
        case printed, missing
        case fromCommit = "from_commit"
        case fromStart = "from_start"
    }
}

/// p50, p99 and max of some values by nearest rank; nil (JSON null) for none.
struct Percentiles: Encodable {
    let p50: Double?
    let p99: Double?
    let max: Double?

    init(_ values: [Double]) {
        let sorted = values.sorted()
        p50 = Self.nearestRank(sorted, 0.5)
        p99 = Self.nearestRank(sorted, 0.99)
        max = sorted.last
    }

    /// The smallest value with at least `p` of the values at or below it.
    static func nearestRank(_ sorted: [Double], _ p: Double) -> Double? {
        sorted.isEmpty ? nil : sorted[Swift.max(0, Swift.min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1))]
    }

    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        // Explicit nulls, so that every key is always there; microsecond resolution.
        try container.encode(p50.map(Self.rounded), forKey: .p50)
        try container.encode(p99.map(Self.rounded), forKey: .p99)
        try container.encode(max.map(Self.rounded), forKey: .max)
    }

    private static func rounded(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }

    enum CodingKeys: String, CodingKey { case p50, p99, max }
}
