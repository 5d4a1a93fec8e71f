import Foundation
import PoolKeeper
import Testing

@Suite("poolkeeper report, simulate and demo")
struct ReportCommandTests {
    /// A pool with two members: 100.00 and 25.50 contributed by the first, 10 withdrawn; 7.25 by the second.
    static func smallPool(_ client: PoolKeeperClient) async throws -> (PoolID, [InvestorID]) {
        let (pool, investors) = try await makePool(client, members: 2)
        _ = try await client.contribute(100, pool: pool, investor: investors[0])
        _ = try await client.contribute(Decimal(string: "25.50")!, pool: pool, investor: investors[0])
        _ = try await client.withdraw(10, pool: pool, investor: investors[0])
        _ = try await client.contribute(Decimal(string: "7.25")!, pool: pool, investor: investors[1])
        return (pool, investors)
    }

    @Test("report pools prints the same summary as a table, as JSON and as CSV")
    func poolsInEveryFormat() async throws {
        let (pool, _) = try await TestDatabase.withClient { try await Self.smallPool($0) }
        let csv = try runPoolKeeper(["report", "pools", "--pool", "\(pool)", "--format", "csv"])
        #expect(csv.status == 0, "\(csv.error)")
        let lines = csv.output.split(separator: "\n")
        #expect(lines.first == "pool_id,pool_name,manager,currency,status,members,committed,contributed,withdrawn,distributed,fees,net_invested,last_activity_at")
        let fields = lines.dropFirst().first?.split(separator: ",", omittingEmptySubsequences: false).map(String.init) ?? []
        #expect(fields.count == 13)
        #expect(Array(fields.prefix(1) + fields[3...11]) == ["\(pool)", "USD", "open", "2", "0", "132.75", "10", "0", "0", "122.75"])

        let json = try runPoolKeeper(["report", "pools", "--pool", "\(pool)", "--format", "json"])
        #expect(json.status == 0, "\(json.error)")
        let objects = try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [[String: Any]]
        #expect(objects?.count == 1)
        #expect(objects?.first?["pool_id"] as? Int == Int(pool.rawValue))
        #expect(objects?.first?["net_invested"] as? String == "122.75", "amounts are JSON strings")

        let table = try runPoolKeeper(["report", "pools", "--pool", "\(pool)"])
        #expect(table.status == 0, "\(table.error)")
        #expect(table.output.contains("net_invested"))
        #expect(table.output.contains("132.75"))
        #expect(table.output.hasSuffix("(1 row)\n"))
    }

    @Test("report statement, activity, top-investors and alerts run with their filters")
    func otherReports() async throws {
        let (pool, investors) = try await TestDatabase.withClient { try await Self.smallPool($0) }
        let statement = try runPoolKeeper(["report", "statement", "--investor", "\(investors[0])", "--format", "csv"])
        #expect(statement.status == 0, "\(statement.error)")
        #expect(statement.output.split(separator: "\n").last?.hasSuffix(",0,125.5,10,0,0,115.5") == true, "\(statement.output)")
        let empty = try runPoolKeeper(["report", "statement", "--investor", "\(investors[0])", "--to", "2000-01-01", "--format", "json"])
        #expect(empty.status == 0 && empty.output == "[]\n", "\(empty.output) \(empty.error)")
        let activity = try runPoolKeeper(["report", "activity", "--pool", "\(pool)", "--per", "month", "--format", "csv"])
        #expect(activity.status == 0, "\(activity.error)")
        #expect(activity.output.split(separator: "\n").count == 2)
        #expect(activity.output.hasSuffix(",4,0,132.75,10,0,0,122.75\n"), "\(activity.output)")
        let top = try runPoolKeeper(["report", "top-investors", "--limit", "2", "--from", "2026-01-01T00:00:00Z"])
        #expect(top.status == 0, "\(top.error)")
        #expect(top.output.hasPrefix("investor_id  investor_name  pool_count  total_invested\n"), "\(top.output)")
        #expect(top.output.hasSuffix("(2 rows)\n"), "this test's own pool has two contributors this year")
        let alerts = try runPoolKeeper(["report", "alerts", "--pool", "\(pool)", "--kind", "spike", "--format", "json"])
        #expect(alerts.status == 0 && alerts.output == "[]\n", "\(alerts.output) \(alerts.error)")
    }

