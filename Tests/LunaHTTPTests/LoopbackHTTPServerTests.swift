import Foundation
import LunaHTTP
import Testing
import TestSupport

@Suite("LoopbackHTTPServer")
struct LoopbackHTTPServerTests {
    @Test("Serves on IPv6 loopback too", .enabled(if: Self.hasIPv6Loopback()))
    func ipv6() throws {
        let server = try Server(host: "::1") { request in .text(200, "v6 " + request.path) }
        defer { server.stop() }
        #expect(server.baseURL == "http://[::1]:\(server.port)")
        let response = try HTTPClient().send(HTTPRequest(url: server.baseURL + "/six"))
        #expect(response.text == "v6 /six")
    }

    @Test("Keep-alive: several requests over one connection are recorded in order")
    func keepAlive() throws {
        let server = try Server { request in .text(200, request.path) }
        defer { server.stop() }
        let client = HTTPClient()
        for index in 0..<5 {
            #expect(try client.send(HTTPRequest(url: server.baseURL + "/\(index)")).text == "/\(index)")
        }
        #expect(server.requests.map(\.path) == ["/0", "/1", "/2", "/3", "/4"])
    }

    @Test("stop() cuts a delayed response short and returns promptly; a second stop is harmless")
    func stopDuringDelay() throws {
        let server = try Server { _ in Server.Response.text(200, "late").delayed(by: .seconds(30)) }
        let url = server.baseURL
        let done = DispatchSemaphore(value: 0)
        Thread {
            _ = try? HTTPClient().send(HTTPRequest(url: url, timeout: .seconds(20)))
            done.signal()
        }.start()
        while server.requests.isEmpty { Thread.sleep(forTimeInterval: 0.01) }
        let clock = ContinuousClock()
        let start = clock.now
        server.stop()
        server.stop()
        #expect(clock.now - start < .seconds(2))
        #expect(done.wait(timeout: .now() + 5) == .success)
    }

    static func hasIPv6Loopback() -> Bool {
        (try? Server(host: "::1") { _ in .text(200, "") })
            .map { $0.stop(); return true } ?? false
    }
}
