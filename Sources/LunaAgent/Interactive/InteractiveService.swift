import Foundation
import LunaCodec
import LunaConfig
import LunaDrift
import LunaMemory
import LunaModel
import LunaPolicy
import LunaStore
import LunaSystem
import LunaText

/// What an interactive agent (an MCP client such as Claude Code) does through
/// Luna: see findings, ask the gate, inspect read-only, read the recon context,
/// propose, and follow its proposal to the commit. The same rails as the model
/// planner: every input is untrusted (`UntrustedRequests`), every proposal goes
/// through `ProposalGate` and waits for the operator, every output is redacted
/// and inert. Nothing here approves, denies, executes or changes configuration.
public struct InteractiveService: AgentService {
    public let context: AgentContext

    /// Proposals one client (one source name) may have awaiting approval at once.
    public static let maxPendingPerClient = 5
    /// Proposals all MCP clients together may have awaiting approval at once (a client's
    /// name is self-reported, so new names cannot flood the operator's queue).
    public static let maxPendingAllClients = 20

    public init(context: AgentContext) { self.context = context }

    /// A tool's answer: the text for the client's model, the structured result, and whether it was refused or failed.
    public struct Answer: Sendable, Equatable {
        public var text: String
        public var structured: JSONValue
        public var isError: Bool
    }

