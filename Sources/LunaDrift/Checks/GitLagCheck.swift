import Foundation
import LunaFleet

/// Git repo update lag: each tracked repo's HEAD vs its upstream's HEAD, in commits behind.
///
/// Reference `configs/gitlag/<host>`: `repo PATH [MAX_BEHIND]` (default 0).
/// Read-only: nothing is fetched. Per repo, one `CommandSequence` runs
/// `for-each-ref` (HEAD and its upstream), `ls-remote` (the upstream's HEAD
/// now), `rev-parse @{u}` and `rev-list --count HEAD..@{u}`. When the upstream
/// moved past the last fetch, the count is a lower bound and says so.
public struct GitLagCheck: DriftCheck {
    public let name = "gitlag"
    public let referenceKind = "gitlag"

    public init() {}

    static func repos(_ b: Baseline) throws(BaselineError) -> [(path: String, max: Int)] {
        try b.requireKeywords(["repo"])
        return try b.entries("repo").map { e throws(BaselineError) in
            guard (1...2).contains(e.args.count), e.args[0].hasPrefix("/"), e.args.count == 1 || (Int(e.args[1]) ?? -1) >= 0 else {
                throw b.error(e.line, "expected 'repo /ABSOLUTE/PATH [MAX_BEHIND]'")
            }
            return (e.args[0], e.args.count == 2 ? Int(e.args[1])! : 0)
        }
    }

    static func steps(_ path: String) -> [CommandSequence.Step] {
        [
            .init(label: path + " head", argv: ["git", "-C", path, "for-each-ref",
                                                "--format=%(HEAD)|%(objectname)|%(upstream:remoteref)|%(upstream)", "refs/heads"]),
            .init(label: path + " upstream", argv: ["git", "-C", path, "rev-parse", "@{u}"]),
            .init(label: path + " behind", argv: ["git", "-C", path, "rev-list", "--count", "HEAD..@{u}"]),
            .init(label: path + " remote", argv: ["git", "-C", path, "ls-remote"]),
        ]
    }

    public func plan(host: String, references: References) -> CollectionPlan {
        switch reference(host: host, references: references, Self.repos) {
        case .failure(let box):
            return .done(box.result)
        case .success(let (baseline, repos)):
            guard !repos.isEmpty else { return .done(unavailable(host, "\(baseline.file) lists no repo")) }
            guard let argv = CommandSequence.argv(repos.flatMap { Self.steps($0.path) }) else {
                return .done(failed(host, "bad reference: a path cannot be passed safely"))
            }
            return .run(argv: argv, reference: baseline)
        }
    }

    /// What one repo's steps say.
    public struct Lag: Sendable, Equatable {
        /// Commits behind (a lower bound when `exact` is false).
        public var behind: Int
        public var exact: Bool
    }

    /// Computes the lag from one repo's step outputs, or the reason it cannot.
    public static func lag(head: String, upstream: String, behind: String, remote: String) -> Result<Lag, LagError> {
        guard let current = head.split(separator: "\n").first(where: { $0.hasPrefix("*|") }) else {
            return .failure(LagError(message: "no branch checked out (detached HEAD or not a repository)"))
        }
        let parts = current.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 4, !parts[2].isEmpty else { return .failure(LagError(message: "the branch has no upstream")) }
        let local = parts[1]
        guard let remoteHead = remote.split(separator: "\n").compactMap({ line -> String? in
            let f = fields(line)
            return f.count == 2 && f[1] == parts[2] ? f[0] : nil
        }).first else {
            return .failure(LagError(message: "ls-remote does not list \(parts[2])"))
        }
        if remoteHead == local { return .success(Lag(behind: 0, exact: true)) }
        let count = Int(behind.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        if remoteHead == upstream.trimmingCharacters(in: .whitespacesAndNewlines) { return .success(Lag(behind: count, exact: true)) }
        return .success(Lag(behind: max(count, 1), exact: false))
    }

    /// Why a repo's lag could not be computed.
    public struct LagError: Error, Equatable { public var message: String }

    public func evaluate(host: String, output: CommandResult, reference: Baseline?) -> CheckResult {
        guard let reference, let repos = try? Self.repos(reference) else { return failed(host, "no usable reference") }
        if CommandSequence.missing("git", stderr: output.stderrText) { return unavailable(host, "git not installed") }
        let steps = CommandSequence.split(outputText(output))
        func out(_ label: String) -> String { steps.first { $0.label == label }?.output ?? "" }
        var items: [DriftItem] = []
        var seen: [String] = []
        for repo in repos {
            switch Self.lag(head: out(repo.path + " head"), upstream: out(repo.path + " upstream"),
                            behind: out(repo.path + " behind"), remote: out(repo.path + " remote")) {
            case .failure(let e):
                items.append(DriftItem(subject: repo.path, summary: "\(repo.path): cannot compare with upstream: \(e.message)", params: ["repo": repo.path]))
            case .success(let lag):
                let text = lag.exact ? "\(lag.behind)" : "at least \(lag.behind) (upstream moved since the last fetch)"
                seen.append("\(repo.path) \(text) behind")
                if lag.behind > repo.max {
                    items.append(DriftItem(subject: repo.path, summary: "\(repo.path) is \(text) commits behind its upstream (allowed \(repo.max))",
                                           params: ["repo": repo.path], observed: String(lag.behind)))
                }
            }
        }
        return .compared(host: host, check: name, items: items, okDetail: seen.joined(separator: "; "))
    }
}
