import Foundation
import LunaAgent
import LunaCodec
import LunaSecrets
import Testing
import TestSupport

/// Secrets hygiene in the ops repo: `luna secrets scan` finds planted secrets and passes look-alikes,
/// and Luna's own commit path refuses a secret-shaped value.
///
/// Every secret here is assembled from parts, so no string in the repository looks like a real
/// credential to a scanner (this very command included).
@Suite("secrets hygiene", .serialized)
struct SecretsHygieneTests {
    static func filler(_ n: Int) -> String {
        let chars = Array("aB3dE5fG7hJ9kL2mN4pQ6rS8tU0vW1xY")
        return String((0..<n).map { chars[($0 * 7 + 3) % chars.count] })
    }
    static let githubToken = "gh" + "p_" + filler(36)
    static let password = "Pa" + "ss-" + filler(14)
    static let hex64 = String(repeating: "0123456789abcdef", count: 4)

    /// What Luna and an operator write that must not be called secret.
    static let lookAlikes = """
        Digest: sha256:\(hex64)
        Proposal: 12
        Commit: \(String(hex64.prefix(40)))
        Id: 3f2b8c1e-4d5a-4e6f-9a7b-1c2d3e4f5a6b
        fingerprint = "SHA256:\(filler(43))"
        luna ALL = (root) NOPASSWD: /usr/bin/systemctl restart ssh.service
        PasswordAuthentication no
        DB_PASSWORD=${DB_PASSWORD}
        token_file = "/etc/luna/discord-token"

        """

    @Test func plantedSecretsAreFoundLookAlikesAreNot() throws {
        let estate = try Estate()
        defer { estate.remove() }
        try estate.ops.write("configs/app/settings.toml", "name = \"app\"\ndb_password = \"\(Self.password)\"\n")
        try estate.ops.write("notes/look-alikes.md", Self.lookAlikes)
        try estate.ops.git("add", "-A")
        try estate.ops.git("commit", "-q", "-m", "planted")
        // Untracked but not ignored: git would commit it, so it is read.
        try estate.ops.write("deploy/ci.sh", "export GH=\(Self.githubToken)\n")
        // Gitignored .env: where secrets belong; not read.
        try estate.ops.write(".gitignore", ".env\n")
        try estate.ops.write(".env", "API_TOKEN=\(Self.password)\n")

        let scan = try estate.luna("secrets", "scan")
        #expect(scan.status == 1, "\(scan)")
        #expect(scan.out.contains("configs/app/settings.toml:2: db_password: the value of a secret-named key"), "\(scan.out)")
        #expect(scan.out.contains("deploy/ci.sh:1: a GitHub token"), "\(scan.out)")
        #expect(!scan.out.contains("look-alikes"), "look-alikes are not secrets: \(scan.out)")
        #expect(!scan.out.contains(".env"), "\(scan.out)")
        #expect(!scan.out.contains(Self.password) && !scan.out.contains(Self.githubToken), "never the value")

        let json = try estate.luna("secrets", "scan", estate.ops.repo, "--json")
        #expect(json.status == 1)
        let findings = try JSONValue.parse(json.out)["findings"]?.arrayValue ?? []
        #expect(findings.count == 2, "\(json.out)")
        #expect(findings.first?["column"] != nil && findings.first?["shape"]?.stringValue != nil)

        // A .env file git would commit is a finding whatever its values look like.
        try estate.ops.write(".gitignore", "")
        let tracked = try estate.luna("secrets", "scan")
        #expect(tracked.out.contains(".env:1: a .env file that git would commit"), "\(tracked.out)")

        try FileManager.default.removeItem(atPath: estate.ops.repo + "/deploy/ci.sh")
        try FileManager.default.removeItem(atPath: estate.ops.repo + "/.env")
        try estate.ops.write("configs/app/settings.toml", "name = \"app\"\ndb_password = \"${DB_PASSWORD}\"\n")
        let clean = try estate.luna("secrets", "scan")
        #expect(clean.status == 0, "\(clean)")
        #expect(clean.out.contains("no secret-shaped value in"), "\(clean.out)")
    }

