import Foundation
import LunaFleet

/// Cluster quorum (`corosync-quorumtool -s`): the node's partition is quorate.
///
/// Reference `configs/quorum/<host>`: optional `expected_votes N` and
/// `min_nodes N`; an empty reference just enables the check.
public struct QuorumCheck: DriftCheck {
    public let name = "quorum"
    public let referenceKind = "quorum"
    /// Needs root: corosync answers its quorum service to root (or to a uidgid its configuration names).
    public var needsRoot: Bool { true }

    public init() {}

    static func limits(_ b: Baseline) throws(BaselineError) -> (votes: Int?, nodes: Int?) {
        try b.requireKeywords(["expected_votes", "min_nodes"])
        return (b.entries("expected_votes").isEmpty ? nil : try b.integer("expected_votes", default: 0),
                b.entries("min_nodes").isEmpty ? nil : try b.integer("min_nodes", default: 0))
    }

    public func plan(host: String, references: References) -> CollectionPlan {
        switch reference(host: host, references: references, Self.limits) {
        case .failure(let box): return .done(box.result)
        case .success(let (baseline, _)): return .run(argv: ["/usr/sbin/corosync-quorumtool", "-s"], reference: baseline)
        }
    }

    public func evaluate(host: String, output: CommandResult, reference: Baseline?) -> CheckResult {
        guard let reference, let limits = try? Self.limits(reference) else { return failed(host, "no usable reference") }
        let info = Self.parse(outputText(output))
        guard let quorate = info["quorate"] else {
            if output.stderrText.contains("Cannot initialize") { return unavailable(host, "corosync is not running: \(stderrExcerpt(output))") }
            return failed(host, "corosync-quorumtool exited \(output.exitStatus) without a Quorate line: \(stderrExcerpt(output))")
        }
        var items: [DriftItem] = []
        if quorate.lowercased() != "yes" {
            items.append(DriftItem(subject: "quorate", summary: "the cluster partition is not quorate (total votes \(info["total votes"] ?? "?"), quorum \(info["quorum"] ?? "?"))", observed: quorate))
        }
        if let v = limits.votes, let e = info["expected votes"].flatMap({ fields($0).first }).flatMap({ Int($0) }), e != v {
            items.append(DriftItem(subject: "expected votes", summary: "expected votes \(e), reference \(v)", observed: String(e)))
        }
        if let n = limits.nodes, let nodes = info["nodes"].flatMap({ fields($0).first }).flatMap({ Int($0) }), nodes < n {
            items.append(DriftItem(subject: "nodes", summary: "\(nodes) nodes in the partition, reference at least \(n)", observed: String(nodes)))
        }
        return .compared(host: host, check: name, items: items,
                         okDetail: "quorate, \(info["nodes"] ?? "?") nodes, total votes \(info["total votes"] ?? "?"), quorum \(info["quorum"] ?? "?")")
    }

    /// Parses the `Votequorum information` and `Quorum information` blocks into lowercased key → value.
    public static func parse(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if out[key] == nil, !key.isEmpty { out[key] = value }
        }
        return out
    }
}
