import Foundation
import LunaFleet
import LunaPolicy

/// The host's sudoers reference audited for rules that give luna more than they name.
///
/// It reads `configs/sudoers/luna-<host>` in the ops repo and runs nothing on
/// the host (a `.done` plan): the `sudoers` check already proves the deployed
/// files grant what the reference grants, so a reference that grew a wildcard,
/// a pager or a runas ALL is found here, and a deployed file that differs from
/// the reference is found there. Each risky entry (``Sudoers/audit(user:groups:host:paths:)``)
/// is a finding whose subject is the entry and why (no line number, so editing
/// other lines changes nothing), and an entry that is removed resolves it. Command paths are looked at on this machine only for a
/// `local` host.
public struct SudoAuditCheck: DriftCheck {
    public let name = "sudoaudit"
    public let referenceKind = "sudoers"
    /// The identity whose rules are audited.
    public let user: String
    /// Its groups on the host (for `%group` rules).
    public let groups: [String]
    /// Whether the host is this machine (command paths can be looked at).
    public let local: Bool

    public init(user: String = "luna", groups: [String] = [], local: Bool = false) {
        self.user = user
        self.groups = groups
        self.local = local
    }

    public func plan(host: String, references: References) -> CollectionPlan {
        .done(audit(host: host, path: references.directory + "/sudoers/luna-" + host))
    }

    /// Nothing is collected; a result handed to evaluate is the audit again.
    public func evaluate(host: String, output: CommandResult, reference: Baseline?) -> CheckResult {
        failed(host, "sudoaudit collects nothing")
    }

    /// The audit of one reference file as a check result.
    public func audit(host: String, path: String) -> CheckResult {
        guard FileManager.default.fileExists(atPath: path) else {
            return unavailable(host, "no reference at \(path)")
        }
        let sudoers: Sudoers
        do {
            sudoers = try Sudoers.load(path: path)
        } catch {
            return failed(host, "bad reference: \(error) (a reference with a syntax error allows nothing)")
        }
        let findings = sudoers.audit(user: user, groups: groups, host: host, paths: local ? .local : .remote)
        let items = findings.map { f in
            DriftItem(subject: "\(f.entry) — \(f.reason)", summary: f.description,
                      params: ["file": f.file, "line": String(f.line), "kind": f.kind])
        }
        var seen = Set<String>()
        let unique = items.filter { seen.insert($0.subject).inserted }
        return .compared(host: host, check: name, items: unique,
                         okDetail: "\(path): no rule gives \(user) more than it names")
    }
}
