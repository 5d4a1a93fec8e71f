import Foundation

/// What a run prints: the plan, the operations by kind, the faults by kind,
/// one TAP line per check, and a summary line scripts/test reads.
struct StressReport {
    let text: String
    let passed: Bool

    init(plan: StressPlan, journal: Journal, faults: [FaultInjector.Kind: Int], faultProblems: [String],
         checks: [StressChecks.Check], loadSeconds: Double, totalSeconds: Double) async {
        let done = await journal.done
        let refused = await journal.refused
        let lost = await journal.lost
        let operations = done.values.reduce(0, +) + refused.values.reduce(0, +) + lost.values.reduce(0, +)
        func describe(_ counts: [String: Int]) -> String {
            counts.isEmpty ? "none" : counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        }
        var lines = [
            "# stress: seed \(plan.seed), \(plan.seconds) s of load, \(plan.libraryClients) library clients, \(plan.sqlClients) SQL clients, "
                + "\(plan.coldPools) cold pools and a hot one",
            "# operations: \(operations) (\(String(format: "%.0f", Double(operations) / max(loadSeconds, 1))) per second)",
            "# acknowledged: \(describe(done))",
            "# refused as the mix expects: \(describe(refused))",
            "# answers lost to faults: \(describe(lost))",
            "# faults: \(faults.values.reduce(0, +)) (\(describe(Dictionary(uniqueKeysWithValues: faults.map { ($0.key.rawValue, $0.value) }))))",
        ]
        lines += faultProblems.map { "# fault problem: \($0)" }
        for (number, check) in checks.enumerated() {
            lines.append("\(check.passed ? "ok" : "not ok") \(number + 1) - \(check.text)")
        }
        let failed = checks.filter { !$0.passed }.count + faultProblems.count
        lines.append("1..\(checks.count)")
        lines.append("stress: \(operations) operations, \(faults.values.reduce(0, +)) faults, "
                     + "\(checks.count - failed) checks passed, \(failed) failed, \(String(format: "%.0f", totalSeconds)) s in all")
        text = lines.joined(separator: "\n")
        passed = failed == 0
    }
}
