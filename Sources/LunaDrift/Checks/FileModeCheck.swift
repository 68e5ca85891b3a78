import Foundation
import LunaFleet

/// File mode and owner vs `configs/files/<host>` (lines `PATH MODE OWNER:GROUP`).
///
/// `*` as MODE or OWNER:GROUP skips that comparison. A path alone is a request to
/// capture (`luna baseline capture` fills in its live mode and owner); until then the
/// check fails rather than pass it. Mode and owner drift are separate findings, so
/// each can be restored by its own reviewed action.
public struct FileModeCheck: DriftCheck {
    public let name = "files"
    public let referenceKind = "files"

    public init() {}

    /// One reference line.
    struct Expectation {
        var path: String
        /// The octal mode; nil: not compared (`*`, or not captured yet).
        var mode: String?
        /// `USER:GROUP`; nil: not compared (`*`, or not captured yet).
        var owner: String?
        /// False for a path alone: listed to be captured, not yet a reference.
        var captured = true
        /// The reference line.
        var line = 0
    }

    /// Parses the reference into expectations; a malformed line is an error naming file:line.
    ///
    /// - Parameter allowUncaptured: Accept a path alone (what a capture fills in).
    static func expectations(_ baseline: Baseline, allowUncaptured: Bool = false) throws(BaselineError) -> [Expectation] {
        try baseline.lines.map { line throws(BaselineError) -> Expectation in
            let f = line.fields
            guard f.count == 3 || (f.count == 1 && allowUncaptured) else {
                throw BaselineError(file: baseline.file, line: line.number, message: f.count == 1
                    ? "\(f[0]) has no mode and owner yet; capture them with luna baseline capture --check files"
                    : "expected 'PATH MODE OWNER:GROUP' (or a path alone, to be captured), found \(f.count) fields")
            }
            guard f[0].hasPrefix("/") else {
                throw BaselineError(file: baseline.file, line: line.number, message: "path must be absolute: \(f[0])")
            }
            if f.count == 1 { return Expectation(path: f[0], captured: false, line: line.number) }
            var mode: String? = nil
            if f[1] != "*" {
                guard let value = Int(f[1], radix: 8), (0...0o7777).contains(value) else {
                    throw BaselineError(file: baseline.file, line: line.number, message: "mode must be octal like 0640, found \(f[1])")
                }
                mode = String(format: "%04o", value)
            }
            var owner: String? = nil
            if f[2] != "*" {
                guard f[2].split(separator: ":").count == 2 else {
                    throw BaselineError(file: baseline.file, line: line.number, message: "owner must be USER:GROUP, found \(f[2])")
                }
                owner = f[2]
            }
            return Expectation(path: f[0], mode: mode, owner: owner, line: line.number)
        }
    }

    /// `stat` of the paths: `MODE|USER:GROUP|PATH` a line.
    static func statArgv(_ paths: [String]) -> [String] { ["stat", "-c", "%a|%U:%G|%n", "--"] + paths }

    /// The live mode (4 octal digits) and owner by path, from ``statArgv(_:)``'s output.
    static func parseStat(_ text: String) -> [String: (mode: String, owner: String)] {
        var live: [String: (mode: String, owner: String)] = [:]
        for raw in text.split(separator: "\n") {
            let parts = raw.split(separator: "|", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 3, let mode = Int(parts[0], radix: 8) else { continue }
            live[parts[2]] = (String(format: "%04o", mode), parts[1])
        }
        return live
    }

    public func plan(host: String, references: References) -> CollectionPlan {
        switch requireReference(host: host, references: references) {
        case .failure(let box):
            return .done(box.result)
        case .success(let baseline):
            do {
                let expectations = try Self.expectations(baseline, allowUncaptured: true)
                guard !expectations.isEmpty else { return .done(unavailable(host, "the reference \(baseline.file) lists no paths")) }
                // A path alone is a request to capture, not a reference: judging it would pass anything.
                let pending = expectations.filter { !$0.captured }
                if let first = pending.first {
                    return .done(failed(host, "\(baseline.file):\(first.line): \(pending.map(\.path).joined(separator: ", ")) "
                        + "\(pending.count == 1 ? "is" : "are") listed without a mode and owner; capture them: "
                        + "luna baseline capture --host \(host) --check files --reason TEXT"))
                }
                return .run(argv: Self.statArgv(expectations.map(\.path)), reference: baseline)
            } catch {
                return .done(failed(host, "bad reference: \(error)"))
            }
        }
    }

    public func evaluate(host: String, output: CommandResult, reference: Baseline?) -> CheckResult {
        guard let reference, let expectations = try? Self.expectations(reference) else {
            return failed(host, "no usable reference")
        }
        let live = Self.parseStat(outputText(output))
        var items: [DriftItem] = []
        for e in expectations {
            guard let found = live[e.path] else {
                items.append(DriftItem(subject: e.path + " missing", summary: "\(e.path) is missing",
                                       params: ["path": e.path]))
                continue
            }
            if let mode = e.mode, mode != found.mode {
                items.append(DriftItem(subject: e.path + " mode",
                                       summary: "\(e.path): mode \(found.mode), reference \(mode)",
                                       params: ["path": e.path, "aspect": "mode", "expected": mode],
                                       observed: found.mode))
            }
            if let owner = e.owner, owner != found.owner {
                items.append(DriftItem(subject: e.path + " owner",
                                       summary: "\(e.path): owner \(found.owner), reference \(owner)",
                                       params: ["path": e.path, "aspect": "owner", "expected": owner],
                                       observed: found.owner))
            }
        }
        if live.isEmpty && output.exitStatus != 0 && items.count != expectations.count {
            return failed(host, "stat exited \(output.exitStatus): \(stderrExcerpt(output))")
        }
        return .compared(host: host, check: name, items: items, okDetail: "\(expectations.count) paths match the reference")
    }
}
