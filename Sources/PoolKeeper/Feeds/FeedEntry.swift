/// An item read from one of the feeds, with the cursor that comes after it.
/// Its properties read through to the item (`entry.poolID`); persist
/// `cursor` once the item is handled, and a stream started after it resumes
/// with the next item.
@dynamicMemberLookup
public struct FeedEntry<Item: Sendable>: Sendable {
    public var item: Item
    /// Where the feed stands after this item.
    public var cursor: FeedCursor

    public init(item: Item, cursor: FeedCursor) {
        self.item = item
        self.cursor = cursor
    }

    public subscript<Value>(dynamicMember keyPath: KeyPath<Item, Value>) -> Value {
        item[keyPath: keyPath]
    }
}

extension FeedEntry: Equatable where Item: Equatable {}
extension FeedEntry: Hashable where Item: Hashable {}
