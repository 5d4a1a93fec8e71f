import Foundation

/// One pool's ledger in one day, week or month
/// (``PoolKeeperClient/poolActivity(pool:per:from:to:)``). Amounts are net of
/// the reversals that occurred in the bucket.
public struct ActivityBucket: Hashable, Sendable {
    /// How long a bucket is. Buckets are cut in the session's time zone; weeks start on Monday.
    public enum Length: String, Hashable, Sendable, CaseIterable {
        case day, week, month
    }

    public var poolID: PoolID
    /// When the bucket starts.
    public var start: Date
    /// Ledger rows in the bucket, reversals included.
    public var transactions: Int64
    public var reversals: Int64
    public var contributions: Decimal
    public var withdrawals: Decimal
    public var distributions: Decimal
    public var fees: Decimal
    /// The change in net invested: contributions - withdrawals - fees.
    public var netFlow: Decimal
}
