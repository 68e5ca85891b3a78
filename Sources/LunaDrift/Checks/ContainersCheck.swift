import Foundation
import LunaCodec
import LunaFleet

/// Containers (docker or podman): restart loops and unhealthy state.
///
/// Reference `configs/containers/<host>`: `engine docker|podman`, optional
/// `max_restarts N` (podman reports a restart count; default 3) and
/// `expect NAME` lines (a container that must exist and run). Collects
/// `ENGINE ps -a --format json` — docker prints one object a line, podman one array.
public struct ContainersCheck: DriftCheck {
    public let name = "containers"
    public let referenceKind = "containers"
    /// Needs root: the engine's socket is root's (the docker group is root by another name).
    public var needsRoot: Bool { true }

    public init() {}

    /// One container as `ps --format json` reports it.
    public struct Container: Sendable, Equatable {
        public var name: String
        public var state: String
        public var status: String
        public var restarts: Int?
    }

    struct Settings { var engine: String; var maxRestarts: Int; var expected: [String] }

    static func settings(_ b: Baseline) throws(BaselineError) -> Settings {
        try b.requireKeywords(["engine", "max_restarts", "expect"])
        guard let e = try b.single("engine") else {
            throw BaselineError(file: b.file, line: 0, message: "needs 'engine docker' or 'engine podman'")
        }
        guard e.args.count == 1, ["docker", "podman"].contains(e.args[0]) else {
            throw b.error(e.line, "expected 'engine docker' or 'engine podman'")
        }
        return Settings(engine: e.args[0], maxRestarts: try b.integer("max_restarts", default: 3),
                        expected: try b.arguments("expect", form: "expect CONTAINER_NAME"))
    }

    public func plan(host: String, references: References) -> CollectionPlan {
        switch reference(host: host, references: references, Self.settings) {
        case .failure(let box): return .done(box.result)
        case .success(let (baseline, s)): return .run(argv: Self.argv(engine: s.engine), reference: baseline)
        }
    }

    /// The collection: the engine by absolute path (the read set names it so).
    static func argv(engine: String) -> [String] { ["/usr/bin/" + engine, "ps", "-a", "--format", "json"] }

    public func evaluate(host: String, output: CommandResult, reference: Baseline?) -> CheckResult {
        guard let reference, let s = try? Self.settings(reference) else { return failed(host, "no usable reference") }
        guard output.exitStatus == 0 else {
            let err = output.stderrText
            if err.contains("Cannot connect to the Docker daemon") || err.contains("unable to connect to Podman") {
                return unavailable(host, "the \(s.engine) daemon is not running: \(stderrExcerpt(output))")
            }
            return failed(host, "\(s.engine) ps exited \(output.exitStatus): \(stderrExcerpt(output))")
        }
        guard let containers = Self.parse(output.stdout) else {
            return failed(host, "\(s.engine) ps printed output that is not JSON")
        }
        var items: [DriftItem] = []
        for c in containers.sorted(by: { $0.name < $1.name }) {
            let status = c.status.lowercased()
            if c.state.lowercased() == "restarting" || status.hasPrefix("restarting") || (c.restarts ?? 0) > s.maxRestarts {
                let count = c.restarts.map { ", \($0) restarts" } ?? ""
                items.append(DriftItem(subject: c.name + " restarting", summary: "\(c.name) is in a restart loop (\(c.status)\(count))",
                                       params: ["container": c.name], observed: c.status))
            }
            if status.contains("(unhealthy)") || status.contains("unhealthy") && !status.contains("(healthy)") {
                items.append(DriftItem(subject: c.name + " unhealthy", summary: "\(c.name) is unhealthy (\(c.status))",
                                       params: ["container": c.name], observed: c.status))
            }
        }
        for name in s.expected {
            guard let c = containers.first(where: { $0.name == name }) else {
                items.append(DriftItem(subject: name + " missing", summary: "expected container \(name) does not exist", params: ["container": name]))
                continue
            }
            if c.state.lowercased() != "running" && !items.contains(where: { $0.subject == name + " restarting" }) {
                items.append(DriftItem(subject: name + " stopped", summary: "expected container \(name) is \(c.state)",
                                       params: ["container": name], observed: c.state))
            }
        }
        return .compared(host: host, check: name, items: items, okDetail: "\(containers.count) containers, none restarting or unhealthy")
    }

    /// Parses docker's one-object-a-line or podman's array JSON; nil when it is not JSON.
    public static func parse(_ data: Data) -> [Container]? {
        let trimmed = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty { return [] }
        var objects: [JSONValue] = []
        if trimmed.hasPrefix("[") {
            guard let array = (try? JSONValue.parse(trimmed))?.arrayValue else { return nil }
            objects = array
        } else {
            for line in trimmed.split(separator: "\n") {
                guard let o = try? JSONValue.parse(String(line)) else { return nil }
                objects.append(o)
            }
        }
        guard objects.allSatisfy({ $0.objectValue != nil }) else { return nil }
        return objects.map { o in
            var name = o["Names"]?.stringValue ?? o["Names"]?.stringArrayValue?.first ?? (o["Id"]?.stringValue ?? o["ID"]?.stringValue ?? "?")
            if name.hasPrefix("/") { name.removeFirst() }
            var status = o["Status"]?.stringValue ?? ""
            if let health = o["Health"]?.stringValue, !health.isEmpty, !status.contains(health) { status += " (\(health))" }
            return Container(name: name, state: o["State"]?.stringValue ?? "", status: status,
                             restarts: o["Restarts"]?.intValue)
        }
    }
}
