/// What each client is doing, and since when, so that a call that never
/// returns is named: the run reports clients still busy well after the
/// load's end as a failed check, instead of hanging.
actor Watchdog {
    private var busy: [Int: (what: String, since: ContinuousClock.Instant)] = [:]

    func begin(_ client: Int, _ what: String) { busy[client] = (what, .now) }
    func end(_ client: Int) { busy[client] = nil }

    /// Clients busy with one call for longer than `limit`.
    func stuck(longerThan limit: Duration) -> [String] {
        busy.filter { ContinuousClock.now - $0.value.since > limit }
            .sorted { $0.key < $1.key }
            .map { "client \($0.key): \($0.value.what) for \(Int((ContinuousClock.now - $0.value.since).seconds)) s" }
    }
}
