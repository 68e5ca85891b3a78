import Foundation
@testable import LunaAgent
import LunaConfig
import LunaStore
import Testing
import TestSupport

/// Secrets of every shape planted on a test host, each with a marker: an
/// alphanumeric piece of the secret that survives JSON and Markdown escaping, so
/// finding the marker anywhere outbound means the secret left.
///
/// Assembled from parts so no string in the repository looks like a real
/// credential to a secret scanner.
enum PlantedSecrets {
    static func marker(_ i: Int) -> String { "Zq\(i)x" + String("Lk7Q2vW9mB4tR8nY3pH6".shuffledDeterministically(i)) }

    /// (line as it appears on the host, marker inside the secret).
    static let lines: [(String, String)] = {
        var out: [(String, String)] = []
        func add(_ make: (String) -> String) { let m = marker(out.count); out.append((make(m), m)) }
        add { "Authorization: Bearer \($0)" }
        add { "Authorization: Basic \($0)==" }
        add { "Authorization: Token tok_\($0)" }
        add { #"Authorization: Digest username="luna", realm="ops", response="\#($0)""# }
        add { "Proxy-Authorization: Basic \($0)" }
        add { "X-Api-Key: \($0)" }
        add { "Api-Key: \($0)" }
        add { "Cookie: theme=dark; sessionid=\($0)" }
        add { "Set-Cookie: sid=\($0); Path=/; HttpOnly" }
        add { "mysql -u app -p\($0) -h db app" }
        add { "pg_dump --password \($0) app" }
        add { "wget --password=\($0) https://x.invalid/f" }
        add { "PGPASSWORD=\($0) psql -h db" }
        add { "sshpass -p \($0) ssh web1 uptime" }
        add { "redis-cli -a \($0) ping" }
        add { "curl -u admin:\($0) https://ci.invalid/api" }
        add { "eyJ" + "hbGciOiJIUzI1NiJ9.eyJ" + "zdWIiOiJsdW5hIn0.\($0)" }
        add { "gh" + "p_\($0)" + String(repeating: "a", count: 12) }
        add { "glpat" + "-\($0)" }
        add { "xox" + "b-1234567890-\($0)" }
        add { "MTA5" + "Njk4NzY1NDMyMTA5ODc2NTQz.GhIjKl.\($0)" + String(repeating: "b", count: 12) }
        add { "sk-" + "ant-api03-\($0)" }
        add { "sk-" + "proj-\($0)" }
        // An access key id is upper case and digits only: its own marker.
        let keyID = String(("ZQ\(out.count)X" + marker(out.count).uppercased()).prefix(16))
        out.append(("aws_access_key_id = AKIA" + keyID, keyID))
        add { "aws_secret_access_key = \($0)/+" + String(repeating: "c", count: 10) }
        add { "AIza" + String(("Sy" + $0 + String(repeating: "d", count: 35)).prefix(35)) }
        add { "GOCSPX" + "-\($0)" }
        add { "db_password: \($0)" }
        add { #"{"client_secret": "\#($0)"}"# }
        add { #"api_token = "\#($0)""# }
        add { "passphrase = \($0) horse battery" }
        add { "DB_PASS=\($0)" }
        add { "-----BEGIN OPENSSH " + "PRIVATE KEY-----\n\($0)\n-----END OPENSSH " + "PRIVATE KEY-----" }
        add { "postgres://app:\($0)@db.internal/app" }
        add { "root:$6$" + "s4ltS4lt$\($0)" + String(repeating: "e", count: 10) + ":19000:0:99999:7:::" }
        return out
    }()

    /// A secret no rule knows, only the ops repo's gitignored `.env` file.
    static let exactOnly = "EnvOnly" + marker(99)
}

extension String {
    /// The characters in an order fixed by `seed` (distinct markers from one alphabet).
    func shuffledDeterministically(_ seed: Int) -> String {
        var chars = Array(self)
        var state = UInt64(seed &+ 1) &* 0x9E37_79B9_7F4A_7C15
        for i in stride(from: chars.count - 1, to: 0, by: -1) {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            chars.swapAt(i, Int(state >> 33) % (i + 1))
        }
        return String(chars)
    }
}

/// Every string in a JSON document (keys and values), unescaped; the raw text when it is not JSON.
func unescapedText(_ data: Data) -> String {
    guard let object = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else {
        return String(decoding: data, as: UTF8.self)
    }
    var parts: [String] = []
    func walk(_ o: Any) {
        switch o {
        case let s as String: parts.append(s)
        case let a as [Any]: a.forEach(walk)
        case let d as [String: Any]: for (k, v) in d { parts.append(k); walk(v) }
        default: parts.append("\(o)")
        }
    }
    walk(object)
    return String(decoding: data, as: UTF8.self) + "\n" + parts.joined(separator: "\n")
}

@Suite("no planted secret leaves the host (loopback model and Discord)", .serialized)
struct SecretLeakTests {
    @Test func plantedSecretsReachNoRequestMessageCommitOrNote() throws {
        let root = "@ROOT@"
        var files: [String: String] = [".gitignore": ".env\n"]
        for name in ["system.md", "plan.md", "summary.md", "distill.md"] {
            files["prompts/" + name] = try String(contentsOf: Estate.projectRoot.appendingPathComponent("prompts/" + name), encoding: .utf8)
        }
        // No skill covers the drift, so the model plans it; reading is declared in LUNA_READ.
        files["skills/restore-file-mode/SKILL.md"] = """
            ---
            name: restore-file-mode
            description: Covers port findings only.
            check: ports
            match: {"aspect": "nothing"}
            argv: ["/usr/bin/true"]
            risk: mutating
            ---
            Test skill.
            """
        let estate = try Estate(readOnly: ["/usr/bin/cat \(root)/target/app.conf", "/usr/bin/cat \(root)/target/creds.yaml"],
                                files: files)
        defer { estate.remove() }
        let target = estate.target
        let creds = estate.ops.root + "/target/creds.yaml"
        let action = estate.slowAction

        // The host: the drifted file and a second one hold every shape; the fix prints the file as it works.
        let planted = PlantedSecrets.lines
        let half = planted.count / 2
        try (planted[..<half].map(\.0).joined(separator: "\n") + "\nbackup copy of \(PlantedSecrets.exactOnly)\n")
            .write(toFile: target, atomically: false, encoding: .utf8)
        try (planted[half...].map(\.0).joined(separator: "\n") + "\n").write(toFile: creds, atomically: true, encoding: .utf8)
        try "#!/bin/sh\ncat \"$1\" \(creds)\nchmod 0600 \"$1\"\n".write(toFile: action, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: action)
        try "APP_DB_PASS=\(PlantedSecrets.exactOnly)\n".write(toFile: estate.ops.repo + "/.env", atomically: true, encoding: .utf8)
        let markers = planted.map(\.1) + [PlantedSecrets.exactOnly]
        #expect(planted.allSatisfy { $0.0.contains($0.1) } && Set(markers).count == markers.count, "every marker is in its secret, once")

        // The model: inspect both files, propose the fix (verified by printing the file), leave a note.
        let llm = try FakeLLM(.anthropic, steps: [
            .tools([("inspect", json(["host": "localhost", "argv": ["/usr/bin/cat", target]])),
                    ("inspect", json(["host": "localhost", "argv": ["/usr/bin/cat", creds]]))], text: "Reading both files."),
            .tools([("propose_action", json(["host": "localhost", "argv": [action, target],
                                              "rationale": "The file holds credentials ([REDACTED-1] and others); restore 0600.",
                                              "verify_argv": ["/usr/bin/cat", target], "risk": "mutating"])),
                    ("note", json(["title": "app.conf holds credentials", "body": "It holds [REDACTED-1]; keep it 0600."]))]),
            .text("Nothing more."),
        ])
        defer { llm.stop() }
        let discord = try FakeDiscord()
        defer { discord.stop() }
        let keyFile = estate.ops.root + "/llm-key"
        let tokenFile = estate.ops.root + "/discord-token"
        _ = FileManager.default.createFile(atPath: keyFile, contents: Data("sk-test-key-not-real\n".utf8), attributes: [.posixPermissions: 0o600])
        _ = FileManager.default.createFile(atPath: tokenFile, contents: Data((discord.token + "\n").utf8), attributes: [.posixPermissions: 0o600])
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: estate.ops.config))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("""

            [llm]
            provider = "anthropic"
            api_base = "\(llm.baseURL)"
            model = "fake-model"
            key_file = "\(keyFile)"
            max_tokens = 1024
            daily_token_budget = 200000
            timeout_seconds = 20

            [discord]
            api_base = "\(discord.apiBase)"
            channel_id = "\(discord.channelID)"
            operator_ids = ["\(DiscordEstate.operatorID)"]
            token_file = "\(tokenFile)"
            poll_seconds = 1

            """.utf8))
        try handle.close()

        // Two daemon rounds: plan and post; the operator approves; run, record, report.
        let agent = try Agent(config: estate.configuration())
        let channel = try #require(try DiscordApprovals.make(agent: agent, environment: [:]))
        let first = try agent.cycle()
        #expect(first.proposed.first?.state == .awaitingApproval, "\(first.unplanned)")
        channel.report(first.scan)
        try channel.sync()
        let card = try #require(try channel.outbox.item(.proposal, proposalID: 1)?.externalID)
        discord.react(to: card, emoji: "✅", as: DiscordEstate.operatorID)
        try channel.sync()
        let second = try agent.cycle()
        #expect(second.executed == [1])
        channel.report(second.scan)
        try channel.sync()
        #expect(try estate.mode() == 0o600)
        let note = try #require(try agent.ledger.db.queryOne("SELECT slug FROM memory_notes WHERE source = 'agent'")?.string("slug"))
        _ = try agent.curation.approveNote(note, approver: "operator")

        // Everything that left, or will leave with the ops repo.
        var outbound: [(String, String)] = []
        for (i, r) in llm.requests.enumerated() { outbound.append(("model request \(i + 1)", unescapedText(r.body))) }
        for r in discord.requests where !r.body.isEmpty {
            outbound.append(("Discord \(r.method) \(r.pathWithoutQuery)", unescapedText(r.body)))
        }
        outbound.append(("git log -p", try estate.ops.git("log", "-p", "--all", "--format=%H%n%B")))
        for row in try agent.ledger.db.query("SELECT slug, title, body FROM memory_notes") {
            outbound.append(("memory note \(row.string("slug") ?? "?")", (row.string("title") ?? "") + "\n" + (row.string("body") ?? "")))
        }
        let memoryDir = estate.ops.repo + "/memory"
        let walker = FileManager.default.enumerator(atPath: memoryDir)
        while let relative = walker?.nextObject() as? String {
            if let text = try? String(contentsOfFile: memoryDir + "/" + relative, encoding: .utf8) {
                outbound.append(("memory/\(relative)", text))
            }
        }
        for (place, text) in outbound {
            for (i, m) in markers.enumerated() where text.contains(m) {
                let line = i < planted.count ? planted[i].0 : "the .env value"
                Issue.record("planted secret \(i) (\(line.prefix(40))…) reached \(place)")
            }
        }

        // The run really carried host data outward, redacted, and did not blind the planner.
        #expect(llm.requests.count >= 3, "planning turns and the skill draft")
        let seen = llm.requests.map(\.bodyText).joined(separator: "\n")
        #expect(seen.contains("Authorization: Bearer [REDACTED-"), "the inspected file went to the model, redacted")
        #expect(seen.contains("luna ALL = (root) NOPASSWD: LUNA_READ, FIX"), "sudoers rules reach the model whole")
        let log = try estate.ops.git("log", "-p", "--all")
        #expect(log.contains("Verification") && log.contains("[REDACTED-"), "the verification printout is in the commit, redacted")
        #expect(discord.replies(to: card).contains { $0.content.contains("Output (excerpt)") }, "the outcome reply shows the output")
        #expect(outbound.contains { $0.0.hasPrefix("memory note outcomes/") && $0.1.contains("Output (excerpt)") })
        #expect(discord.problems.isEmpty, "\(discord.problems)")
    }
}