    /// Runs one tool for `source` (`mcp:<client name>`); a refusal is an answer with `isError`.
    ///
    /// - Throws: Only for a failure of Luna's own state (the database); the caller reports it as an internal error.
    public func call(_ name: String, arguments: JSONValue?, source: String) throws -> Answer {
        guard let tool = InteractiveTools.all.first(where: { $0.spec.name == name }) else {
            return refused("unknown tool '\(String(name.prefix(64)))'", tool: name, source: source, input: arguments)
        }
        let input: ToolInput
        do { input = try tool.spec.validate(arguments ?? .object([:])) } catch {
            return refused(error.problems.joined(separator: "; "), tool: name, source: source, input: arguments)
        }
        if let refusal = UntrustedRequests.screen(input, who: "an MCP client") {
            return refused(refusal, tool: name, source: source, input: arguments)
        }
        let r = redactor()
        func refuse(_ reason: String) -> Answer { refused(reason, tool: name, source: source, input: arguments) }
        func knownHost(_ field: String = "host") -> HostConfig? { config.host(input.string(field)) }
        func notInInventory() -> Answer { refuse("host '\(input.string("host"))' is not in the inventory") }

        switch name {
        case InteractiveTools.findings.spec.name:
            let limit = input.integer("limit") ?? 50
            let list = try ledger.findings().filter {
                (input.strings["host"] == nil || $0.host == input.string("host")) && (input.strings["check"] == nil || $0.check == input.string("check"))
            }.sorted { $0.id > $1.id }.prefix(limit)
            let items: [JSONValue] = list.map {
                .object(["id": .int(Int($0.id)), "host": .string($0.host), "check": .string($0.check), "subject": .string($0.subject),
                         "summary": .string($0.summary), "firstSeen": .string($0.firstSeen), "lastSeen": .string($0.lastSeen),
                         "occurrence": .int(Int($0.occurrence))])
            }
            let text = list.isEmpty ? "No open findings." : list.map { "finding \($0.id) \($0.host)/\($0.check) \($0.subject): \($0.summary)" }.joined(separator: "\n")
            return answer(text, .object(["findings": .array(items)]), r)

        case InteractiveTools.scan.spec.name:
            guard let host = knownHost() else { return notInInventory() }
            var checks: [String]? = nil
            if let check = input.strings["check"] {
                guard host.checks.contains(check) else {
                    return refuse("check '\(check)' is not enabled on \(host.name) (enabled: \(host.checks.joined(separator: ", ")))")
                }
                checks = [check]
            }
            // Collected and compared only: nothing is stored, so the daemon's own scans and findings are untouched.
            let results = ScanService(context: context).collect(hosts: [host], checks: checks)
            let items: [JSONValue] = results.map { c in
                .object(["check": .string(c.check), "status": .string(c.status.rawValue), "detail": .string(Clip.utf8(c.detail, 2000)),
                         "items": .array(c.items.map { .object(["subject": .string($0.subject), "summary": .string($0.summary)]) })])
            }
            let text = results.map { "\($0.check): \($0.status.rawValue)" + ($0.items.isEmpty ? "" : "\n" + $0.items.map { "  - \($0.summary)" }.joined(separator: "\n")) }
                .joined(separator: "\n")
            return answer(text.isEmpty ? "No checks ran." : text, .object(["host": .string(host.name), "results": .array(items)]), r)

        case InteractiveTools.allowed.spec.name:
            guard knownHost() != nil else { return notInInventory() }
            let runas = input.strings["runas"] ?? "root"
            let v = gate.evaluate(host: input.string("host"), argv: input.array("argv"), runas: runas)
            let rule = v.sudo?.rule.map { "\($0.file):\($0.line): \($0.text)" }
            let structured: JSONValue = .object([
                "host": .string(input.string("host")), "identity": .string(config.identity), "runas": .string(runas),
                "outcome": .string(v.outcome.rawValue), "actionClass": .string(v.classification.actionClass.rawValue),
                "classification": .string(v.classification.reason), "reasons": .array(v.reasons.map(JSONValue.string)),
                "rule": rule.map(JSONValue.string) ?? .null, "readSet": v.readSet.map { .string($0.reason) } ?? .null,
                "runsWithoutApproval": .bool(v.runsWithoutApproval),
            ])
            return answer(v.description + (rule.map { "\n  rule: \($0)" } ?? ""), structured, r)

        case InteractiveTools.inspect.spec.name:
            guard let host = knownHost() else { return notInInventory() }
            let argv = input.array("argv")
            if let refusal = inspectionRefusal(host: host.name, argv: argv) { return refuse(refusal) }
            environment.log("\(source) inspects \(host.name): \(InertText.argv(argv))")
            let inspection: Inspection
            do { inspection = try runInspection(host, argv: argv, redactor: r) } catch {
                return answer("could not run it: \(error)", .null, r, isError: true)
            }
            return answer(inspection.text, .object(["host": .string(host.name), "argv": .array(argv.map(JSONValue.string)),
                                                    "exitStatus": .int(Int(inspection.exitStatus)), "output": .string(inspection.output)]), r)

        case InteractiveTools.proposal.spec.name:
            let id = Int64(input.integer("id") ?? 0)
            guard let p = try ledger.proposal(id) else { return refuse("no proposal \(id)") }
            return answer(try proposalText(p), try proposalJSON(p), r)

        case InteractiveTools.memorySearch.spec.name:
            guard MemoryStore.ftsQuery(input.string("query")) != nil else { return refuse("the query has no words to search for") }
            let notes = try memory.search(input.string("query"), host: input.strings["host"], limit: input.integer("limit") ?? 5)
            let items: [JSONValue] = notes.map {
                .object(["slug": .string($0.slug), "title": .string($0.title), "body": .string(Clip.utf8($0.body, 1500)),
                         "hosts": .array($0.hosts.map(JSONValue.string)), "tags": .array($0.tags.map(JSONValue.string))])
            }
            let text = notes.isEmpty ? "No notes match." : notes.map { "\($0.slug): \($0.title)\n\(Clip.utf8($0.body, 1500))" }.joined(separator: "\n---\n")
            return answer(text, .object(["notes": .array(items)]), r)

        case InteractiveTools.skills.spec.name:
            let records = try skillRegistry.records(status: "approved")
            let items: [JSONValue] = records.map {
                .object(["name": .string($0.name), "check": .string($0.check), "description": .string($0.description), "uses": .int($0.uses),
                         "successes": .int($0.successes), "failures": .int($0.failures), "verifyPasses": .int($0.verifyPasses),
                         "lastUsed": $0.lastUsed.map(JSONValue.string) ?? .null])
            }
            let text = records.isEmpty ? "No approved skills." : records.map { "\($0.name) (\($0.check)): \($0.description) — \($0.uses) uses, \($0.successes) succeeded, \($0.failures) failed" }.joined(separator: "\n")
            return answer(text, .object(["skills": .array(items)]), r)

        case InteractiveTools.references.spec.name:
            guard let host = knownHost() else { return notInInventory() }
            let files = referenceFiles(host: host.name)
            let items: [JSONValue] = files.map { f in
                .object(["path": .string(f.path), "uri": .string(f.uri), "text": .string(Clip.utf8(String(decoding: (try? SystemFile.contents(f.file, limit: 16000)) ?? [], as: UTF8.self), 16000))])
            }
            let text = files.isEmpty ? "No references for \(host.name)." : files.map { $0.path }.joined(separator: "\n")
            return answer(text, .object(["host": .string(host.name), "references": .array(items)]), r)

        case InteractiveTools.propose.spec.name:
            return try propose(input, source: source, redactor: r, refuse: refuse)

        case InteractiveTools.suggestNote.spec.name:
            if let host = input.strings["host"], config.host(host) == nil { return notInInventory() }
            let title = Recorder.oneLine(input.string("title"))
            let client = source.split(separator: ":").last.map(String.init) ?? "mcp"
            let slug = "agent/\(String(Timestamp.string(environment.now()).prefix(10)))-\(Slug.make(client, maxLength: 20, fallback: "mcp"))-\(MemoryNote.slug(from: title))"
            try memory.suggest(slug: slug, title: title, body: input.string("body"), host: input.strings["host"] ?? "",
                               tags: "agent mcp", at: Timestamp.string(environment.now()))
            return answer("note stored as a candidate for the operator's review: luna memory approve \(slug)",
                          .object(["slug": .string(slug), "status": .string("pending"), "approveWith": .string("luna memory approve \(slug)")]), r)

        default:   // draft_runbook
            return try draftRunbook(input, source: source, redactor: r, refuse: refuse)
        }
    }