    /// `--staged` reads the index: a secret staged and then removed from the work tree is still found.
    @Test func stagedReadsWhatTheNextCommitWouldHold() throws {
        let estate = try Estate()
        defer { estate.remove() }
        try estate.ops.write("configs/app/settings.toml", "db_password = \"\(Self.password)\"\n")
        try estate.ops.git("add", "configs/app/settings.toml")
        try estate.ops.write("configs/app/settings.toml", "db_password = \"${DB_PASSWORD}\"\n")
        try estate.ops.write("untracked.sh", "GH=\(Self.githubToken)\n")
        let staged = try estate.luna("secrets", "scan", estate.ops.repo, "--staged")
        #expect(staged.status == 1, "\(staged)")
        #expect(staged.out.contains("configs/app/settings.toml:1: db_password"), "\(staged.out)")
        #expect(!staged.out.contains("untracked.sh"), "only what is staged: \(staged.out)")
        try estate.ops.git("add", "configs/app/settings.toml")
        let fixed = try estate.luna("secrets", "scan", estate.ops.repo, "--staged")
        #expect(fixed.status == 0, "\(fixed)")

        let missing = try estate.luna("secrets", "scan", estate.ops.root + "/nowhere")
        #expect(missing.status == 2 && missing.err.contains("does not exist"), "\(missing)")
        let notRepo = try estate.luna("secrets", "scan", estate.ops.state, "--staged")
        #expect(notRepo.status == 2, "\(notRepo)")
    }

    /// Luna's own commit path fails closed: the error names file:line, key and shape, nothing is written.
    @Test func theCommitPathRefusesASecretShapedValue() throws {
        let estate = try Estate()
        defer { estate.remove() }
        let head = try estate.ops.git("rev-parse", "HEAD")
        let added = try estate.luna("memory", "add", "--title", "db access", "--slug", "db-access",
                                    "--body", "Connect with:\nPGPASSWORD=\(Self.password) psql -h db1\n")
        #expect(added.status != 0, "\(added)")
        #expect(added.err.contains("refusing to commit a secret-shaped value"), "\(added.err)")
        #expect(added.err.contains("memory/db-access.md:"), "\(added.err)")
        #expect(added.err.contains("PGPASSWORD: the value of a secret-named key"), "\(added.err)")
        #expect(!added.err.contains(Self.password), "never the value")
        #expect(!FileManager.default.fileExists(atPath: estate.ops.repo + "/memory/db-access.md"), "nothing written")
        #expect(try estate.ops.git("rev-parse", "HEAD") == head)

        // A pending note (as an agent suggests one) stays pending when its approval is refused.
        let pending = try estate.luna("memory", "add", "--title", "token", "--slug", "token-note", "--pending",
                                      "--body", "use \(Self.githubToken)\n")
        #expect(pending.status == 0, "\(pending)")
        let approve = try estate.luna("memory", "approve", "token-note")
        #expect(approve.status != 0 && approve.err.contains("a GitHub token"), "\(approve)")
        let list = try estate.luna("memory", "list", "--pending")
        #expect(list.out.contains("token-note"), "\(list.out)")

        // What Luna writes itself is not refused: a note of look-alikes commits.
        let fine = try estate.luna("memory", "add", "--title", "look-alikes", "--slug", "look-alikes", "--body", Self.lookAlikes)
        #expect(fine.status == 0, "\(fine)")
    }

    @Test func theShapesNameLineColumnAndKey() {
        let text = "a: 1\n  api_key: \"\(Self.filler(32))\"\nx = \(Self.githubToken)\n"
        let found = Redactor.findSecrets(in: text, file: "f")
        #expect(found.map(\.description) == ["f:2: api_key: the value of a secret-named key", "f:3: a GitHub token"])
        #expect(found.first?.column == 13)
        #expect(Redactor.findSecrets(in: Self.lookAlikes, file: "f").isEmpty, "\(Redactor.findSecrets(in: Self.lookAlikes, file: "f"))")
    }
}
