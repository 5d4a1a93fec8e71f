import Foundation

/// A fund manager: runs pools. `loginRole` is the database role that acts
/// for the manager, if one is mapped.
public struct Manager: Hashable, Sendable, Codable {
    public var id: ManagerID
    public var name: String
    public var loginRole: String?
    public var createdAt: Date
}

/// An investor: holds positions in pools. `loginRole` is the database role
/// that acts for the investor, if one is mapped.
public struct Investor: Hashable, Sendable, Codable {
    public var id: InvestorID
    public var name: String
    public var loginRole: String?
    public var createdAt: Date
}
