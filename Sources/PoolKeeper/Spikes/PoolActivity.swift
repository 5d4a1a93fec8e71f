/// The ledger rows of one pool that can still fall into a window: one bucket
/// per second that has rows, oldest first, for the seconds within the
/// retention behind the newest row. Counts are cumulative (`before`: rows
/// counted so far at earlier seconds, evicted ones included), so a window's
/// count is a difference of two lookups.
///
/// Cost: a row in time order appends to, or bumps, the last bucket, and the
/// lookups for its windows move two hints forward, so rows in time order cost
/// O(1) amortized. A row d non-empty seconds late walks back over those d
/// buckets to insert and to look up (d is at most S for the rows the
/// detector evaluates). Eviction pops from the front; each bucket is evicted
/// once. Memory: the live buckets (at most the retention, one per second
/// with rows), plus at most as many evicted ones before the array is compacted.
struct PoolActivity: Sendable {
    struct Bucket: Sendable {
        var second: Int64
        var count: Int64
        /// The rows counted so far at seconds before `second`.
        var before: Int64
    }

    private var buckets: [Bucket] = []
    /// The first live bucket; the ones before it are evicted.
    private var head = 0
    /// Where the last lookup of each window edge ended.
    private var hints = [0, 0, 0]  // indexed by Edge

    /// The edges of a row's windows, each looked up near where it was last time.
    enum Edge: Int {
        /// τ, the row's own second.
        case row
        /// τ − S, between the short window and the baseline.
        case short
        /// τ − S − B, the start of the baseline.
        case baseline
    }
    /// Every row counted so far, evicted ones included.
    private(set) var total: Int64 = 0
    /// The latest second of any row counted so far.
    private(set) var newest: Int64?

    /// The seconds with rows still kept.
    var liveBuckets: Int { buckets.count - head }

    /// Makes `second` the newest time if it is later, and drops the buckets
    /// at or before `newest − retention`, which no window of a row that is
    /// at most S late can reach.
    mutating func advance(to second: Int64, retention: Int64) {
        guard newest.map({ second > $0 }) ?? true else { return }
        newest = second
        let cutoff = second - retention
        while head < buckets.count, buckets[head].second <= cutoff { head += 1 }
        if head >= 64, head * 2 >= buckets.count {
            buckets.removeFirst(head)
            for edge in hints.indices { hints[edge] = max(0, hints[edge] - head) }
            head = 0
        }
    }

    /// Counts one row at `second`, which must be at or after the first live
    /// bucket's second or lie beyond the retention (the caller checks).
    mutating func count(_ second: Int64) {
        defer { total += 1 }
        let end = buckets.count
        if head == end || second > buckets[end - 1].second {
            buckets.append(Bucket(second: second, count: 1, before: total))
            return
        }
        if second == buckets[end - 1].second {
            buckets[end - 1].count += 1
            return
        }
        // A late row: find the first bucket at or after its second, from the end.
        var index = end - 1
        while index > head, buckets[index - 1].second >= second { index -= 1 }
        if buckets[index].second == second {
            buckets[index].count += 1
        } else {
            buckets.insert(Bucket(second: second, count: 1, before: buckets[index].before), at: index)
        }
        for later in (index + 1)..<buckets.count { buckets[later].before += 1 }
    }

    /// The rows counted at seconds up to and including `second`.
    mutating func rows(through second: Int64, edge: Edge) -> Int64 {
        if let newest, second >= newest { return total }
        // A late row's own second is near the end; the window edges move forward with time.
        var index = edge == .row ? buckets.count : min(max(hints[edge.rawValue], head), buckets.count)
        while index > head, buckets[index - 1].second > second { index -= 1 }
        while index < buckets.count, buckets[index].second <= second { index += 1 }
        hints[edge.rawValue] = index
        return index < buckets.count ? buckets[index].before : total
    }
}