    func propose(_ input: ToolInput, source: String, redactor r: Redactor, refuse: (String) -> Answer) throws -> Answer {
        let host = input.string("host")
        guard config.host(host) != nil else { return refuse("host '\(host)' is not in the inventory") }
        let waiting = try ledger.proposals(state: .awaitingApproval).filter { $0.source.isInteractiveAgent }
        let pending = waiting.filter { $0.source.rawValue == source }.count
        guard pending < Self.maxPendingPerClient else {
            return refuse("\(source) already has \(pending) proposals awaiting approval (at most \(Self.maxPendingPerClient) per client); wait for the operator")
        }
        guard waiting.count < Self.maxPendingAllClients else {
            return refuse("MCP clients already have \(waiting.count) proposals awaiting approval (at most \(Self.maxPendingAllClients) together); wait for the operator")
        }
        var finding: FindingRecord? = nil
        if let id = input.integer("finding") {
            guard let f = try ledger.finding(Int64(id)), f.state == "open" else { return refuse("no open finding \(id)") }
            guard f.host == host else { return refuse("finding \(id) is on \(f.host), not \(host)") }
            finding = f
        }
        let verify = input.array("verify_argv")
        if !verify.isEmpty, let refusal = verificationRefusal(host: host, verify: verify) { return refuse(refusal) }
        if input.strings["expect"] != nil && verify.isEmpty { return refuse("'expect' needs a verify_argv whose output it checks") }
        let gated: Proposal
        do {
            gated = try ProposalGate(context: context).propose(Ledger.NewProposal(
                finding: finding, host: host, identity: config.identity, runas: input.strings["runas"] ?? "root", argv: input.array("argv"),
                verifyArgv: verify.isEmpty ? nil : verify, expect: input.strings["expect"], rationale: input.string("rationale"),
                source: ProposalSource(rawValue: source), risk: input.string("risk")))
        } catch let error as AgentError where error.kind == .conflict {
            return refuse("not proposed: \(error.message); that proposal stands")
        }
        environment.log("\(source) proposed \(gated.id) on \(host): \(gated.state.rawValue)")
        if gated.state == .refused {
            let reasons = gated.gateReasons
            try ledger.recordRefusal(findingID: finding?.id, tool: "\(source) propose", reason: "the gate said \(gated.gateOutcome ?? "no")",
                                     input: r.redact(InertText.argv(gated.argv)), proposalID: gated.id)
            return answer("proposal \(gated.id) refused by the gate: " + reasons.joined(separator: "; "),
                          .object(["id": .int(Int(gated.id)), "state": .string("refused"), "reasons": .array(reasons.map(JSONValue.string))]),
                          r, isError: true)
        }
        let card = DiscordMessages.proposal(gated, redactor: r)
        let channels = ["cli"] + ChannelRegistry.kinds.map(\.name).filter { config.channels.isConfigured($0) }
        let structured: JSONValue = .object([
            "id": .int(Int(gated.id)), "state": .string(gated.state.rawValue), "host": .string(gated.host),
            "argv": .array(gated.argv.map(JSONValue.string)), "source": .string(source), "digest": .string(gated.digest),
            "expiresAt": gated.expiresAt.map(JSONValue.string) ?? .null, "rule": gated.gateRule.map(JSONValue.string) ?? .null,
            "channels": .array(channels.map(JSONValue.string)), "card": .string(card),
        ])
        return answer("proposal \(gated.id) passed the gate and awaits the operator's approval on \(channels.joined(separator: ", ")); "
                      + "follow it with the proposal tool.\n\n" + card, structured, r)
    }

