import Foundation
import LunaDrift
import Testing

/// The `secrets` drift check on a local-transport host: real files, a real `find`.
@Suite("secrets check on a host", .serialized)
struct SecretsCheckTests {
    static let password = "Pa" + "ss-" + SecretsHygieneTests.filler(14)

    @Test func planted() throws {
        let estate = try Estate()
        defer { estate.remove() }
        let config = try String(contentsOfFile: estate.ops.config, encoding: .utf8)
        try config.replacingOccurrences(of: #"checks = ["files"]"#, with: #"checks = ["secrets"]"#)
            .write(toFile: estate.ops.config, atomically: true, encoding: .utf8)
        let app = estate.ops.root + "/app"
        try FileManager.default.createDirectory(atPath: app, withIntermediateDirectories: true)
        try estate.ops.write("configs/secrets/localhost", "# the app's secrets\ndir \(app) root:root\ndir \(estate.ops.root)/gone *\n")
        FileManager.default.createFile(atPath: app + "/.env", contents: Data("DB_PASSWORD=\(Self.password)\n".utf8),
                                       attributes: [.posixPermissions: 0o644])
        FileManager.default.createFile(atPath: app + "/.env.example", contents: Data("DB_PASSWORD=\n".utf8),
                                       attributes: [.posixPermissions: 0o644])
        let compose = """
            services:
              db:
                image: postgres:16@sha256:\(String(repeating: "ab", count: 32))
                environment:
                  POSTGRES_USER: app
                  POSTGRES_PASSWORD: \(Self.password)
                  APP_TOKEN: ${APP_TOKEN}

            """
        FileManager.default.createFile(atPath: app + "/compose.yaml", contents: Data(compose.utf8))

        let scan = try estate.luna("scan", "--check", "secrets")
        #expect(scan.status == 1, "\(scan)")
        #expect(scan.out.contains("\(app)/.env: mode 0644, a .env file must give group and others no access (0600)"), "\(scan.out)")
        #expect(scan.out.contains("\(app)/compose.yaml:6: POSTGRES_PASSWORD: the value of a secret-named key: inline in a compose file"), "\(scan.out)")
        #expect(scan.out.contains("\(estate.ops.root)/gone is missing"), "\(scan.out)")
        #expect(!scan.out.contains(".env.example") && !scan.out.contains("APP_TOKEN") && !scan.out.contains("sha256"), "\(scan.out)")
        #expect(!scan.out.contains(Self.password), "never the value")
        #expect(!scan.out.contains("owner"), "the tests run as root: the owner matches \(scan.out)")

        // Fixed: private, the inline value moved to the .env file, the reference narrowed to what exists.
        chmod(app + "/.env", 0o600)
        try compose.replacingOccurrences(of: "POSTGRES_PASSWORD: \(Self.password)", with: "POSTGRES_PASSWORD: ${POSTGRES_PASSWORD}")
            .write(toFile: app + "/compose.yaml", atomically: true, encoding: .utf8)
        try estate.ops.write("configs/secrets/localhost", "dir \(app) nobody:nogroup\n")
        let owner = try estate.luna("scan", "--check", "secrets")
        #expect(owner.status == 1 && owner.out.contains("\(app)/.env: owner root:root, reference nobody:nogroup"), "\(owner)")
        try estate.ops.write("configs/secrets/localhost", "dir \(app) root:root\n")
        let clean = try estate.luna("scan", "--check", "secrets")
        #expect(clean.status == 0, "\(clean)")
        #expect(clean.out.contains("1 .env files private and owned as referenced, 1 compose files without inline secrets"), "\(clean.out)")
    }

    @Test(arguments: ["dir /srv/app\n", "dir srv/app root:root\n", "env /srv/app root:root\n", "dir /srv/app root\n",
                      "dir /srv/app * \ndir /srv/app/ *\n"])
    func aMalformedReferenceNamesItsLine(_ text: String) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("luna-secrets-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir + "/secrets", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try text.write(toFile: dir + "/secrets/h", atomically: true, encoding: .utf8)
        guard case .done(let r) = SecretsCheck().plan(host: "h", references: References(directory: dir)) else {
            Issue.record("a bad reference runs nothing")
            return
        }
        let line = text.split(separator: "\n").count
        #expect(r.status == .error && r.detail.hasPrefix("bad reference: \(dir)/secrets/h:\(line): "), "\(r.detail)")
    }
}