    @Test("bad flags exit 64, a refused request exits 1 with one line, and --help shows examples")
    func badInput() throws {
        for arguments in [["report", "top-investors", "--limit", "0"], ["report", "statement"],
                          ["report", "activity", "--per", "year"], ["report", "alerts", "--from", "yesterday"],
                          ["report", "alerts", "--from", "2026-02-01", "--to", "2026-01-01"],
                          ["report", "pools", "--format", "xml"], ["simulate", "--rate", "0"],
                          ["simulate", "--duration", "5", "--burst-at", "9"]] {
            let result = try runPoolKeeper(arguments)
            #expect(result.status == 64, "\(arguments): \(result.status) \(result.error)")
        }
        let unknown = try runPoolKeeper(["report", "statement", "--investor", "999999999"])
        #expect(unknown.status == 1)
        #expect(unknown.error == "poolkeeper: notFound (PKN02): investor 999999999 does not exist\n", "\(unknown.error)")
        let unreachable = try runPoolKeeper(["report", "pools", "--timeout", "1"], environment: ["PGHOST": "127.0.0.1", "PGPORT": "1"])
        #expect(unreachable.status == 1)
        #expect(unreachable.error.split(separator: "\n").count == 1, "\(unreachable.error)")
        for command in ["report", "simulate", "demo"] {
            let help = try runPoolKeeper([command, "--help"])
            #expect(help.status == 0)
            #expect(help.output.contains("Examples:"), "\(command) --help")
        }
    }

    @Test("simulate posts its traffic, prints one line of key=value pairs, and a seed repeats its history")
    func simulate() async throws {
        func run() throws -> [String: String] {
            let result = try runPoolKeeper(["simulate", "--pools", "2", "--investors", "6", "--history", "30", "--rate", "40",
                                            "--duration", "2", "--large-at", "0", "--seed", "42"])
            #expect(result.status == 0, "\(result.error)")
            #expect(result.output.split(separator: "\n").count == 1, "\(result.output)")
            return Dictionary(uniqueKeysWithValues: result.output.split(whereSeparator: \.isWhitespace).compactMap { pair in
                let parts = pair.split(separator: "=", maxSplits: 1)
                return parts.count == 2 ? (String(parts[0]), String(parts[1])) : nil
            })
        }
        let (first, second) = (try run(), try run())
        #expect(first["history"] == "30")
        #expect(Int(first["live"] ?? "") ?? 0 >= 20, "\(first)")  // 80 at the rate asked; the database is shared with other tests
        #expect(first["refused"] == "0")
        let firstPool = try #require(first["pools"]?.split(separator: ",").first.flatMap { Int64($0) })
        let secondPool = try #require(second["pools"]?.split(separator: ",").first.flatMap { Int64($0) })
        try await TestDatabase.withClient { client in
            let alerts = try await client.alertHistory(pool: PoolID(rawValue: firstPool), kind: .largeTransaction)
            #expect(alerts.count == 1, "--large-at posts one contribution above the threshold")
            func history(_ pool: Int64) async throws -> [String] {
                try await client.transactions(in: PoolID(rawValue: pool), limit: 1000).transactions
                    .filter { $0.occurredAt < Date().addingTimeInterval(-3600) }
                    .map { "\($0.kind) \($0.amount.amount)" }
            }
            let (a, b) = (try await history(firstPool), try await history(secondPool))
            #expect(!a.isEmpty)
            #expect(a == b, "the same seed gives the same backdated history")
        }
    }

    @Test("""
        demo with no connection settings starts the private database through the checkout's scripts/db, \
        even when what it starts keeps the script's output open, and ends with both alerts and the reports
        """)
    func demo() throws {
        // A checkout whose scripts/db leaves a process behind that holds its standard output and
        // error, as a PostgreSQL it starts can, then runs the real script.
        let realRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let checkout = FileManager.default.temporaryDirectory.appendingPathComponent("poolkeeper-checkout-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: checkout) }
        try FileManager.default.createDirectory(at: checkout.appendingPathComponent("scripts"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: checkout.appendingPathComponent("sql"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: realRoot.appendingPathComponent("sql/poolkeeper.control"),
                                         to: checkout.appendingPathComponent("sql/poolkeeper.control"))
        let script = checkout.appendingPathComponent("scripts/db")
        try "#!/bin/sh\nsleep 300 &\nexec '\(realRoot.path)/scripts/db' \"$@\"\n".write(to: script, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script.path)

        let start = ContinuousClock.now
        let result = try runPoolKeeper(["demo", "--alert-timeout", "120"],
                                       removing: ["PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "PGSERVICE", "PGPASSWORD"],
                                       directory: checkout)
        #expect(ContinuousClock.now - start < .seconds(250), "demo waited for the script's output to close")
        #expect(result.status == 0, "\(result.output)\n\(result.error)")
        #expect(result.output.contains("large_transaction alert"))
        #expect(result.output.contains("spike alert"))
        for report in ["top-investors", "pools", "statement", "activity", "alerts"] {
            #expect(result.output.contains("$ poolkeeper report \(report)"), "\(report)")
        }
        #expect(result.output.contains("(5 rows)"))
        for command in ["pool call-capital", "pool distribute", "pool valuation", "report metrics"] {
            #expect(result.output.contains("$ poolkeeper \(command)"), "\(command)")
        }
        #expect(!result.output.contains("irr_note"), "the metrics table shows the IRR")
    }
}
