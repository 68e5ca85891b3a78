import LunaStore

/// Orders candidate notes by a BM25-style score computed from their text.
///
/// Every candidate already contains every query word (the FTS match is an
/// AND), so the inverse document frequency is left out; what remains is
/// saturated term frequency, normalised by field length against the
/// candidates' average, with field weights title 10, hosts 3, tags 3, body 1.
/// Ties go to the newer note. Tokenising is byte-level: ASCII letters and
/// digits (lowercased) and any non-ASCII byte form words, like FTS5's
/// unicode61 tokenizer for ASCII text.
struct RelevanceRanker {
    let terms: [[UInt8]]
    static let fields: [(String, Double)] = [("title", 10), ("hosts", 3), ("tags", 3), ("body", 1)]

    init(terms: [String]) {
        self.terms = Array(Set(terms.map { Array($0.lowercased().utf8) }))
    }

    /// Counts of each term in `text`, and the number of words.
    func frequencies(_ text: String) -> ([Int], Int) {
        var counts = [Int](repeating: 0, count: terms.count)
        var words = 0
        var word: [UInt8] = []
        word.reserveCapacity(32)
        func flush() {
            guard !word.isEmpty else { return }
            words += 1
            for (i, t) in terms.enumerated() where t == word { counts[i] += 1 }
            word.removeAll(keepingCapacity: true)
        }
        for var b in text.utf8 {
            if b >= 0x41 && b <= 0x5A { b += 0x20 }
            if (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) || b >= 0x80 { word.append(b) } else { flush() }
        }
        flush()
        return (counts, words)
    }

    /// The rows, best first.
    ///
    /// - Parameter requireAll: Drop rows lacking an ASCII query word (one the
    ///   FTS match was not asked for, see `MemoryStore.selective`).
    func rank(_ rows: [Row], requireAll: Bool = false) -> [Row] {
        var stats = rows.map { row in Self.fields.map { frequencies(row.string($0.0) ?? "") } }
        var rows = rows
        if requireAll {
            let keep = stats.indices.filter { r in
                terms.indices.allSatisfy { t in !terms[t].allSatisfy { $0 < 0x80 } || stats[r].contains { $0.0[t] > 0 } }
            }
            rows = keep.map { rows[$0] }
            stats = keep.map { stats[$0] }
        }
        guard rows.count > 1 else { return rows }
        let averages = Self.fields.indices.map { f in max(1, Double(stats.reduce(0) { $0 + $1[f].1 }) / Double(rows.count)) }
        let k1 = 1.2, b = 0.75
        let scores = stats.map { fields -> Double in
            var score = 0.0
            for (f, (counts, length)) in fields.enumerated() {
                let norm = k1 * (1 - b + b * Double(length) / averages[f])
                for tf in counts where tf > 0 { score += Self.fields[f].1 * Double(tf) * (k1 + 1) / (Double(tf) + norm) }
            }
            return score
        }
        let ids = rows.map { $0.int("id") ?? 0 }
        return rows.indices.sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : ids[$0] > ids[$1] }.map { rows[$0] }
    }
}