    func draftRunbook(_ input: ToolInput, source: String, redactor r: Redactor, refuse: (String) -> Answer) throws -> Answer {
        let host = input.string("host")
        guard config.host(host) != nil else { return refuse("host '\(host)' is not in the inventory") }
        var finding: FindingRecord? = nil
        if let id = input.integer("finding") {
            guard let f = try ledger.finding(Int64(id)), f.host == host else { return refuse("no finding \(id) on \(host)") }
            finding = f
        }
        let title = Recorder.oneLine(input.string("title"))
        let day = String(Timestamp.string(environment.now()).prefix(10))
        let client = Slug.make(source.split(separator: ":").last.map(String.init) ?? "mcp", maxLength: 20, fallback: "mcp")
        let path = "docs/runbooks/\(day)-mcp-\(client)-\(Slug.make(title, maxLength: 40, fallback: "runbook")).md"
        let about = finding.map { " · Finding \($0.id) (\($0.check): \(Recorder.oneLine($0.summary)))" } ?? ""
        let text = """
            # Runbook draft: \(title)

            Host: \(host)\(about)
            Status: draft written by \(source) through luna mcp, for the operator's own account. Review every step.

            ## Why luna does not do this itself

            \(input.string("why"))

            ## Steps

            \(input.string("steps_markdown"))

            """
        let message = "luna: runbook draft for \(host): \(Clip.characters(title, 60))\n\n"
            + Recorder.wrap("Drafted by \(source) through luna mcp: \(Recorder.oneLine(input.string("why")))")
            + "\n\n" + (finding.map { "Finding: \($0.id)\n" } ?? "") + "Host: \(host)\nSource: \(source)\nProposed-by: \(source)\n"
        // The client's words are untrusted: redacted like every text leaving the host, and inert in the file.
        let safe = InertText.render(r.redact(text), multiline: true)
        let commit: String
        do { commit = try repo.commit(files: [path: safe], message: InertText.render(r.redact(message), multiline: true)) } catch {
            environment.log("runbook from \(source) not committed: \(error)")
            return answer("the runbook could not be committed to the ops repo: \(error)", .null, r, isError: true)
        }
        let uri = "luna://runbooks/" + (path as NSString).lastPathComponent
        return answer("runbook committed at \(path) (\(commit))", .object(["path": .string(path), "commit": .string(commit), "uri": .string(uri)]), r)
    }

