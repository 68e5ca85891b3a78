import Foundation
import Synchronization
import TestSupport

typealias Server = LoopbackHTTPServer

/// Answers with the queued responses in order, then with `fallback` forever.
final class Script: Sendable {
    private let queue: Mutex<[Server.Response]>
    private let fallback: Server.Response

    init(_ responses: [Server.Response], then fallback: Server.Response = .text(200, "done")) {
        queue = Mutex(responses)
        self.fallback = fallback
    }

    func next(_ request: Server.Request) -> Server.Response {
        queue.withLock { $0.isEmpty ? fallback : $0.removeFirst() }
    }
}

/// Runs `body` with a started server and always stops it.
func withServer<T>(
    _ handler: @escaping @Sendable (Server.Request) -> Server.Response,
    _ body: (Server) throws -> T
) throws -> T {
    let server = try Server(handler: handler)
    defer { server.stop() }
    return try body(server)
}

/// Records the durations a retrying send asked to sleep, without sleeping.
final class SleepRecorder: Sendable {
    private let recorded = Mutex<[Duration]>([])
    var durations: [Duration] { recorded.withLock { $0 } }
    func sleep(_ duration: Duration) { recorded.withLock { $0.append(duration) } }
}

/// A loopback port nothing listens on: bound by a server that has since stopped.
func closedPort() throws -> Int {
    let server = try Server { _ in .text(200, "unused") }
    let port = server.port
    server.stop()
    return port
}
