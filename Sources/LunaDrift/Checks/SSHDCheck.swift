import Foundation
import LunaFleet

/// Effective sshd settings (`sshd -T`) vs `configs/sshd/<host>` (lines `keyword value`).
///
/// Only keywords named in the reference are compared; values compare
/// case-insensitively, as sshd prints them lowercased. The reference may not
/// weaken the hardening policy (`SSHDCheck.policy`) silently: a weaker value
/// needs an inline exception with its reason, e.g.
/// `permitrootlogin prohibit-password  # exception: backup pulls`; exceptions
/// are named in the report. A capture never writes one: it refuses a weaker live
/// value, or (accepted) records the policy's value so the finding is waived instead.
public struct SSHDCheck: DriftCheck {
    public let name = "sshd"
    public let referenceKind = "sshd"
    /// `sshd -T` reads the host keys, which only root can.
    public var needsRoot: Bool { true }
    /// The collection: sshd's effective settings.
    public static let argv = ["/usr/sbin/sshd", "-T"]

    public init() {}

    public func plan(host: String, references: References) -> CollectionPlan {
        switch requireReference(host: host, references: references) {
        case .failure(let box): return .done(box.result)
        case .success(let baseline):
            do { _ = try Self.expectations(baseline) } catch { return .done(failed(host, "bad reference: \(error)")) }
            return .run(argv: Self.argv, reference: baseline)
        }
    }

    public func evaluate(host: String, output: CommandResult, reference: Baseline?) -> CheckResult {
        guard output.exitStatus == 0 else {
            return failed(host, "sshd -T exited \(output.exitStatus): \(stderrExcerpt(output))")
        }
        let live = Self.parse(outputText(output))
        guard !live.isEmpty else { return failed(host, "sshd -T printed no settings") }
        var items: [DriftItem] = []
        var exceptions: [String] = []
        let expectations: [Expectation]
        do {
            expectations = try Self.expectations(reference)
        } catch {
            return failed(host, "bad reference: \(error)")
        }
        for e in expectations {
            if let reason = e.exception { exceptions.append("\(e.key) \(e.value) (exception: \(reason))") }
            let actual = live[e.key]
            if actual?.lowercased() != e.value.lowercased() {
                let note = e.exception.map { " (exception: \($0))" } ?? ""
                items.append(DriftItem(
                    subject: e.key,
                    summary: "\(e.key): expected \(e.value)\(note), found \(actual ?? "(not set)")",
                    params: ["setting": e.key, "expected": e.value],
                    observed: actual ?? ""))
            }
        }
        var okDetail = "\(expectations.count) settings match the reference"
        if !exceptions.isEmpty { okDetail += "; exceptions: " + exceptions.joined(separator: "; ") }
        return .compared(host: host, check: name, items: items, okDetail: okDetail)
    }

    /// The hardening policy: a reference line for one of these keywords with
    /// another value must say `# exception: REASON`.
    public static let policy: [String: String] = [
        "permitrootlogin": "no", "passwordauthentication": "no", "kbdinteractiveauthentication": "no",
        "challengeresponseauthentication": "no", "permitemptypasswords": "no", "pubkeyauthentication": "yes",
        "x11forwarding": "no", "hostbasedauthentication": "no", "ignorerhosts": "yes",
    ]

    /// One reference line: keyword, value and the exception's reason, if any.
    struct Expectation: Equatable {
        var key: String
        var value: String
        var exception: String?
    }

    /// Parses the reference; a silent weakening of the policy is an error naming file:line.
    static func expectations(_ reference: Baseline?) throws(BaselineError) -> [Expectation] {
        guard let reference else { return [] }
        var out: [Expectation] = []
        for line in reference.lines {
            let (text, comment) = line.withoutComment
            let f = fields(text)
            guard f.count >= 2 else {
                throw reference.error(line, "expected 'keyword value', found '\(text)'")
            }
            let key = f[0].lowercased()
            let value = f[1...].joined(separator: " ")
            var exception: String? = nil
            if let comment, comment.lowercased().hasPrefix("exception:") {
                exception = String(comment.dropFirst("exception:".count)).trimmingCharacters(in: .whitespaces)
                if exception!.isEmpty { throw reference.error(line, "an exception needs its reason after 'exception:'") }
            }
            if let required = policy[key], required != value.lowercased(), exception == nil {
                throw reference.error(line, "\(key) \(value) weakens the hardening policy (\(required)); "
                    + "mark it '# exception: REASON' if this host needs it")
            }
            out.append(Expectation(key: key, value: value, exception: exception))
        }
        return out
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
