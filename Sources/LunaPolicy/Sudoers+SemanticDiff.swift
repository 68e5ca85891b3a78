extension Sudoers {
    /// Compares effective permissions of two references for one user and host.
    ///
    /// Formatting, comments, line continuations and the order or names of alias
    /// definitions make no difference; the entries that apply (aliases expanded)
    /// and their order (the last match wins) do.
    ///
    /// - Parameters:
    ///   - other: The reference to compare with (e.g. the proposed new version).
    ///   - user: The user.
    ///   - groups: The user's groups.
    ///   - host: The host name.
    /// - Returns: Readable differences; empty when the effective permissions are the same.
    public func semanticDiff(_ other: Sudoers, user: String, groups: [String], host: String) -> [String] {
        let a = effectiveEntries(user: user, groups: groups, host: host).map(\.text)
        let b = other.effectiveEntries(user: user, groups: groups, host: host).map(\.text)
        if a == b { return [] }
        var out: [String] = []
        // Multiset difference, in order.
        var countB: [String: Int] = [:]
        for t in b { countB[t, default: 0] += 1 }
        var countA: [String: Int] = [:]
        for t in a { countA[t, default: 0] += 1 }
        var seen: [String: Int] = [:]
        for t in a {
            seen[t, default: 0] += 1
            if seen[t]! > (countB[t] ?? 0) { out.append("only in \(file): \(t)") }
        }
        seen = [:]
        for t in b {
            seen[t, default: 0] += 1
            if seen[t]! > (countA[t] ?? 0) { out.append("only in \(other.file): \(t)") }
        }
        if out.isEmpty {
            out.append("the same entries in a different order (the last match wins, so results can differ):")
            out += zip(a, b).enumerated().filter { $0.element.0 != $0.element.1 }
                .map { "  position \($0.offset + 1): \(file) has \($0.element.0); \(other.file) has \($0.element.1)" }
        }
        return out
    }
}
