import Foundation
import LunaCodec
import LunaFleet

/// Backup freshness: the newest snapshot per backup group from the Proxmox Backup Server client.
///
/// Reference `configs/backup/<host>`: `repository REPO` (passed to
/// `--repository`; the password comes from the environment the client
/// expects, `PBS_PASSWORD`/`PBS_PASSWORD_FILE`), optional `max_age_hours N`
/// (default 24) and `group TYPE/ID` lines (groups that must exist; all groups
/// seen are checked). Collects `proxmox-backup-client snapshot list --output-format json`.
public struct BackupCheck: DriftCheck {
    public let name = "backup"
    public let referenceKind = "backup"

    public init() {}

    struct Settings { var repository: String; var maxAgeHours: Int; var groups: [String] }

    static func settings(_ b: Baseline) throws(BaselineError) -> Settings {
        try b.requireKeywords(["repository", "max_age_hours", "group"])
        let form = "repository USER@REALM!TOKEN@HOST:DATASTORE"
        guard let r = try b.single("repository") else {
            throw BaselineError(file: b.file, line: 0, message: "needs '\(form)'")
        }
        guard r.args.count == 1, !r.args[0].hasPrefix("-") else { throw b.error(r.line, "expected '\(form)'") }
        return Settings(repository: r.args[0], maxAgeHours: try b.integer("max_age_hours", default: 24, range: 1...100_000),
                        groups: try b.arguments("group", form: "group TYPE/ID, e.g. 'group vm/100'"))
    }

    public func plan(host: String, references: References) -> CollectionPlan {
        switch reference(host: host, references: references, Self.settings) {
        case .failure(let box): return .done(box.result)
        case .success(let (baseline, s)):
            return .run(argv: ["proxmox-backup-client", "snapshot", "list", "--output-format", "json", "--repository", s.repository],
                        reference: baseline)
        }
    }

    public func evaluate(host: String, output: CommandResult, reference: Baseline?) -> CheckResult {
        evaluate(host: host, output: output, reference: reference, now: Date())
    }

    public func evaluate(host: String, output: CommandResult, reference: Baseline?, now: Date) -> CheckResult {
        guard let reference, let s = try? Self.settings(reference) else { return failed(host, "no usable reference") }
        guard output.exitStatus == 0 else { return failed(host, "proxmox-backup-client exited \(output.exitStatus): \(stderrExcerpt(output))") }
        guard let newest = Self.newestPerGroup(output.stdout) else { return failed(host, "the snapshot list is not the expected JSON") }
        var items: [DriftItem] = []
        for group in Set(s.groups).union(newest.keys).sorted() {
            guard let time = newest[group] else {
                items.append(DriftItem(subject: group, summary: "backup group \(group) has no snapshot", params: ["group": group]))
                continue
            }
            let hours = Int(now.timeIntervalSince(time) / 3600)
            if hours >= s.maxAgeHours {
                items.append(DriftItem(subject: group, summary: "newest snapshot of \(group) is \(hours) h old (threshold \(s.maxAgeHours) h)",
                                       params: ["group": group], observed: String(hours)))
            }
        }
        return .compared(host: host, check: name, items: items, okDetail: "\(newest.count) backup groups, each with a snapshot under \(s.maxAgeHours) h")
    }

    /// Newest `backup-time` per `backup-type/backup-id` (namespaced groups as `ns/TYPE/ID`); nil when not a JSON array.
    public static func newestPerGroup(_ data: Data) -> [String: Date]? {
        guard let array = (try? JSONValue.parse(data))?.arrayValue, array.allSatisfy({ $0.objectValue != nil }) else { return nil }
        var out: [String: Date] = [:]
        for o in array {
            guard let type = o["backup-type"]?.stringValue, let id = o["backup-id"]?.stringValue,
                  let t = o["backup-time"]?.doubleValue else { continue }
            let ns = o["ns"]?.stringValue.map { $0.isEmpty ? "" : $0 + "/" } ?? ""
            let group = ns + type + "/" + id
            let date = Date(timeIntervalSince1970: t)
            if out[group].map({ $0 < date }) ?? true { out[group] = date }
        }
        return out
    }
}
