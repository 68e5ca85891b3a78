import Foundation
import LunaFleet

/// Quorum device reachability (`corosync-qdevice-tool -s`): the qnetd server is connected.
///
/// Reference `configs/qdevice/<host>`: empty, or `qnetd ADDRESS` to also check
/// the server address the node reports.
public struct QDeviceCheck: DriftCheck {
    public let name = "qdevice"
    public let referenceKind = "qdevice"
    /// Needs root: the qdevice daemon's socket is root's.
    public var needsRoot: Bool { true }

    public init() {}

    public func plan(host: String, references: References) -> CollectionPlan {
        switch reference(host: host, references: references, Self.server) {
        case .failure(let box): return .done(box.result)
        case .success(let (baseline, _)): return .run(argv: ["/usr/sbin/corosync-qdevice-tool", "-s"], reference: baseline)
        }
    }

    /// The expected qnetd server: at most one `qnetd HOST` line.
    static func server(_ b: Baseline) throws(BaselineError) -> String? {
        try b.requireKeywords(["qnetd"])
        _ = try b.single("qnetd")
        return try b.arguments("qnetd", form: "qnetd HOST").first
    }

    public func evaluate(host: String, output: CommandResult, reference: Baseline?) -> CheckResult {
        let expectedServer: String?
        do {
            expectedServer = try reference.flatMap(Self.server)
        } catch {
            return failed(host, "bad reference: \(error)")
        }
        let info = QuorumCheck.parse(outputText(output))
        guard let state = info["state"] else {
            if output.stderrText.contains("Can't connect") || output.stderrText.contains("Cannot") {
                return unavailable(host, "corosync-qdevice is not running: \(stderrExcerpt(output))")
            }
            return failed(host, "corosync-qdevice-tool exited \(output.exitStatus) without a State line: \(stderrExcerpt(output))")
        }
        var items: [DriftItem] = []
        if state.lowercased() != "connected" {
            items.append(DriftItem(subject: "qnetd", summary: "the quorum device is \(state), not Connected", observed: state))
        }
        if let expected = expectedServer, let server = info["qnetd host"], !server.hasPrefix(expected) {
            items.append(DriftItem(subject: "server", summary: "qnetd server \(server), reference \(expected)", observed: server))
        }
        return .compared(host: host, check: name, items: items, okDetail: "quorum device connected to \(info["qnetd host"] ?? "?")")
    }
}
