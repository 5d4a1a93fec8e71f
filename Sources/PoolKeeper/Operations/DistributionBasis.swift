/// What a distribution is split pro rata to.
public enum DistributionBasis: String, Hashable, Sendable, Codable, CaseIterable {
    /// Each member's net invested capital (contributed − withdrawn − fees).
    case netInvested = "net_invested"
    /// Each member's commitment (none counts as zero).
    case commitment
}
