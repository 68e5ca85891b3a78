/// Unknown-key detection with "did you mean" suggestions.
extension TableReader {
    /// Rejects the first key (in source order) that is not in `allowed`.
    ///
    /// The error points at the unknown key and, when an allowed key is close
    /// (small edit distance or differs only in case, `_` or `-`), suggests it;
    /// otherwise it lists the allowed keys.
    ///
    /// - Parameter allowed: Every key this table may hold.
    /// - Throws: ``ConfigError`` of kind `.unknownKey`.
    public func checkKnownKeys(_ allowed: Set<String>) throws(ConfigError) {
        for key in keys where !allowed.contains(key) {
            if let suggestion = Self.suggestion(for: key, among: allowed) {
                throw error(nil, "unknown key '\(key)'; did you mean '\(suggestion)'?", kind: .unknownKey, at: key)
            }
            let known = allowed.isEmpty ? "this table takes no keys" : "known keys: \(Self.list(allowed.sorted()))"
            throw error(nil, "unknown key '\(key)' (\(known))", kind: .unknownKey, at: key)
        }
    }

    private func error(_ key: String?, _ message: String, kind: ConfigError.Kind, at positionKey: String) -> ConfigError {
        var error = error(key, message, kind: kind)
        if let position = table.position(of: positionKey) {
            error.line = position.line
            error.column = position.column
        }
        return error
    }

    /// The closest allowed key, if it is close enough to be a likely typo.
    static func suggestion(for key: String, among allowed: Set<String>) -> String? {
        func normalized(_ text: String) -> String {
            String(text.lowercased().map { $0 == "-" ? "_" : $0 })
        }
        let target = normalized(key)
        var best: (key: String, distance: Int)?
        for candidate in allowed.sorted() {
            let distance = normalized(candidate) == target ? 0 : editDistance(Array(target), Array(normalized(candidate)))
            if distance < (best?.distance ?? Int.max) { best = (candidate, distance) }
        }
        guard let best else { return nil }
        let limit = max(1, min(3, key.count / 3))
        return best.distance <= limit ? best.key : nil
    }

    /// Levenshtein distance with adjacent transpositions counted as one edit.
    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previousPrevious = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    current[j] = min(current[j], previousPrevious[j - 2] + 1)
                }
            }
            (previousPrevious, previous, current) = (previous, current, previousPrevious)
        }
        return previous[b.count]
    }
}
