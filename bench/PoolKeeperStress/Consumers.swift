import PoolKeeper

/// What one consumer of a feed received: how often it saw each id.
actor Sightings {
    let name: String
    private(set) var counts: [Int64: Int] = [:]
    /// While set, the consumer takes nothing (a stalled listener).
    private var stalledUntil: ContinuousClock.Instant?

    init(name: String) { self.name = name }

    func saw(_ id: Int64) { counts[id, default: 0] += 1 }

    var duplicates: [Int64] { counts.filter { $0.value > 1 }.map(\.key).sorted() }
    var ids: Set<Int64> { Set(counts.keys) }

    func stall(for duration: Duration) { stalledUntil = .now + duration }

    /// Waits while the consumer is stalled.
    func waitIfStalled() async {
        while let until = stalledUntil, ContinuousClock.now < until {
            try? await Task.sleep(for: .milliseconds(100))
        }
    }
}

/// Consumers that run through the whole run, faults included: two alert
/// listeners (the library's AlertStream, woken by NOTIFY) and a ledger feed
/// reader (TransactionStream). Each must end up with every committed item
/// exactly once.
enum Consumers {
    static func alerts(_ client: PoolKeeperClient, after cursor: FeedCursor, into sightings: Sightings) async {
        await consume(client.alertStream(after: cursor), into: sightings) { $0.id.rawValue }
    }

    static func ledger(_ client: PoolKeeperClient, after cursor: FeedCursor, into sightings: Sightings) async {
        await consume(client.transactionStream(after: cursor), into: sightings) { $0.id.rawValue }
    }

    /// Takes every entry of `stream` (waiting while stalled) until cancelled.
    static func consume<Item>(_ stream: FeedStream<Item>, into sightings: Sightings, id: (Item) -> Int64) async {
        do {
            for try await entry in stream {
                await sightings.waitIfStalled()
                await sightings.saw(id(entry.item))
            }
        } catch {
            print("# \(sightings.name) stopped: \(error)")
        }
    }
}
