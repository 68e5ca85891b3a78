import Foundation
import LunaHTTP
import Testing
import TestSupport

/// TLS verification against a real `openssl s_server` on loopback with a throwaway self-signed certificate.
@Suite("TLS verification", .enabled(if: SystemRequirements.available(tools: ["openssl"])))
struct TLSVerificationTests {
    @Test("Untrusted certificate is refused; trusted via caInfo succeeds; wrong host name is refused")
    func verification() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("luna-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let cert = dir.appendingPathComponent("cert.pem").path
        let key = dir.appendingPathComponent("key.pem").path

        let make = try run([
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1",
        ])
        make.waitUntilExit()
        try #require(make.terminationStatus == 0)

        let port = try closedPort()
        let server = try run(["s_server", "-quiet", "-www", "-accept", "127.0.0.1:\(port)", "-cert", cert, "-key", key])
        defer {
            // SIGKILL: s_server launched this way does not reliably stop on SIGTERM.
            kill(server.processIdentifier, SIGKILL)
            server.waitUntilExit()
        }

        let url = "https://127.0.0.1:\(port)/"
        let trusting = HTTPClient(caInfo: cert)
        // Wait for s_server to listen.
        let response = try waitForServer(trusting, url: url)
        #expect(response.status == 200)

        let untrusted = try #require(throws: HTTPError.self) {
            try HTTPClient().send(HTTPRequest(url: url, timeout: .seconds(5)))
        }
        #expect(untrusted.kind == .tls)
        #expect(untrusted.curlCode == 60)

        let wrongName = try #require(throws: HTTPError.self) {
            try trusting.send(HTTPRequest(url: "https://localhost:\(port)/", timeout: .seconds(5)))
        }
        #expect(wrongName.kind == .tls)
        #expect(wrongName.curlCode == 60)

        let missingCA = try #require(throws: HTTPError.self) {
            try HTTPClient(caInfo: dir.appendingPathComponent("absent.pem").path)
                .send(HTTPRequest(url: url, timeout: .seconds(5)))
        }
        #expect(missingCA.kind == .tls)
    }

    /// The first response once s_server listens (connect errors retried for up to 10 s).
    private func waitForServer(_ client: HTTPClient, url: String) throws -> HTTPResponse {
        let request = HTTPRequest(url: url, timeout: .seconds(5))
        for _ in 0..<200 {
            do {
                return try client.send(request)
            } catch {
                if error.kind != .connect { throw error }
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return try client.send(request)
    }

    private func run(_ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: SystemRequirements.which("openssl") ?? "/usr/bin/openssl")
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }
}
