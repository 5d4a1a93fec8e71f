import Foundation
import PoolKeeper

extension BadInputRegistry {
    static let alerts: [(String, BadInputEntry)] = [
        ("PoolKeeperClient+Alerts.swift: PoolKeeperClient.setAlertRule(_:for:)",
         .calls(each(BadValues.ids, "pool", .notFound) { f, id in try await f.client.setAlertRule(AlertRule(), for: PoolID(rawValue: id)) }
                + each([("NaN", Decimal.nan), ("-1", -1), ("-greatestFiniteMagnitude", -.greatestFiniteMagnitude)],
                       "threshold", .invalidArgument) { f, threshold in
                    try await f.client.setAlertRule(AlertRule(largeTransactionThreshold: threshold), for: f.pool)
                } + each([("NaN", Decimal.nan), ("1", 1), ("0", 0), ("-1", -1), ("10^30", Decimal(sign: .plus, exponent: 30, significand: 1))],
                         "factor", .invalidArgument) { f, factor in
                    try await f.client.setAlertRule(AlertRule(spikeFactor: factor), for: f.pool)
                } + each(BadValues.windows, "short window", .invalidArgument) { f, window in
                    try await f.client.setAlertRule(AlertRule(spikeShortWindow: window), for: f.pool)
                } + each(BadValues.windows, "baseline window", .invalidArgument) { f, window in
                    try await f.client.setAlertRule(AlertRule(spikeBaselineWindow: window), for: nil)
                } + each([("0", 0), ("-1", -1), ("Int.max", Int.max), ("Int.min", Int.min)], "min count", .invalidArgument) { f, count in
                    try await f.client.setAlertRule(AlertRule(spikeMinCount: count), for: f.pool)
                })),
        ("PoolKeeperClient+Alerts.swift: PoolKeeperClient.dropAlertRule(for:)",
         .calls(each(BadValues.ids, "pool", .notFound) { f, id in _ = try await f.client.dropAlertRule(for: PoolID(rawValue: id)) })),
        ("PoolKeeperClient+Alerts.swift: PoolKeeperClient.alertRule(for:)",
         .calls(each(BadValues.ids, "pool", .notFound) { f, id in _ = try await f.client.alertRule(for: PoolID(rawValue: id)) })),
        ("PoolKeeperClient+Alerts.swift: PoolKeeperClient.alertFeedCursor()", .noInput("takes no arguments")),
        ("PoolKeeperClient+Alerts.swift: PoolKeeperClient.alerts(after:limit:)",
         .calls(each(BadValues.cursors, "cursor", .invalidCursor) { f, cursor in _ = try await f.client.alerts(after: FeedCursor(cursor)) }
                + each(BadValues.limits, "limit", .invalidArgument) { f, limit in _ = try await f.client.alerts(after: nil, limit: limit) })),
        ("PoolKeeperClient+Alerts.swift: PoolKeeperClient.raiseAlert(_:pool:details:dedupeKey:transaction:)",
         // Alert.Kind is a closed enum: a wrong kind cannot be written in Swift.
         .calls(each(BadValues.ids, "pool", .notFound) { f, id in
             _ = try await f.client.raiseAlert(.spike, pool: PoolID(rawValue: id), details: "{}", dedupeKey: "bad input")
         } + each(BadValues.ids, "transaction", .notFound) { f, id in
             _ = try await f.client.raiseAlert(.spike, pool: f.pool, details: "{}", dedupeKey: "bad input", transaction: TransactionID(rawValue: id))
         } + each(BadValues.details, "details", .invalidArgument) { f, details in
             _ = try await f.client.raiseAlert(.spike, pool: f.pool, details: details, dedupeKey: "bad input")
         } + each(BadValues.keys + [("the database's own", "large_transaction:1")], "dedupe key", .invalidArgument) { f, key in
             _ = try await f.client.raiseAlert(.spike, pool: f.pool, details: "{}", dedupeKey: key)
         })),
        ("PoolKeeperClient+Feeds.swift: PoolKeeperClient.alertStream(after:options:)",
         .calls(each(BadValues.cursors, "cursor", .invalidCursor) { f, cursor in
             for try await _ in f.client.alertStream(after: FeedCursor(cursor)) { break }
         })),
        ("PoolKeeperClient+Feeds.swift: PoolKeeperClient.transactionStream(after:options:)",
         .calls(each(BadValues.cursors, "cursor", .invalidCursor) { f, cursor in
             for try await _ in f.client.transactionStream(after: FeedCursor(cursor)) { break }
         })),
        ("PoolKeeperClient+Feeds.swift: PoolKeeperClient.feedCursor()", .noInput("takes no arguments")),
        ("FeedStream.swift: FeedStream.makeAsyncIterator()", .noInput("takes no arguments; the stream's cursor is tried above")),
        ("FeedStream.swift: FeedStream.Iterator.next()", .noInput("takes no arguments; it throws the stream's bad cursor (above)")),
        ("FeedOptions.swift: FeedOptions.init(pollInterval:pageSize:requestTimeout:reconnectDelay:maximumReconnectDelay:)",
         .calls([("0", 0, 1), ("-1", -1, 1), ("Int.min", Int.min, 1), ("Int.max", Int.max, 10_000)].map { name, size, clamped in
             .accepted("page size \(name): clamped to \(clamped)") { _ in FeedOptions(pollInterval: .zero, pageSize: size).pageSize == clamped }
         })),
    ]
}
