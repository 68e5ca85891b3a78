import Foundation
import LunaCodec
import Testing

/// `luna audit` and the `sudoaudit` drift check over a real temporary ops repo.
@Suite("sudoers audit command and check")
struct AuditCommandTests {
    static let narrow = """
        Cmnd_Alias LUNA_READ = /usr/sbin/sshd -T, /usr/bin/docker ps -a --format json
        luna ALL = (root) NOPASSWD: LUNA_READ, /usr/bin/systemctl restart ssh.service

        """

    @Test func exitStatusesAndFileLines() throws {
        let estate = try Estate()
        defer { estate.remove() }
        // The estate's reference allows `…/slow-action *`: an argument wildcard, here in a directory everyone may write.
        chmod(estate.ops.root, 0o777)
        let risky = try estate.luna("audit")
        #expect(risky.status == 1, "\(risky)")
        let reference = estate.ops.repo + "/configs/sudoers/luna-localhost"
        #expect(risky.out.contains("\(reference):3: (root) NOPASSWD: \(estate.ops.root)/slow-action * — a wildcard in the arguments"), "\(risky.out)")
        #expect(risky.out.contains("writable-path") == false) // kinds are for --json; the text says why
        #expect(risky.out.contains("\(estate.ops.root)/slow-action * — \(estate.ops.root) is writable by every user"), "\(risky.out)")

        let json = try estate.luna("audit", "--host", "localhost", "--json")
        #expect(json.status == 1)
        let parsed = try JSONValue.parse(json.out)
        let kinds = parsed.arrayValue?.first?["findings"]?.arrayValue?.compactMap { $0["kind"]?.stringValue } ?? []
        #expect(kinds.contains("argument-wildcard") && kinds.contains("writable-path"), "\(json.out)")

        try estate.ops.write("configs/sudoers/luna-localhost", Self.narrow)
        let clean = try estate.luna("audit")
        #expect(clean.status == 0, "\(clean)")
        #expect(clean.out.hasPrefix("localhost: ok — no rule in "), "\(clean.out)")

        try estate.ops.write("configs/sudoers/luna-localhost", "luna ALL = (root) NOPASSWD: /usr/bin/id,\n")
        let broken = try estate.luna("audit")
        #expect(broken.status == 2, "\(broken)")
        #expect(broken.out.contains("localhost: error: "), "\(broken.out)")

        let unknown = try estate.luna("audit", "--host", "nosuch")
        #expect(unknown.status == 2 && unknown.err.contains("host 'nosuch' is not in the inventory"), "\(unknown)")
    }

    /// A reference that grows a wildcard becomes a finding; narrowing it again resolves the finding.
    @Test func aReferenceThatGrowsAWildcardIsDrift() throws {
        let estate = try Estate()
        defer { estate.remove() }
        let config = try String(contentsOfFile: estate.ops.config, encoding: .utf8)
        try config.replacingOccurrences(of: #"checks = ["files"]"#, with: #"checks = ["files", "sudoaudit"]"#)
            .write(toFile: estate.ops.config, atomically: true, encoding: .utf8)
        try estate.ops.write("configs/sudoers/luna-localhost", Self.narrow)
        let ok = try estate.luna("scan", "--check", "sudoaudit")
        #expect(ok.status == 0, "\(ok)")
        #expect(ok.out.contains("no rule gives luna more than it names"), "\(ok.out)")

        try estate.ops.write("configs/sudoers/luna-localhost", Self.narrow + "luna ALL = (root) NOPASSWD: /bin/cat /var/log/*\n")
        let grown = try estate.luna("scan", "--check", "sudoaudit")
        #expect(grown.status == 1, "\(grown)")
        #expect(grown.out.contains("luna-localhost:3: (root) NOPASSWD: /bin/cat /var/log/* — a wildcard in the arguments"), "\(grown.out)")

        try estate.ops.write("configs/sudoers/luna-localhost", Self.narrow)
        let resolved = try estate.luna("scan", "--check", "sudoaudit")
        #expect(resolved.status == 0, "\(resolved)")
        let status = try estate.luna("status", "--json")
        #expect(!status.out.contains("/var/log/*"), "\(status.out)")
    }
}
