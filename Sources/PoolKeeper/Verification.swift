/// One broken invariant reported by ``PoolKeeperClient/verify()``.
public struct VerificationProblem: Hashable, Sendable, Codable {
    /// A stable name such as `position_mismatch`.
    public var problem: String
    public var detail: String
}
