import Foundation
import LunaConfig
import LunaModel
import LunaPolicy
import LunaText

/// The rules every request from an untrusted agent meets, the model planner's
/// tool calls and an MCP client's alike: its text may not address people or
/// use a secret, a verification must be in the declared read set, and an
/// inspection runs only what the gate allows and the operator declared read-only,
/// its output clipped and redacted.
enum UntrustedRequests {
    /// The first refusal for an input's text, or nil.
    ///
    /// - Parameter who: Who sent it, for the reason ("the model", "an MCP client").
    static func screen(_ input: ToolInput, who: String) -> String? {
        for (field, value) in input.strings.sorted(by: { $0.key < $1.key }) + input.arrays.sorted(by: { $0.key < $1.key }).flatMap({ k, v in v.map { (k, $0) } }) {
            let ns = value as NSString
            if ModelText.mentionPattern.firstMatch(in: value, range: NSRange(location: 0, length: ns.length)) != nil {
                return "'\(field)' contains a mention (@everyone, @here or <@…>); \(who) may not address people"
            }
            if value.contains("[REDACTED-") && (field == "argv" || field == "verify_argv" || field == "host") {
                return "'\(field)' contains a redaction placeholder; \(who) never sees secrets and cannot use them"
            }
        }
        return nil
    }

    /// The largest inspection output returned, in UTF-8 bytes.
    static let inspectionOutputLimit = 4000
}

/// What an inspection printed.
struct Inspection {
    var exitStatus: Int32
    /// stdout, then stderr after a `[stderr]` line, clipped and redacted.
    var output: String
    /// What the model reads: the exit status and the output as a data block.
    var text: String { "exit \(exitStatus)\n" + ModelText.dataBlock("command output", output) }
}

extension AgentService {
    /// Why a verification may not run after an action without a second approval, or nil when it may.
    func verificationRefusal(host: String, verify: [String]) -> String? {
        let v = gate.evaluate(host: host, argv: verify, runas: "root")
        guard !v.runsWithoutApproval else { return nil }
        return "verify_argv must be in the declared read set of \(host) for \(config.identity): "
            + (v.outcome == .allowed ? (v.readSet?.reason ?? "not declared read-only") : v.reasons.joined(separator: "; "))
    }

    /// Why an inspection may not run, or nil: the gate must allow it and the host's reference declare it read-only.
    func inspectionRefusal(host: String, argv: [String]) -> String? {
        let verdict = gate.evaluate(host: host, argv: argv, runas: "root")
        guard verdict.outcome == .allowed else {
            return "the gate does not allow it for \(config.identity): " + verdict.reasons.joined(separator: "; ")
        }
        // Read-only is what the operator declared in the reference, never what a heuristic guessed.
        guard verdict.runsWithoutApproval else {
            return "inspect runs only commands in the declared read set of \(host): " + (verdict.readSet?.reason ?? "not declared read-only")
        }
        return nil
    }

    /// Runs an inspection that `inspectionRefusal` allowed.
    func runInspection(_ host: HostConfig, argv: [String], redactor: Redactor) throws -> Inspection {
        let r = try actionExecutor(host, runas: "root").run(argv, timeout: .seconds(config.commandTimeoutSeconds))
        let output = Clip.utf8(r.stdoutText + (r.stderrText.isEmpty ? "" : "\n[stderr]\n" + r.stderrText), UntrustedRequests.inspectionOutputLimit)
        return Inspection(exitStatus: r.exitStatus, output: redactor.redact(output))
    }
}
