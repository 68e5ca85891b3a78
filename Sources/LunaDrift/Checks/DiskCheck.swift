import Foundation
import LunaFleet

/// Disk use per mount (`df -P`) vs per-host thresholds in `configs/disk/<host>`.
///
/// Reference lines `MOUNTPOINT PERCENT`: alert when the mount is fuller than
/// PERCENT; a listed mount that is not mounted is a finding too.
public struct DiskCheck: DriftCheck {
    public let name = "disk"
    public let referenceKind = "disk"

    public init() {}

    /// One `df -P` row.
    public struct Usage: Sendable, Equatable {
        public var filesystem: String
        public var usedPercent: Int
        public var mount: String
    }

    static func thresholds(_ b: Baseline) throws(BaselineError) -> [(mount: String, percent: Int)] {
        try b.lines.map { line throws(BaselineError) in
            let f = line.fields
            guard f.count == 2, f[0].hasPrefix("/"), let p = Int(f[1].trimmingCharacters(in: CharacterSet(charactersIn: "%"))), (0...100).contains(p) else {
                throw b.error(line, "expected 'MOUNTPOINT PERCENT', e.g. '/ 90'")
            }
            return (f[0], p)
        }
    }

    public func plan(host: String, references: References) -> CollectionPlan {
        switch reference(host: host, references: references, Self.thresholds) {
        case .failure(let box): return .done(box.result)
        case .success(let (baseline, _)): return .run(argv: ["df", "-P"], reference: baseline)
        }
    }

    public func evaluate(host: String, output: CommandResult, reference: Baseline?) -> CheckResult {
        guard let reference, let limits = try? Self.thresholds(reference) else { return failed(host, "no usable reference") }
        let usage = Self.parse(outputText(output))
        if usage.isEmpty { return failed(host, "df printed no mounts (exit \(output.exitStatus)): \(stderrExcerpt(output))") }
        var items: [DriftItem] = []
        var seen: [String] = []
        for limit in limits {
            guard let u = usage.last(where: { $0.mount == limit.mount }) else {
                items.append(DriftItem(subject: limit.mount, summary: "\(limit.mount) is not mounted", params: ["mount": limit.mount]))
                continue
            }
            seen.append("\(u.mount) \(u.usedPercent)%")
            if u.usedPercent > limit.percent {
                items.append(DriftItem(subject: limit.mount, summary: "\(limit.mount) is \(u.usedPercent)% full (threshold \(limit.percent)%)",
                                       params: ["mount": limit.mount], observed: "\(u.usedPercent)%"))
            }
        }
        return .compared(host: host, check: name, items: items, okDetail: seen.joined(separator: ", "))
    }

    /// Parses `df -P`: the header is skipped, mount points may contain blanks.
    public static func parse(_ text: String) -> [Usage] {
        text.split(separator: "\n").compactMap { line in
            let f = fields(line)
            guard f.count >= 6, let capacity = f.firstIndex(where: { $0.hasSuffix("%") && Int($0.dropLast()) != nil }),
                  capacity >= 4, capacity + 1 < f.count else { return nil }
            return Usage(filesystem: f[0], usedPercent: Int(f[capacity].dropLast())!, mount: f[(capacity + 1)...].joined(separator: " "))
        }
    }
}
