import Foundation
@testable import PoolKeeper
import Testing

@Suite("models decode and encode without a database")
struct ModelTests {
    @Test("identifiers are their bigint: literals, order, and JSON as a plain number")
    func identifiers() throws {
        let pool: PoolID = 42
        #expect(pool.rawValue == 42)
        #expect(pool.description == "42")
        let smaller: PoolID = 7
        #expect(smaller < pool)
        let encoded = String(decoding: try JSONEncoder().encode(pool), as: UTF8.self)
        #expect(encoded == "42")
        #expect(try JSONDecoder().decode(InvestorID.self, from: Data("9007199254740993".utf8)).rawValue == 9_007_199_254_740_993)
    }

    @Test("ledger kinds spell the SQL API's kinds")
    func kinds() {
        #expect(LedgerTransaction.Kind.allCases.map(\.rawValue) == ["contribution", "withdrawal", "distribution", "fee"])
        #expect(Alert.Kind(rawValue: "large_transaction") == .largeTransaction)
        #expect(Alert.Kind(rawValue: "spike") == .spike)
    }

    @Test("large-transaction details read amounts exactly from JSON strings")
    func largeTransactionDetails() throws {
        let json = """
            {"amount": "12345678901234567.89", "threshold": "0.01", "currency": "USD",
             "investor_id": 17, "transaction_kind": "withdrawal", "extra": true}
            """
        let details = try #require(LargeTransactionDetails(json: json))
        let amount = try #require(Decimal(string: "12345678901234567.89"))
        #expect(details.amount == Money(amount, "USD"))
        #expect(details.threshold == Decimal(sign: .plus, exponent: -2, significand: 1))
        #expect(details.investorID == InvestorID(rawValue: 17))
        #expect(details.transactionKind == .withdrawal)
    }

    @Test("details of another shape are not typed as a large transaction", arguments: [
        "{}", "not json", #"{"amount": 5, "threshold": "1", "currency": "USD", "investor_id": 1, "transaction_kind": "fee"}"#,
        #"{"amount": "5", "threshold": "1", "currency": "USD", "investor_id": 1, "transaction_kind": "gift"}"#,
        #"{"amount": "five", "threshold": "1", "currency": "USD", "investor_id": 1, "transaction_kind": "fee"}"#,
    ])
    func otherDetails(json: String) {
        #expect(LargeTransactionDetails(json: json) == nil)
    }

    @Test("metadata is sent as a JSON object of strings, escaped")
    func metadata() throws {
        let json = try PoolKeeperClient.json(["note": "wire \"A\"\n"])
        let decoded = try JSONDecoder().decode([String: String].self, from: Data(json.utf8))
        #expect(decoded == ["note": "wire \"A\"\n"])
        #expect(try PoolKeeperClient.json([:]) == "{}")
    }

    @Test("retry delays double from the initial delay, stay under the maximum, and keep at least half")
    func retryDelays() {
        let policy = RetryPolicy(maximumAttempts: 8, initialDelay: .milliseconds(100), maximumDelay: .milliseconds(500))
        let ceilings: [Duration] = [.milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(500),
                                    .milliseconds(500)]
        for (offset, ceiling) in ceilings.enumerated() {
            for _ in 0..<50 {
                let delay = policy.delay(beforeAttempt: offset + 2)
                #expect(delay <= ceiling)
                #expect(delay >= ceiling / 2)
            }
        }
    }

    @Test("a policy makes at least one attempt")
    func retryAttempts() {
        #expect(RetryPolicy(maximumAttempts: 0).maximumAttempts == 1)
        #expect(RetryPolicy.never.maximumAttempts == 1)
        #expect(RetryPolicy.default.maximumAttempts == 6)
    }
}
