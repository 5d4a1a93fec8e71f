import Foundation
import PoolKeeper

/// Managers, pools and investors made up for `simulate` and `demo`, and the
/// ledger rows they post: seeded, so the same seed gives the same data.
/// The amounts it picks are whole cents: contributions and withdrawals up to
/// 25,000, distributions up to 2,500, fees 1% of the position; withdrawals
/// and fees stay within what the position holds (as far as this process
/// knows), so few posts are refused.
struct SimulatedFunds {
    let client: PoolKeeperClient
    var random: SplitMix64
    private(set) var pools: [PoolID] = []
    private(set) var members: [PoolID: [InvestorID]] = [:]
    /// Net invested per position, as posted by this process.
    private var net: [PoolID: [InvestorID: Decimal]] = [:]
    private(set) var posted = 0
    private(set) var refused = 0

    static let fundNames = ["Harbor Growth Fund", "Northwind Seed", "Atlas Real Estate", "Cedar Credit",
                            "Summit Ventures", "Bluewater Income", "Orchard Climate", "Granite Buyout"]
    static let people = ["Ada", "Ben", "Chloe", "Dev", "Elena", "Femi", "Grace", "Hiro", "Ines", "Jonas", "Kira",
                         "Liam", "Maya", "Noor", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tariq", "Uma", "Victor",
                         "Wen", "Ximena", "Yusuf", "Zoe"]

    init(client: PoolKeeperClient, seed: UInt64) {
        self.client = client
        random = SplitMix64(seed: seed)
    }

    /// Creates `managers` managers, `poolCount` pools (in USD) and
    /// `investorCount` investors, each a member of one to four pools with a
    /// commitment, and sets `rule` on every pool.
    mutating func create(managers: Int, poolCount: Int, investorCount: Int, rule: AlertRule) async throws(PoolKeeperError) {
        var managerIDs: [ManagerID] = []
        for m in 0..<managers {
            managerIDs.append(try await client.createManager(name: "\(Self.people[m % Self.people.count]) Capital Partners"))
        }
        for p in 0..<poolCount {
            let name = Self.fundNames[p % Self.fundNames.count] + (p < Self.fundNames.count ? "" : " \(p / Self.fundNames.count + 1)")
            let pool = try await client.createPool(manager: managerIDs[p % managerIDs.count], name: name, currency: "USD")
            try await client.setAlertRule(rule, for: pool)
            pools.append(pool)
        }
        for i in 0..<investorCount {
            let person = Self.people[i % Self.people.count]
            let investor = try await client.createInvestor(name: "\(person) \(Self.people[(i * 7 + 3) % Self.people.count].prefix(1)). (\(i + 1))")
            let joins = Int.random(in: 1...min(4, pools.count), using: &random)
            for pool in pools.shuffled(using: &random).prefix(joins) {
                let commitment = Decimal(Int.random(in: 10...500, using: &random) * 1000)
                try await client.addInvestor(investor, to: pool, commitment: commitment)
                members[pool, default: []].append(investor)
            }
        }
        pools = pools.filter { members[$0] != nil }
    }

    /// Posts `count` rows spread over the `days` before now, oldest first, across every pool.
    mutating func seedHistory(count: Int, days: Int) async throws(PoolKeeperError) {
        let now = Date()
        for i in 0..<count {
            let back = Double(days * 86_400) * Double(count - i) / Double(count)
            guard let pool = pools.randomElement(using: &random) else { return }
            try await postRandom(in: pool, at: now.addingTimeInterval(-back))
        }
    }

    /// Posts one row in `pool`: mostly contributions, some distributions,
    /// withdrawals and fees; nil `at`: now.
    mutating func postRandom(in pool: PoolID, at occurredAt: Date? = nil) async throws(PoolKeeperError) {
        guard let investor = members[pool]?.randomElement(using: &random) else { return }
        let held = net[pool]?[investor] ?? 0
        let roll = Int.random(in: 0..<100, using: &random)
        let cents = Decimal(Int.random(in: 50_000...2_500_000, using: &random)) / 100
        let (kind, amount): (LedgerTransaction.Kind, Decimal) = switch roll {
        case 0..<8 where held > 100: (.withdrawal, min(held / 4, cents).roundedToCents)
        case 8..<12 where held > 100: (.fee, (held / 100).roundedToCents)
        case 12..<20: (.distribution, (cents / 10).roundedToCents)
        default: (.contribution, cents)
        }
        try await post(kind, amount, pool: pool, investor: investor, at: occurredAt)
    }

    /// Posts one row and keeps the local balance; a refusal by the ledger's
    /// rules is counted, any other error thrown.
    mutating func post(_ kind: LedgerTransaction.Kind, _ amount: Decimal, pool: PoolID, investor: InvestorID,
                       at occurredAt: Date? = nil) async throws(PoolKeeperError) {
        do {
            _ = try await client.post(kind, amount, pool: pool, investor: investor, occurredAt: occurredAt)
            posted += 1
            let sign: Decimal = switch kind {
            case .contribution: 1
            case .withdrawal, .fee: -1
            default: 0
            }
            net[pool, default: [:]][investor, default: 0] += sign * amount
        } catch where error.code == .insufficientPosition || error.code == .notAMember || error.code == .poolClosed {
            refused += 1
        }
    }

    /// Any member of `pool`.
    mutating func member(of pool: PoolID) -> InvestorID? {
        members[pool]?.randomElement(using: &random)
    }
}

extension Decimal {
    /// Rounded down to whole cents.
    var roundedToCents: Decimal {
        var value = self, result = Decimal()
        NSDecimalRound(&result, &value, 2, .down)
        return result
    }
}
