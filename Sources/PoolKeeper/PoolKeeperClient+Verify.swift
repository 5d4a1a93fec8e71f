import PostgresNIO

/// The ledger's self-check.
extension PoolKeeperClient {
    /// Every broken invariant of ledger, positions and alerts (`verify()`);
    /// empty when they all hold. It reads every ledger row: run it off-peak
    /// on a large ledger.
    public func verify() async throws(PoolKeeperError) -> [VerificationProblem] {
        try await perform { () async throws -> [VerificationProblem] in
            var problems: [VerificationProblem] = []
            let rows = try await self.rows("SELECT problem, detail FROM poolkeeper.verify()")
            for (problem, detail) in try rows.map({ try $0.decode((String, String).self) }) {
                problems.append(VerificationProblem(problem: problem, detail: detail))
            }
            return problems
        }
    }
}
