import PoolKeeper

/// What the clients were told by the database during a run: the rows and
/// operations it acknowledged, the keys it acknowledged them under, what it
/// refused (as it should), what was left in doubt by a lost connection, and
/// anything that breaks a rule (an unexpected error, a replay with another id).
actor Journal {
    private(set) var rows: Set<Int64> = []
    /// What acknowledged each row, to name a lost one.
    private(set) var rowSources: [Int64: String] = [:]
    private(set) var keyedRows: [String: Int64] = [:]
    private(set) var operations: Set<Int64> = []
    /// Keys of two-row SQL transactions whose COMMIT got no answer: both rows or neither.
    private(set) var pairsInDoubt: [(String, String)] = []
    /// At most this many ledger rows can come from calls whose answer was lost.
    private(set) var rowsInDoubt = 0
    private(set) var done: [String: Int] = [:]
    private(set) var refused: [String: Int] = [:]
    private(set) var lost: [String: Int] = [:]
    private(set) var violations: [String] = []

    /// `what` succeeded; `row` and `key` are what it wrote, if anything.
    func acknowledge(_ what: String, row: Int64? = nil, key: String? = nil, operation: Int64? = nil) {
        done[what, default: 0] += 1
        if let row {
            rows.insert(row)
            rowSources[row] = what
            if let key {
                if let earlier = keyedRows[key], earlier != row {
                    violations.append("key \(key) was acknowledged as row \(earlier) and then as row \(row)")
                }
                keyedRows[key] = row
            }
        }
        if let operation { operations.insert(operation) }
    }

    /// `what` failed with `error`: a refusal the mix expects, a lost answer, or a violation.
    func failed(_ what: String, _ error: PoolKeeperError, mayHaveWritten rowsAtMost: Int = 1) {
        switch StressOutcome(error) {
        case .refusal(let name): refused[name, default: 0] += 1
        case .lostAnswer:
            lost[what, default: 0] += 1
            rowsInDoubt += rowsAtMost
        case .violation: violations.append("\(what): \(error)")
        }
    }

    func pairInDoubt(_ first: String, _ second: String) {
        pairsInDoubt.append((first, second))
        rowsInDoubt += 2
    }

    func violation(_ text: String) { violations.append(text) }

    var operationCount: Int { done.values.reduce(0, +) }
}

/// How the harness reads an error: expected refusals of a random mix, answers
/// lost to a fault (the call may or may not have committed), and the rest.
enum StressOutcome {
    case refusal(String)
    case lostAnswer
    case violation

    /// Refusals a random mix runs into: positions run dry, members come and
    /// go, rows get reversed twice, obligations are paid off.
    static let expectedRefusals: Set<PoolKeeperError.Code> = [
        .insufficientPosition, .positionNotZero, .notAMember, .alreadyAMember, .alreadyReversed,
        .obligationOutstanding, .paymentExceedsObligation, .noAllocationBasis, .callExceedsCommitment,
    ]

    init(_ error: PoolKeeperError) {
        if Self.expectedRefusals.contains(error.code) {
            self = .refusal(error.code.description)
        } else if error.code == .connectionLost || error.code == .cancelled
                    || error.sqlState.map({ $0.hasPrefix("08") || $0.hasPrefix("57") }) == true {
            self = .lostAnswer
        } else {
            self = .violation
        }
    }
}
