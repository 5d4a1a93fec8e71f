import Foundation
import PoolKeeper
import Testing

@Suite("poolkeeper pool and report metrics")
struct FundCommandTests {
    @Test("a quarter on the command line: call, pay, distribute 1000.00 three ways, value, and report the metrics")
    func quarter() async throws {
        let (pool, members) = try await TestDatabase.withClient { try await makePool($0, members: 3, commitment: 600) }
        let call = try runPoolKeeper(["pool", "call-capital", "--pool", "\(pool)", "--total", "900", "--due", "2020-03-31",
                                      "--idempotency-key", unique("call"), "--format", "csv"])
        #expect(call.status == 0, "\(call.error)")
        let obligations = call.output.split(separator: "\n").dropFirst().map { $0.split(separator: ",").map(String.init) }
        #expect(obligations.map { $0[2] } == members.map { "\($0)" })
        #expect(obligations.allSatisfy { $0[4] == "300" && $0[6] == "300" && $0[7] == "yes" }, "\(call.output)")
        let callID = try #require(obligations.first?.first)

        for member in members {
            let paid = try runPoolKeeper(["pool", "pay", "--call", callID, "--investor", "\(member)", "--format", "json"])
            #expect(paid.status == 0, "\(paid.error)")
            let object = try JSONSerialization.jsonObject(with: Data(paid.output.utf8)) as? [[String: Any]]
            #expect(object?.first?["outstanding"] as? String == "0", "\(paid.output)")
        }

        let distributed = try runPoolKeeper(["pool", "distribute", "--pool", "\(pool)", "--total", "1000.00", "--format", "csv"])
        #expect(distributed.status == 0, "\(distributed.error)")
        let rows = distributed.output.split(separator: "\n").dropFirst().map { $0.split(separator: ",").map(String.init) }
        #expect(rows.map { $0[2] } == members.map { "\($0)" })
        #expect(rows.map { $0[3] } == ["333.34", "333.33", "333.33"])
        #expect(Set(rows.map { $0[0] }).count == 1, "one operation id")

        let today = CalendarDate.today.description
        let valued = try runPoolKeeper(["pool", "valuation", "--pool", "\(pool)", "--as-of", today, "--nav", "1200", "--format", "csv"])
        #expect(valued.status == 0, "\(valued.error)")
        #expect(valued.output.split(separator: "\n").dropFirst().map { $0.split(separator: ",")[3] } == ["400", "400", "400"])

        let metrics = try runPoolKeeper(["report", "metrics", "--pool", "\(pool)", "--format", "json"])
        #expect(metrics.status == 0, "\(metrics.error)")
        let line = try #require((try JSONSerialization.jsonObject(with: Data(metrics.output.utf8)) as? [[String: Any]])?.first)
        #expect(line["paid_in"] as? String == "900" && line["nav"] as? String == "1200", "\(metrics.output)")
        #expect(line["tvpi"] as? String == "2.444444", "(1000 + 1200) / 900")
        let investor = try runPoolKeeper(["report", "metrics", "--investor", "\(members[0])", "--format", "csv"])
        #expect(investor.status == 0 && investor.output.contains("333.34"), "\(investor.output)\(investor.error)")

        let obligationsReport = try runPoolKeeper(["report", "obligations", "--call", callID])
        #expect(obligationsReport.status == 0 && obligationsReport.output.hasSuffix("(3 rows)\n"), "\(obligationsReport.output)")
    }

    @Test("bad flags exit 64; a refusal prints one line and exits 1")
    func refusals() async throws {
        let (pool, _) = try await TestDatabase.withClient { try await makePool($0, members: 2) }
        let badAmount = try runPoolKeeper(["pool", "distribute", "--pool", "\(pool)", "--total", "12abc"])
        #expect(badAmount.status == 64, "\(badAmount.error)")
        let badDate = try runPoolKeeper(["pool", "call-capital", "--pool", "\(pool)", "--total", "1", "--due", "2026-02-30"])
        #expect(badDate.status == 64, "\(badDate.error)")
        let neither = try runPoolKeeper(["report", "metrics"])
        #expect(neither.status == 64 && neither.error.contains("either --pool or --investor"), "\(neither.error)")
        let nothingInvested = try runPoolKeeper(["pool", "distribute", "--pool", "\(pool)", "--total", "100"])
        #expect(nothingInvested.status == 1)
        #expect(nothingInvested.error.split(separator: "\n").count == 1)
        #expect(nothingInvested.error.contains("noAllocationBasis") || nothingInvested.error.contains("net invested capital"),
                "\(nothingInvested.error)")
    }
}
