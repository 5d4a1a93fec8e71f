import Foundation
import PoolKeeper
import Testing

/// The library in the hands of login roles that are not superusers
/// (docs/security.md): each client connects as a role of its own, as an
/// application acting for one user does.
@Suite("Roles")
struct RoleTests {
    @Test("a manager's client runs their own pool, and another manager's pool is .permissionDenied or not there")
    func managerClient() async throws {
        try await TestDatabase.withClient { admin in
            let roleA = try await makeLoginRole(admin, in: "poolkeeper_manager")
            let roleB = try await makeLoginRole(admin, in: "poolkeeper_manager")
            let managerA = try await admin.createManager(name: unique("Manager A"), loginRole: roleA)
            let managerB = try await admin.createManager(name: unique("Manager B"), loginRole: roleB)
            let investor = try await admin.createInvestor(name: unique("Investor"))
            let poolB = try await admin.createPool(manager: managerB, name: unique("Pool B"), currency: "USD")
            try await admin.addInvestor(investor, to: poolB)
            let postedB = try await admin.post(.contribution, 70, pool: poolB, investor: investor)

            try await TestDatabase.withClient(as: roleA) { client in
                let poolA = try await client.createPool(manager: managerA, name: unique("Pool A"), currency: "USD")
                try await client.addInvestor(investor, to: poolA)
                let posted = try await client.post(.contribution, 100, pool: poolA, investor: investor)
                #expect(try await client.pool(poolA).id == poolA)
                let rows = try await client.transactions(in: poolA, limit: 10).transactions
                #expect(rows.map(\.id) == [posted])
                #expect(rows.map(\.postedBy) == [roleA], "the row names the login that posted it")

                await expectFailure(.permissionDenied, sqlState: "42501") {
                    _ = try await client.post(.contribution, 1, pool: poolB, investor: investor)
                }
                await expectFailure(.permissionDenied) { _ = try await client.reverse(postedB, reason: "not mine") }
                await expectFailure(.permissionDenied) {
                    _ = try await client.createPool(manager: managerB, name: unique("Fake"), currency: "USD")
                }
                await expectFailure(.permissionDenied) { _ = try await client.createManager(name: unique("Manager C")) }
                await expectFailure(.notFound) { _ = try await client.pool(poolB) }
                await expectFailure(.notFound) { _ = try await client.transactions(in: poolB, limit: 10) }
            }
            #expect(try await admin.transactions(in: poolB, limit: 10).transactions.map(\.id) == [postedB],
                    "nothing was written to pool B")
            try await TestDatabase.withClient(as: roleB) { client in
                try await client.closePool(poolB)
                #expect(try await client.pool(poolB).closedBy == roleB, "the pool names the login that closed it")
            }
            try await dropRoles(admin, [roleA, roleB])
        }
    }

    @Test("a listener's client runs the spike monitor and raises its alerts, but posts no money", .timeLimit(.minutes(1)))
    func listenerClient() async throws {
        try await TestDatabase.withClient { admin in
            let role = try await makeLoginRole(admin, in: "poolkeeper_listener")
            let (pool, investors) = try await makePool(admin, members: 1)
            // A window wide enough for 8 posts on a busy machine; with no baseline, 5 rows in it are a spike.
            try await admin.setAlertRule(AlertRule(spikeShortWindow: .seconds(30), spikeBaselineWindow: .seconds(60),
                                                   spikeFactor: 2, spikeMinCount: 5), for: pool)
            let start = try await admin.feedCursor()
            try await TestDatabase.withClient(as: role) { client in
                let observed = Observed()
                let monitor = Task {
                    try await SpikeMonitor(client: client, options: .init(pools: [pool])) { observed.append($0.transaction) }.run()
                }
                defer { monitor.cancel() }
                // The first row, and the rest once the monitor has taken it: it is running, as the listener.
                _ = try await admin.post(.contribution, 1, pool: pool, investor: investors[0])
                for _ in 0..<500 where observed.ids.isEmpty { try await Task.sleep(for: .milliseconds(20)) }
                try #require(!observed.ids.isEmpty, "the listener's monitor started and took the first row")
                for _ in 0..<7 { _ = try await admin.post(.contribution, 1, pool: pool, investor: investors[0]) }
                func spikes() async throws -> [Alert] {
                    try await admin.alerts(after: start, limit: 1000).alerts.filter { $0.poolID == pool && $0.kind == .spike }
                }
                for _ in 0..<500 where try await spikes().isEmpty { try await Task.sleep(for: .milliseconds(20)) }
                #expect(try await spikes().count == 1, "the listener's monitor raised the burst's spike alert")
                var feed = client.transactionStream(after: start).makeAsyncIterator()
                var first: LedgerTransaction?
                while first == nil, let entry = try await feed.next() {
                    if entry.item.poolID == pool { first = entry.item }
                }
                #expect(try #require(first).postedBy == (try ConnectionSettings.fromEnvironment().username),
                        "the feed names the login that posted each row")

                await expectFailure(.permissionDenied) {
                    _ = try await client.post(.contribution, 1, pool: pool, investor: investors[0])
                }
            }
            try await dropRoles(admin, [role])
        }
    }
}
