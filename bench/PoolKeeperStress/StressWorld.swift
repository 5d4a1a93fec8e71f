import Foundation
import PoolKeeper

/// The pools a run works on, made through the library before the load
/// starts: one hot pool (few members, most of the posts), many cold ones
/// (eight members each, with commitments, for capital calls), and a quiet
/// pool nobody touches until the end, where a burst shows that the spike
/// monitor came back by itself after the faults.
struct StressWorld: Sendable {
    struct Pool: Sendable {
        let id: PoolID
        let members: [InvestorID]
    }

    let hot: Pool
    let cold: [Pool]
    let quiet: Pool
    let manager: ManagerID

    static let commitment: Decimal = 10_000_000

    static func create(_ client: PoolKeeperClient, coldPools: Int, seed: UInt64) async throws -> StressWorld {
        let manager = try await client.createManager(name: "stress manager \(seed)")
        func pool(_ name: String, members: Int) async throws -> Pool {
            let id = try await client.createPool(manager: manager, name: "\(name) \(seed)", currency: "USD")
            var investors: [InvestorID] = []
            for index in 0..<members {
                let investor = try await client.createInvestor(name: "\(name) investor \(index)")
                try await client.addInvestor(investor, to: id, commitment: commitment)
                investors.append(investor)
            }
            return Pool(id: id, members: investors)
        }
        let hot = try await pool("hot pool", members: 4)
        var cold: [Pool] = []
        for index in 0..<coldPools { cold.append(try await pool("cold pool \(index)", members: 8)) }
        let quiet = try await pool("quiet pool", members: 2)
        // Large transactions above 900 alert everywhere; the quiet pool's
        // spike rule is short, so that the closing burst raises one fast.
        try await client.setAlertRule(AlertRule(largeTransactionThreshold: 900), for: nil)
        try await client.setAlertRule(AlertRule(largeTransactionThreshold: 900, spikeShortWindow: .seconds(5),
                                                spikeBaselineWindow: .seconds(60), spikeFactor: 10, spikeMinCount: 5),
                                      for: quiet.id)
        return StressWorld(hot: hot, cold: cold, quiet: quiet, manager: manager)
    }

    /// A pool for the next post: the hot one six times in ten.
    func pick(using random: inout some RandomNumberGenerator) -> Pool {
        Int.random(in: 0..<10, using: &random) < 6 ? hot : cold[Int.random(in: 0..<cold.count, using: &random)]
    }
}

/// A random amount of money in cents between `low` and `high` (dollars).
func randomAmount(_ low: Int, _ high: Int, using random: inout some RandomNumberGenerator) -> Decimal {
    Decimal(Int.random(in: (low * 100)...(high * 100), using: &random)) / 100
}