    func proposalText(_ p: Proposal) throws -> String {
        var lines = ["proposal \(p.id) on \(p.host): \(p.state.rawValue)" + (p.outcome.map { " (outcome \($0.rawValue))" } ?? ""),
                     "argv: \(InertText.argv(p.argv)) as \(p.identity) → \(p.runas)", "source: \(p.source)"]
        if !p.gateReasons.isEmpty { lines.append("gate: \(p.gateOutcome ?? "?"): " + p.gateReasons.joined(separator: "; ")) }
        if let a = try ledger.approval(p.id) { lines.append("\(a.decision.rawValue)d by \(a.approver) via \(a.channel) at \(a.at)") }
        if let e = try ledger.execution(p.id) { lines.append("ran: exit \(e.exitStatus.map(String.init) ?? "?")" + (e.verifyPassed.map { $0 ? ", verified" : ", verification failed" } ?? "")) }
        if let c = p.commitID { lines.append("recorded in commit \(c)") }
        return lines.joined(separator: "\n")
    }

    func proposalJSON(_ p: Proposal) throws -> JSONValue {
        let approval: JSONValue = try ledger.approval(p.id).map {
            .object(["decision": .string($0.decision.rawValue), "approver": .string($0.approver), "channel": .string($0.channel),
                     "at": .string($0.at), "reason": $0.reason.map(JSONValue.string) ?? .null])
        } ?? .null
        let execution: JSONValue = try ledger.execution(p.id).map {
            .object(["startedAt": .string($0.startedAt), "finishedAt": $0.finishedAt.map(JSONValue.string) ?? .null,
                     "exitStatus": $0.exitStatus.map { .int($0) } ?? .null, "verifyPassed": $0.verifyPassed.map(JSONValue.bool) ?? .null,
                     "checkResolved": $0.checkResolved.map(JSONValue.bool) ?? .null,
                     "output": .string(Clip.utf8(($0.stdout ?? "") + (($0.stderr ?? "").isEmpty ? "" : "\n[stderr]\n" + ($0.stderr ?? "")), 2000))])
        } ?? .null
        return .object([
            "id": .int(Int(p.id)), "state": .string(p.state.rawValue), "outcome": p.outcome.map { .string($0.rawValue) } ?? .null,
            "host": .string(p.host), "argv": .array(p.argv.map(JSONValue.string)), "runas": .string(p.runas), "source": .string(p.source.rawValue),
            "rationale": .string(p.rationale), "gateOutcome": p.gateOutcome.map(JSONValue.string) ?? .null,
            "gateReasons": .array(p.gateReasons.map(JSONValue.string)), "rule": p.gateRule.map(JSONValue.string) ?? .null,
            "expiresAt": p.expiresAt.map(JSONValue.string) ?? .null, "approval": approval, "execution": execution,
            "commit": p.commitID.map(JSONValue.string) ?? .null,
        ])
    }

    /// Every answer leaves through here: redacted, and inert (no control or bidi character acts on the client's terminal).
    func answer(_ text: String, _ structured: JSONValue, _ r: Redactor, isError: Bool = false) -> Answer {
        Answer(text: Self.outbound(text, r), structured: Self.outbound(structured, r), isError: isError)
    }

    /// A refusal, recorded beside the model's (the tool is `<source> <tool>`).
    func refused(_ reason: String, tool: String, source: String, input: JSONValue?) -> Answer {
        let r = redactor()
        do {
            try ledger.recordRefusal(findingID: nil, tool: "\(source) \(String(tool.prefix(64)))", reason: reason,
                                     input: r.redact(input?.text ?? "(none)"))
        } catch {
            environment.log("could not record the refusal of \(source) \(tool): \(error)")
        }
        environment.log("\(source) request refused (\(String(tool.prefix(64)))): \(reason)")
        return answer("refused: \(reason)", .object(["refused": .bool(true), "reasons": .array([.string(reason)])]), r, isError: true)
    }

    /// Text for the client: redacted and inert.
    public static func outbound(_ text: String, _ r: Redactor) -> String {
        InertText.render(r.redact(text), multiline: true)
    }

    /// Every string in a value, redacted and inert (keys are Luna's own).
    public static func outbound(_ value: JSONValue, _ r: Redactor) -> JSONValue {
        switch value {
        case .string(let s): .string(outbound(s, r))
        case .array(let a): .array(a.map { outbound($0, r) })
        case .object(let o): .object(o.mapValues { outbound($0, r) })
        default: value
        }
    }
}
