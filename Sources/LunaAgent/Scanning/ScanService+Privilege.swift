import Foundation
import LunaConfig
import LunaDrift
import LunaFleet

extension AgentService {
    /// How `host`'s collections that need root run: through the same allowlist as
    /// every other privileged command.
    ///
    /// With `execution = "sudo"` a collection runs as `sudo -n -u root -- ARGV` only
    /// when the gate allows that exact argv as root *and* it is in the host's
    /// declared read set (`GateVerdict.runsWithoutApproval`); otherwise the check is
    /// `unavailable` with the line to add, in sudoers syntax, to the read alias of
    /// the host's reference. With `execution = "direct"` nothing is elevated: the
    /// collection runs as luna's own user (a host where luna is root, or the tests).
    ///
    /// - Parameter host: The host whose reference decides.
    /// - Returns: The decision for one check's collection argv.
    func collectionElevation(_ host: HostConfig) -> @Sendable (any DriftCheck, [String]) -> Elevation {
        guard config.execution == .sudo else { return { _, _ in .asIs } }
        let gate = self.gate
        let sudoPath = config.sudoPath
        let alias = config.readOnlyAliases.first ?? "LUNA_READ"
        let reference = Self.relativeReference(config, host: host.name)
        return { check, argv in
            let verdict = gate.evaluate(host: host.name, argv: argv, runas: "root")
            if verdict.runsWithoutApproval {
                return .sudo(SudoExecutor.wrap(argv, sudoPath: sudoPath, runas: "root"))
            }
            let why = verdict.readSet?.reason ?? verdict.reasons.first ?? verdict.outcome.rawValue
            guard let line = check.sudoersCommand(for: argv) else {
                return .refused("needs root, and its collection \(argv.joined(separator: " ")) cannot be written as one "
                    + "sudoers command, so it is not run (the gate: \(why))")
            }
            return .refused("needs root — add \"\(line)\" to \(alias) in \(reference) (the gate: \(why))")
        }
    }

    /// The host's sudoers reference as the operator names it: relative to the ops repo when inside it.
    static func relativeReference(_ config: LunaConfiguration, host: String) -> String {
        let path = config.sudoersDirectory + "/luna-" + host
        let root = config.opsRepo.hasSuffix("/") ? config.opsRepo : config.opsRepo + "/"
        return path.hasPrefix(root) ? String(path.dropFirst(root.count)) : path
    }
}
