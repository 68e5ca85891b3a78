import Foundation
import LunaAgent
import LunaMemory
import LunaStore

/// `luna-bench memory [--queries Q] [--sizes 1000,10000,100000] [--keep DIR]`: recall latency.
///
/// Builds a state database (the real migrations) per size with generated
/// notes — a 4,000-word vocabulary drawn with a Zipf-like skew, titles of 6
/// words, bodies of 60, one of 300 hosts, two of 40 tags — then times
/// `MemoryStore.search` for two-word queries taken from random notes' titles,
/// with a host filter on every other query, top 10 by BM25.
func memoryBench(_ args: [String]) throws {
    let queries = Int(try option("--queries", in: args, default: 1000))
    var sizes = [1_000, 10_000, 100_000]
    if let i = args.firstIndex(of: "--sizes"), i + 1 < args.count {
        sizes = args[i + 1].split(separator: ",").compactMap { Int($0) }
    }
    var rng = SplitMix(seed: 7)
    let vocabulary = (0..<4000).map { i -> String in
        let syllables = ["ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "pa", "do", "gu", "he", "ji", "wo"]
        var w = ""
        var n = i + 15
        while n > 0 { w += syllables[n % syllables.count]; n /= syllables.count }
        return w
    }
    func word() -> String {
        // Zipf-like: small indices are much more frequent.
        let u = Double(rng.next() % 1_000_000) / 1_000_000
        return vocabulary[min(vocabulary.count - 1, Int(pow(Double(vocabulary.count), u)) - 1)]
    }
    let keep = args.firstIndex(of: "--keep").flatMap { $0 + 1 < args.count ? args[$0 + 1] : nil }
    for size in sizes {
        let dir = keep.map { "\($0)/\(size)" } ?? NSTemporaryDirectory() + "luna-bench-memory-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { if keep == nil { try? FileManager.default.removeItem(atPath: dir) } }
        let db = try Database(path: dir + "/luna.db")
        _ = try db.migrate(MemoryStore.migrations)
        let store = MemoryStore(db: db, directory: dir + "/memory")
        var titles: [String] = []
        let buildStart = ContinuousClock.now
        try db.transaction {
            for i in 0..<size {
                let title = (0..<6).map { _ in word() }.joined(separator: " ")
                titles.append(title)
                let body = (0..<60).map { _ in word() }.joined(separator: " ")
                try store.index(MemoryNote(slug: "n\(i)", title: title, body: body, hosts: ["host\(rng.next() % 300)"],
                                           tags: ["tag\(rng.next() % 40)", "tag\(rng.next() % 40)"], source: .outcome,
                                           created: "2026-01-01T00:00:00Z"))
            }
        }
        try db.run("INSERT INTO memory_fts(memory_fts) VALUES ('optimize')")
        let build = ContinuousClock.now - buildStart
        var samples: [Double] = []
        var hits = 0
        for q in 0..<queries {
            let words = titles[Int(rng.next() % UInt64(size))].split(separator: " ")
            let query = "\(words[Int(rng.next() % 6)]) \(words[Int(rng.next() % 6)])"
            let host = q % 2 == 0 ? nil : "host\(rng.next() % 300)"
            let start = ContinuousClock.now
            hits += try store.search(query, host: host, limit: 10).count
            let d = ContinuousClock.now - start
            samples.append(Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15)
        }
        samples.sort()
        func pct(_ p: Double) -> Double { samples[min(samples.count - 1, Int(Double(samples.count) * p))] }
        print(String(format: "memory: %7d notes  p50 %.3f ms  p99 %.3f ms  max %.3f ms  (%d queries, %.1f hits avg; built in %.1f s)",
                     size, pct(0.5), pct(0.99), samples.last ?? 0, queries, Double(hits) / Double(queries),
                     Double(build.components.seconds) + Double(build.components.attoseconds) / 1e18))
        db.close()
    }
}

/// A small deterministic generator (SplitMix64), so every run builds the same corpus.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
