import Foundation
import LunaFleet

/// What a check needs run on a host, decided before anything runs.
public enum CollectionPlan: Sendable {
    /// Run this argv (read-only) on the host and evaluate its output against `reference`.
    case run(argv: [String], reference: Baseline?)
    /// No command is needed: the result is already known (unavailable, misconfigured).
    case done(CheckResult)
}

/// One drift check: a read-only collection plus a pure parser and comparison.
///
/// Collection and evaluation are split so that a transport can batch the
/// collections of one host into one round trip, and so that parsers are tested
/// on recorded outputs without any host.
public protocol DriftCheck: Sendable {
    /// The check's name as used in configs, findings and `luna scan --check`.
    var name: String { get }
    /// The reference kind: the folder under `configs/` holding per-host references.
    var referenceKind: String { get }
    /// Whether the collection only works as root (host keys, `/etc/sudoers`, the
    /// journal, a daemon's socket). Such a check names its program by absolute path
    /// (luna's `PATH` on a stock host has no `/usr/sbin`), and the scan runs it
    /// through `sudo -n -u root --` only when the host's declared read set allows
    /// exactly that argv.
    var needsRoot: Bool { get }
    /// The sudoers command (program and arguments, as a `Cmnd_Alias` entry) that
    /// allows exactly the collection `argv` of this check, or nil when sudoers cannot
    /// say it without allowing more.
    func sudoersCommand(for argv: [String]) -> String?
    /// Decides what to run on `host`, given its reference.
    func plan(host: String, references: References) -> CollectionPlan
    /// Compares the collected output with the reference.
    func evaluate(host: String, output: CommandResult, reference: Baseline?) -> CheckResult

    /// Like `evaluate(host:output:reference:)`, at a given time: for checks whose
    /// verdict depends on the clock (certificate expiry, backup age). The scan passes
    /// the agent's clock, so a test clock decides them too.
    func evaluate(host: String, output: CommandResult, reference: Baseline?, now: Date) -> CheckResult
}

extension DriftCheck {
    /// Unprivileged unless the check says otherwise.
    public var needsRoot: Bool { false }

    /// The argv itself, escaped for sudoers (``SudoersCommand/literal(_:)``).
    public func sudoersCommand(for argv: [String]) -> String? { SudoersCommand.literal(argv) }

    /// A result saying the check cannot run, with the reason.
    public func unavailable(_ host: String, _ reason: String) -> CheckResult {
        CheckResult(host: host, check: name, status: .unavailable, detail: reason)
    }

    /// A result saying the check failed, with the reason.
    public func failed(_ host: String, _ reason: String) -> CheckResult {
        CheckResult(host: host, check: name, status: .error, detail: reason)
    }

    /// Loads the reference or turns its absence or a parse error into a result.
    func requireReference(host: String, references: References) -> Result<Baseline, CheckResultBox> {
        do {
            guard let baseline = try references.load(kind: referenceKind, host: host) else {
                return .failure(CheckResultBox(unavailable(host, "no reference at \(references.path(kind: referenceKind, host: host))")))
            }
            return .success(baseline)
        } catch {
            return .failure(CheckResultBox(failed(host, "bad reference: \(error)")))
        }
    }

    /// Runs the check on one executor (one round trip for this check).
    public func run(host: String, executor: any Executor, references: References, timeout: Duration = .seconds(60)) -> CheckResult {
        switch plan(host: host, references: references) {
        case .done(let result):
            return result
        case .run(let argv, let reference):
            do {
                let output = try executor.run(argv, timeout: timeout)
                if output.timedOut {
                    return failed(host, "\(argv[0]) timed out after \(Int(output.duration)) s")
                }
                if output.exitStatus == 127 {
                    return unavailable(host, "\(argv[0]) not installed")
                }
                if output.stdoutTruncated { return failed(host, cutMessage(argv, output)) }
                return evaluate(host: host, output: output, reference: reference)
            } catch {
                if error.kind == .programNotFound {
                    return unavailable(host, "\((argv[0] as NSString).lastPathComponent) not installed")
                }
                return failed(host, error.description)
            }
        }
    }
}

extension DriftCheck {
    /// Checks that do not depend on the clock ignore it.
    public func evaluate(host: String, output: CommandResult, reference: Baseline?, now: Date) -> CheckResult {
        evaluate(host: host, output: output, reference: reference)
    }
}

/// Boxes a result so it can travel as a `Result` failure.
public struct CheckResultBox: Error {
    public var result: CheckResult
    init(_ result: CheckResult) { self.result = result }
}

/// The checks this build knows, by name.
public enum CheckCatalog {
    /// Every check, in report order.
    public static let all: [any DriftCheck] = [
        PortsCheck(), SSHDCheck(), FileModeCheck(), ServicesCheck(),
        SudoersCheck(),
        SudoAuditCheck(),
        SecretsCheck(),
        AuthFailuresCheck(),
        SUIDCheck(),
        CronCheck(),
        HandshakeCheck(),
        TLSCheck(),
        DiskCheck(),
        MemoryCheck(),
        ContainersCheck(),
        BackupCheck(),
        QuorumCheck(),
        QDeviceCheck(),
        DNSCheck(),
        VPNCheck(),
        GitLagCheck(),
    ]

    /// The check called `name`, or nil.
    public static func named(_ name: String) -> (any DriftCheck)? {
        all.first { $0.name == name }
    }

    /// The names of every check.
    public static var names: [String] { all.map(\.name) }
}

/// Text from command output: lossy UTF-8 with a note when it was cut.
func outputText(_ output: CommandResult) -> String {
    var text = output.stdoutText
    if output.stdoutTruncated { text += "\n[output truncated]" }
    return text
}

/// Why a collection whose output hit the size limit is an error: a listing cut
/// short would report present things as gone and resolve findings it never saw.
func cutMessage(_ argv: [String], _ output: CommandResult) -> String {
    "\(argv[0]) printed more than the \(output.stdout.count)-byte output limit, so its listing is incomplete and nothing "
        + "is concluded from it (raise output_limit_bytes in [luna])"
}

/// A short excerpt of stderr for error messages.
func stderrExcerpt(_ output: CommandResult) -> String {
    let text = output.stderrText.trimmingCharacters(in: .whitespacesAndNewlines)
    return text.count > 300 ? String(text.prefix(300)) + "…" : text
}
