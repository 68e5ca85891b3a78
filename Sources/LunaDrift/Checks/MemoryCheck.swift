import Foundation
import LunaFleet

/// Available memory (`/proc/meminfo` MemAvailable) vs a per-host threshold in `configs/memory/<host>`.
///
/// Reference lines: `min_available_percent N` and/or `min_available_mib N`.
public struct MemoryCheck: DriftCheck {
    public let name = "memory"
    public let referenceKind = "memory"

    public init() {}

    static func limits(_ b: Baseline) throws(BaselineError) -> (percent: Int?, mib: Int?) {
        try b.requireKeywords(["min_available_percent", "min_available_mib"])
        let p = b.entries("min_available_percent").isEmpty ? nil : try b.integer("min_available_percent", default: 0, range: 0...100)
        let m = b.entries("min_available_mib").isEmpty ? nil : try b.integer("min_available_mib", default: 0)
        guard p != nil || m != nil else { throw BaselineError(file: b.file, line: 0, message: "set min_available_percent or min_available_mib") }
        return (p, m)
    }

    public func plan(host: String, references: References) -> CollectionPlan {
        switch reference(host: host, references: references, Self.limits) {
        case .failure(let box): return .done(box.result)
        case .success(let (baseline, _)): return .run(argv: ["cat", "/proc/meminfo"], reference: baseline)
        }
    }

    public func evaluate(host: String, output: CommandResult, reference: Baseline?) -> CheckResult {
        guard let reference, let limits = try? Self.limits(reference) else { return failed(host, "no usable reference") }
        let info = Self.parse(outputText(output))
        guard let total = info["MemTotal"], total > 0, let available = info["MemAvailable"] else {
            return failed(host, "/proc/meminfo has no MemTotal/MemAvailable (exit \(output.exitStatus)): \(stderrExcerpt(output))")
        }
        let mib = available / 1024
        let percent = Int((Double(available) * 100 / Double(total)).rounded(.down))
        let detail = "\(mib) MiB available (\(percent)% of \(total / 1024) MiB)"
        var low: [String] = []
        if let p = limits.percent, percent < p { low.append("below \(p)%") }
        if let m = limits.mib, mib < m { low.append("below \(m) MiB") }
        guard low.isEmpty else {
            return .compared(host: host, check: name, items: [DriftItem(subject: "MemAvailable",
                summary: "\(detail): \(low.joined(separator: ", "))", observed: "\(mib)")], okDetail: "")
        }
        return .compared(host: host, check: name, items: [], okDetail: detail)
    }

    /// Parses `/proc/meminfo` into key → kB.
    public static func parse(_ text: String) -> [String: Int] {
        var out: [String: Int] = [:]
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let f = fields(line[line.index(after: colon)...])
            if let v = f.first.flatMap({ Int($0) }) { out[String(line[..<colon])] = v }
        }
        return out
    }
}
