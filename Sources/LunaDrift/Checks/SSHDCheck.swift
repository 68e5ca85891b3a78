import Foundation
import LunaFleet

/// Effective sshd settings (`sshd -T`) vs `configs/sshd/<host>` (lines `keyword value`).
///
/// Only keywords named in the reference are compared; values compare
/// case-insensitively, as sshd prints them lowercased.
public struct SSHDCheck: DriftCheck {
    public let name = "sshd"
    public let referenceKind = "sshd"

    public init() {}

    public func plan(host: String, references: References) -> CollectionPlan {
        switch requireReference(host: host, references: references) {
        case .failure(let box): return .done(box.result)
        case .success(let baseline): return .run(argv: ["sshd", "-T"], reference: baseline)
        }
    }

    public func evaluate(host: String, output: CommandResult, reference: Baseline?) -> CheckResult {
        guard output.exitStatus == 0 else {
            return failed(host, "sshd -T exited \(output.exitStatus): \(stderrExcerpt(output))")
        }
        let live = Self.parse(outputText(output))
        guard !live.isEmpty else { return failed(host, "sshd -T printed no settings") }
        var items: [DriftItem] = []
        for line in reference?.lines ?? [] {
            let fields = line.fields
            guard fields.count >= 2 else { continue }
            let key = fields[0].lowercased()
            let expected = fields[1...].joined(separator: " ")
            let actual = live[key]
            if actual?.lowercased() != expected.lowercased() {
                items.append(DriftItem(
                    subject: key,
                    summary: "\(key): expected \(expected), found \(actual ?? "(not set)")",
                    params: ["setting": key, "expected": expected],
                    observed: actual ?? ""))
            }
        }
        let compared = reference?.lines.count ?? 0
        return .compared(host: host, check: name, items: items, okDetail: "\(compared) settings match the reference")
    }

    /// Parses `sshd -T` output into keyword → value (the first value of repeated keywords is kept).
    public static func parse(_ text: String) -> [String: String] {
        var settings: [String: String] = [:]
        for raw in text.split(separator: "\n") {
            let line = raw.trimmingCharacters(in: .whitespaces)
            guard let space = line.firstIndex(of: " ") else { continue }
            let key = line[..<space].lowercased()
            let value = line[line.index(after: space)...].trimmingCharacters(in: .whitespaces)
            if settings[key] == nil { settings[key] = value }
        }
        return settings
    }
}
