import Foundation
import PoolKeeper

// Connects with libpq's variables: PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE.
let client = try PoolKeeperClient(settings: .fromEnvironment())

try await withThrowingDiscardingTaskGroup { group in
    group.addTask { try await client.run() }   // the connection pool works while this runs
    defer { group.cancelAll() }

    let manager = try await client.createManager(name: "Ada Capital")
    let pool = try await client.createPool(manager: manager, name: "Seed Fund I", currency: "USD")
    let grace = try await client.createInvestor(name: "Grace")
    let alan = try await client.createInvestor(name: "Alan")
    try await client.addInvestor(grace, to: pool, commitment: 250_000)
    try await client.addInvestor(alan, to: pool)

    // With an idempotency key the post is safe to retry: it lands exactly once.
    let wire = try await client.contribute(Decimal(string: "100000.50")!, pool: pool, investor: grace,
                                           idempotencyKey: "wire-\(UUID())")
    print("posted ledger row \(wire)")

    for position in try await client.positions(in: pool) {
        print("investor \(position.investorID): net invested \(position.netInvested) \(position.currency)")
    }
}
