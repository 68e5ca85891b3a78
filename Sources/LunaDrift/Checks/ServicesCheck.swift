import Foundation
import LunaFleet

/// Expected services are active: `systemctl is-active` for each unit in `configs/services/<host>`.
public struct ServicesCheck: DriftCheck {
    public let name = "services"
    public let referenceKind = "services"

    public init() {}

    public func plan(host: String, references: References) -> CollectionPlan {
        switch reference(host: host, references: references, Self.units) {
        case .failure(let box):
            return .done(box.result)
        case .success(let (baseline, units)):
            guard !units.isEmpty else { return .done(unavailable(host, "the reference \(baseline.file) lists no units")) }
            return .run(argv: ["systemctl", "is-active", "--"] + units, reference: baseline)
        }
    }

    /// The units of a reference: one unit name a line (an inline ` # comment`
    /// allowed). A line with more than one field, or a name systemd would not
    /// accept, is an error naming the line instead of being half-read.
    static func units(_ b: Baseline) throws(BaselineError) -> [String] {
        try b.lines.map { line throws(BaselineError) -> String in
            let f = fields(line.withoutComment.text)
            guard f.count == 1 else {
                throw b.error(line, "expected one unit name a line, e.g. 'ssh.service', found \(f.count) fields")
            }
            guard !f[0].hasPrefix("-"), f[0].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || ":_.\\-@".contains($0)) }) else {
                throw b.error(line, "'\(f[0])' is not a systemd unit name (letters, digits, ':', '_', '.', '\\', '-', '@')")
            }
            return f[0]
        }
    }

    public func evaluate(host: String, output: CommandResult, reference: Baseline?) -> CheckResult {
        let units: [String]
        do {
            units = try reference.map(Self.units) ?? []
        } catch {
            return failed(host, "bad reference: \(error)")
        }
        let states = outputText(output).split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let stderr = output.stderrText
        if stderr.contains("System has not been booted with systemd") || stderr.contains("Failed to connect to bus")
            || states.first == "offline" {
            return unavailable(host, "systemd is not running on this host")
        }
        guard states.count == units.count else {
            return failed(host, "systemctl is-active printed \(states.count) states for \(units.count) units: \(stderrExcerpt(output))")
        }
        var items: [DriftItem] = []
        for (unit, state) in zip(units, states) where state != "active" {
            items.append(DriftItem(subject: unit, summary: "\(unit) is \(state), expected active",
                                   params: ["unit": unit], observed: state))
        }
        return .compared(host: host, check: name, items: items, okDetail: "\(units.count) services active")
    }
}
