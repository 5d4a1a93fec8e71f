import Foundation
import PoolKeeper

/// For every public declaration of the library (keys as PublicAPICatalog
/// makes them), its generated bad calls or why it takes no input worth
/// validating. PublicAPICatalogTests fails when a declaration has no entry.
enum BadInputRegistry {
    static let entries: [(String, BadInputEntry)] =
        posting + pools + parties + fundOperations + reports + alerts + connection + values + spikes
}
