import Foundation
import PoolKeeper

extension BadInputRegistry {
    /// Seconds no ledger row can have been recorded at.
    static let impossibleSeconds: [(String, Int64)] = [("Int64.max", .max), ("Int64.min", .min)]

    static let spikes: [(String, BadInputEntry)] = [
        ("SpikeRule.swift: SpikeRule.init(shortWindow:baselineWindow:factor:minCount:)",
         .calls(each([("0", 0), ("-1", -1), ("86401", 86_401), ("Int64.max", .max), ("Int64.min", .min)] as [(String, Int64)], "window", .invalidArgument) { _, window in
             _ = try SpikeRule(shortWindow: window, baselineWindow: 60, factor: 10, minCount: 5)
             _ = try SpikeRule(shortWindow: 60, baselineWindow: window, factor: 10, minCount: 5)
         } + each([("NaN", .nan), ("1", 1), ("0", 0), ("-1", -1), ("1000001", 1_000_001), ("greatestFiniteMagnitude", .greatestFiniteMagnitude)],
                  "factor", .invalidArgument) { (_, factor: Decimal) in
             _ = try SpikeRule(shortWindow: 60, baselineWindow: 60, factor: factor, minCount: 5)
         } + each([("0", 0), ("-1", -1), ("1000001", 1_000_001), ("Int64.max", .max)] as [(String, Int64)], "min count", .invalidArgument) { _, count in
             _ = try SpikeRule(shortWindow: 60, baselineWindow: 60, factor: 10, minCount: count)
         })),
        ("SpikeRule.swift: SpikeRule.init(_:)",
         .calls(each(BadValues.windows, "short window", .invalidArgument) { _, window in _ = try SpikeRule(AlertRule(spikeShortWindow: window)) }
                + [.fails("factor NaN", .invalidArgument) { _ in _ = try SpikeRule(AlertRule(spikeFactor: .nan)) },
                   .fails("min count Int.min", .invalidArgument) { _ in _ = try SpikeRule(AlertRule(spikeMinCount: .min)) }])),
        ("SpikeDetector.swift: SpikeDetector.init(defaultRule:)", .noInput("a SpikeRule is valid once made (its entries)")),
        ("SpikeDetector.swift: SpikeDetector.setRule(_:enabled:for:)", .noInput("a valid rule and any pool id")),
        ("SpikeDetector.swift: SpikeDetector.Row.init(pool:transaction:second:operation:)",
         .noInput("a plain value; observe, count and resumeEpisode try impossible seconds")),
        ("SpikeDetector.swift: SpikeDetector.rule(for:)",
         .calls(idsAccepted("the default rule") { SpikeDetector().rule(for: PoolID(rawValue: $0)) == .builtIn })),
        ("SpikeDetector.swift: SpikeDetector.hasOpenEpisode(_:)",
         .calls(idsAccepted("no episode") { !SpikeDetector().hasOpenEpisode(PoolID(rawValue: $0)) })),
        ("SpikeDetector.swift: SpikeDetector.liveBuckets(of:)",
         .calls(idsAccepted("no buckets") { SpikeDetector().liveBuckets(of: PoolID(rawValue: $0)) == 0 })),
        ("SpikeDetector.swift: SpikeDetector.observe(_:)",
         .calls(eachNil(impossibleSeconds, "second") { second in
             var detector = SpikeDetector()
             _ = detector.observe(row(second: 1_800_000_000))
             return detector.observe(row(second: second)) ?? detector.observe(row(second: 1_800_000_001))
         })),
        ("SpikeDetector.swift: SpikeDetector.count(_:)",
         .calls(impossibleSeconds.map { name, second in
             .accepted("second \(name): ignored") { _ in
                 var detector = SpikeDetector()
                 detector.count(row(second: 1_800_000_000))
                 detector.count(row(second: second))
                 detector.count(row(second: 1_800_000_001))
                 return detector.liveBuckets(of: 1) == 2
             }
         })),
        ("SpikeDetector.swift: SpikeDetector.resumeEpisode(of:lastSpikingSecond:)",
         .calls(impossibleSeconds.map { name, second in
             .accepted("second \(name): ignored") { _ in
                 var detector = SpikeDetector()
                 detector.resumeEpisode(of: 1, lastSpikingSecond: second)
                 _ = detector.observe(row(second: 1_800_000_000))
                 return !detector.hasOpenEpisode(1)
             }
         })),
        ("Spike.swift: Spike.init(pool:transaction:second:nShort:nBase:rule:earlierEpisodesInSecond:)",
         .calls(impossibleSeconds.map { name, second in
             .accepted("second \(name), counts out of range: its windows and key still read") { _ in
                 let spike = Spike(pool: 1, transaction: 1, second: second, nShort: .max, nBase: .min, rule: .builtIn,
                                   earlierEpisodesInSecond: .max)
                 return spike.shortWindow.start <= spike.shortWindow.end && !spike.dedupeKey.isEmpty && !spike.ratio.isNaN
             }
         })),
        ("SpikeAlertDetails.swift: SpikeAlertDetails.init(_:)",
         .calls(impossibleSeconds.map { name, second in
             .accepted("second \(name): JSON that reads back") { _ in
                 let details = SpikeAlertDetails(Spike(pool: 1, transaction: 1, second: second, nShort: 1, nBase: 1, rule: .builtIn))
                 return SpikeAlertDetails(json: details.json) == details
             }
         })),
        ("SpikeAlertDetails.swift: SpikeAlertDetails.init?(json:)",
         .calls(eachNil(BadValues.details + [("missing fields", "{\"second\": 1}"), ("wrong types", "{\"second\": \"x\"}")], "json") {
             SpikeAlertDetails(json: $0)
         })),
        ("SpikeMonitor.swift: SpikeMonitor.Options.init(feed:rulesRefreshInterval:requestTimeout:pools:)",
         .noInput("durations and pools stored as given; FeedOptions.init clamps the page size")),
        ("SpikeMonitor.swift: SpikeMonitor.init(settings:options:logger:observer:)", .noInput("stores its arguments; run() connects")),
        ("SpikeMonitor.swift: SpikeMonitor.init(client:options:observer:)", .noInput("stores its arguments; run() connects")),
        ("SpikeMonitor.swift: SpikeMonitor.run()", .noInput("takes no arguments; it retries what reconnecting can fix")),
    ]

    static func row(second: Int64) -> SpikeDetector.Row {
        SpikeDetector.Row(pool: 1, transaction: 1, second: second)
    }

    static func idsAccepted(_ what: String, _ check: @escaping @Sendable (Int64) -> Bool) -> [BadCall] {
        BadValues.ids.map { name, id in .accepted("pool \(name): \(what)") { _ in check(id) } }
    }
}
