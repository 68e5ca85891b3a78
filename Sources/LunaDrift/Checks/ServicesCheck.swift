import Foundation
import LunaFleet

/// Expected services are active: `systemctl is-active` for each unit in `configs/services/<host>`.
public struct ServicesCheck: DriftCheck {
    public let name = "services"
    public let referenceKind = "services"

    public init() {}

    public func plan(host: String, references: References) -> CollectionPlan {
        switch requireReference(host: host, references: references) {
        case .failure(let box):
            return .done(box.result)
        case .success(let baseline):
            let units = baseline.lines.map { $0.fields[0] }
            guard !units.isEmpty else { return .done(unavailable(host, "the reference \(baseline.file) lists no units")) }
            return .run(argv: ["systemctl", "is-active", "--"] + units, reference: baseline)
        }
    }

    public func evaluate(host: String, output: CommandResult, reference: Baseline?) -> CheckResult {
        let units = (reference?.lines ?? []).map { $0.fields[0] }
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
