import Foundation
import LunaCodec
import LunaFleet

/// Mesh VPN: every expected node is online (`tailscale status --json`).
///
/// Reference `configs/vpn/<host>`: `node NAME` lines (the Tailscale host name,
/// or the first label of its MagicDNS name).
public struct VPNCheck: DriftCheck {
    public let name = "vpn"
    public let referenceKind = "vpn"

    public init() {}

    public func plan(host: String, references: References) -> CollectionPlan {
        switch reference(host: host, references: references, Self.nodes) {
        case .failure(let box): return .done(box.result)
        case .success(let (baseline, _)): return .run(argv: ["tailscale", "status", "--json"], reference: baseline)
        }
    }

    /// The expected nodes: `node NAME` lines, one name each.
    static func nodes(_ b: Baseline) throws(BaselineError) -> [String] {
        try b.requireKeywords(["node"])
        return try b.arguments("node", form: "node NAME").map { $0.lowercased() }
    }

    public func evaluate(host: String, output: CommandResult, reference: Baseline?) -> CheckResult {
        let expected: [String]
        do {
            expected = try reference.map(Self.nodes) ?? []
        } catch {
            return failed(host, "bad reference: \(error)")
        }
        guard let status = Self.parse(output.stdout) else {
            if output.stderrText.contains("failed to connect to local tailscaled") || output.stderrText.contains("tailscaled") {
                return unavailable(host, "tailscaled is not running: \(stderrExcerpt(output))")
            }
            return failed(host, "tailscale status exited \(output.exitStatus) without JSON: \(stderrExcerpt(output))")
        }
        if status.backend != "Running" {
            return .compared(host: host, check: name, items: [DriftItem(subject: "backend", summary: "tailscale is \(status.backend), not Running", observed: status.backend)], okDetail: "")
        }
        var items: [DriftItem] = []
        for node in expected {
            guard let online = status.nodes[node] else {
                items.append(DriftItem(subject: node, summary: "node \(node) is not in the tailnet", params: ["node": node]))
                continue
            }
            if !online { items.append(DriftItem(subject: node, summary: "node \(node) is offline", params: ["node": node], observed: "offline")) }
        }
        return .compared(host: host, check: name, items: items, okDetail: "\(expected.count) expected nodes online (\(status.nodes.count) in the tailnet)")
    }

    /// Backend state and node name → online, from `tailscale status --json`; nil when not that JSON.
    public static func parse(_ data: Data) -> (backend: String, nodes: [String: Bool])? {
        guard let o = try? JSONValue.parse(data), o.objectValue != nil, let backend = o["BackendState"]?.stringValue else { return nil }
        var nodes: [String: Bool] = [:]
        var all: [JSONValue] = []
        if let peers = o["Peer"]?.objectValue, peers.values.allSatisfy({ $0.objectValue != nil }) { all = Array(peers.values) }
        if let me = o["Self"], me.objectValue != nil { all.append(me) }
        for peer in all {
            let online = peer["Online"]?.boolValue ?? false
            if let h = peer["HostName"]?.stringValue { nodes[h.lowercased()] = online || nodes[h.lowercased()] == true }
            if let dns = peer["DNSName"]?.stringValue, let label = dns.split(separator: ".").first {
                nodes[label.lowercased()] = online || nodes[label.lowercased()] == true
            }
        }
        return (backend, nodes)
    }
}
