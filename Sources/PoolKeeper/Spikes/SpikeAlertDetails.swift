import Foundation

/// The `details` of a spike alert the ``SpikeMonitor`` raises, as stored in
/// `poolkeeper.alerts`: times in ISO 8601 (UTC), decimals as JSON strings.
///
/// ```json
/// {"second": 1795435261, "window_start": "2026-11-23T14:00:00Z", "window_end": "2026-11-23T14:00:02Z",
///  "baseline_start": "2026-11-23T13:59:30Z", "baseline_end": "2026-11-23T14:00:00Z",
///  "n_short": 51, "n_base": 30, "ratio": "25.5",
///  "rule": {"short_window_seconds": 2, "baseline_window_seconds": 30, "factor": "5", "min_count": 10}}
/// ```
/// `second` is τ, the triggering row's `recorded_at` floored (seconds since
/// 1970); the short window holds rows recorded in [window_start, window_end),
/// the baseline those in [baseline_start, baseline_end).
public struct SpikeAlertDetails: Codable, Hashable, Sendable {
    /// The rule that was applied.
    public struct Rule: Codable, Hashable, Sendable {
        public var shortWindowSeconds: Int64
        public var baselineWindowSeconds: Int64
        public var factor: String
        public var minCount: Int64
    }

    public var second: Int64
    public var windowStart: String
    public var windowEnd: String
    public var baselineStart: String
    public var baselineEnd: String
    public var nShort: Int64
    public var nBase: Int64
    public var ratio: String
    public var rule: Rule

    /// The details of `spike`.
    public init(_ spike: Spike) {
        second = spike.second
        (windowStart, windowEnd) = (Self.iso(spike.shortWindow.start), Self.iso(spike.shortWindow.end))
        (baselineStart, baselineEnd) = (Self.iso(spike.baselineWindow.start), Self.iso(spike.baselineWindow.end))
        nShort = spike.nShort
        nBase = spike.nBase
        ratio = "\(spike.ratio)"
        rule = Rule(shortWindowSeconds: spike.rule.shortWindow, baselineWindowSeconds: spike.rule.baselineWindow,
                    factor: "\(spike.rule.factor)", minCount: spike.rule.minCount)
    }

    /// The details as the JSON object `raise_alert` stores.
    public var json: String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = .sortedKeys
        return String(decoding: (try? encoder.encode(self)) ?? Data("{}".utf8), as: UTF8.self)
    }

    /// Reads details written by a monitor; nil when `json` is not of that shape.
    public init?(json: String) {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        guard let details = try? decoder.decode(Self.self, from: Data(json.utf8)) else { return nil }
        self = details
    }

    private static func iso(_ date: Date) -> String {
        date.formatted(.iso8601)
    }
}
