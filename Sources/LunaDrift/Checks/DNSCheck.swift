import Foundation
import LunaFleet

/// Each configured resolver answers for each configured name (`dig +short @RESOLVER NAME`).
///
/// Reference `configs/dns/<host>`: `resolver ADDRESS[#PORT]` and `name NAME [TYPE]`
/// lines. All queries run in one argv (`CommandSequence`). A resolver that
/// times out, refuses, or answers nothing for a name is a finding.
public struct DNSCheck: DriftCheck {
    public let name = "dns"
    public let referenceKind = "dns"

    public init() {}

    struct Query: Equatable { var resolver: String; var name: String; var type: String; var label: String { "@\(resolver) \(name) \(type)" } }

    static func queries(_ b: Baseline) throws(BaselineError) -> [Query] {
        try b.requireKeywords(["resolver", "name"])
        var resolvers: [String] = []
        for e in b.entries("resolver") {
            let parts = e.args.first?.split(separator: "#", omittingEmptySubsequences: false) ?? []
            guard e.args.count == 1, !e.args[0].hasPrefix("-"), parts.count <= 2, parts.count == 1 || UInt16(parts[1]) != nil else {
                throw b.error(e.line, "expected 'resolver ADDRESS[#PORT]'")
            }
            resolvers.append(e.args[0])
        }
        var names: [(String, String)] = []
        for e in b.entries("name") {
            guard (1...2).contains(e.args.count), !e.args[0].hasPrefix("-"), e.args.allSatisfy({ !$0.hasPrefix("+") && !$0.hasPrefix("@") }),
                  e.args.count == 1 || e.args[1].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
                throw b.error(e.line, "expected 'name NAME [TYPE]'")
            }
            names.append((e.args[0], e.args.count == 2 ? e.args[1].uppercased() : "A"))
        }
        return resolvers.flatMap { r in names.map { Query(resolver: r, name: $0.0, type: $0.1) } }
    }

    public func plan(host: String, references: References) -> CollectionPlan {
        switch reference(host: host, references: references, Self.queries) {
        case .failure(let box):
            return .done(box.result)
        case .success(let (baseline, queries)):
            guard !queries.isEmpty else { return .done(unavailable(host, "\(baseline.file) needs at least one resolver and one name")) }
            let steps = queries.map { q in
                // `ADDRESS#PORT` as dig prints it: the port goes to -p.
                let parts = q.resolver.split(separator: "#", maxSplits: 1).map(String.init)
                let port = parts.count == 2 ? ["-p", parts[1]] : []
                return CommandSequence.Step(label: q.label, argv: ["dig", "+short", "+time=2", "+tries=1"] + port + ["@" + parts[0], q.name, q.type])
            }
            guard let argv = CommandSequence.argv(steps) else { return .done(failed(host, "bad reference: a value cannot be passed safely")) }
            return .run(argv: argv, reference: baseline)
        }
    }

    public func evaluate(host: String, output: CommandResult, reference: Baseline?) -> CheckResult {
        guard let reference, let queries = try? Self.queries(reference) else { return failed(host, "no usable reference") }
        if CommandSequence.missing("dig", stderr: output.stderrText) { return unavailable(host, "dig not installed (package dnsutils / bind9-dnsutils)") }
        let steps = CommandSequence.split(outputText(output))
        var items: [DriftItem] = []
        var answered: [String] = []
        for q in queries {
            let step = steps.first { $0.label == q.label }
            let answers = step.map { Self.answers($0.output) } ?? []
            if step?.succeeded == true && !answers.isEmpty {
                answered.append("\(q.label) → \(answers.prefix(3).joined(separator: " "))")
            } else {
                let why = step == nil ? "not queried" : step!.succeeded == false ? "no answer (\(Self.errorLine(step!.output)))" : "empty answer"
                items.append(DriftItem(subject: q.label, summary: "resolver \(q.resolver) gave \(why) for \(q.name) \(q.type)",
                                       params: ["resolver": q.resolver, "name": q.name]))
            }
        }
        return .compared(host: host, check: name, items: items, okDetail: answered.joined(separator: "; "))
    }

    /// The answer lines of `dig +short` (comments such as `;; connection timed out` dropped).
    public static func answers(_ text: String) -> [String] {
        text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && !$0.hasPrefix(";") }
    }

    static func errorLine(_ text: String) -> String {
        text.split(separator: "\n").first { $0.hasPrefix(";;") }.map { String($0.dropFirst(2)).trimmingCharacters(in: .whitespaces) } ?? "dig failed"
    }
}
