import Dispatch
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A real HTTP/1.1 server on a loopback address, for tests.
///
/// It binds an ephemeral port (port 0) on `127.0.0.0/8` or `::1` only, accepts
/// connections on a thread of its own and serves each connection on its own
/// thread, with keep-alive. Every request is recorded (in arrival order) before
/// the handler runs, then answered with whatever the handler returns. It is the
/// base for the fake Discord and fake LLM APIs.
///
/// ```swift
/// let server = try LoopbackHTTPServer { request in .json(200, #"{"ok":true}"#) }
/// defer { server.stop() }
/// let response = try client.send(HTTPRequest(url: server.baseURL + "/ping"))
/// ```
///
/// Always call ``stop()`` (e.g. in a `defer`): the server threads keep it alive until then.
///
/// Thread safety: all mutable state lives in one `Mutex`; the socket descriptors
/// are `let`s; the handler is `@Sendable`. Hence plain `Sendable`.
public final class LoopbackHTTPServer: Sendable {
    /// Why the server could not start.
    public struct SocketError: Error, CustomStringConvertible, Sendable {
        /// The system call that failed.
        public var call: String
        /// The `errno` it set.
        public var code: Int32
        /// The address the server was starting on.
        public var host: String

        /// A line naming the call, the errno text and the address.
        public var description: String {
            "LoopbackHTTPServer on \(host): \(call) failed: \(String(cString: strerror(code))) (errno \(code))"
        }
    }

    struct State {
        var requests: [Request] = []
        var connections: Set<Int32> = []
        var stopped = false
    }

    /// The port the server listens on.
    public let port: Int
    /// The loopback address the server listens on.
    public let host: String
    let listener: Int32
    let handler: @Sendable (Request) -> Response
    let state = Mutex(State())
    let running = DispatchGroup()

    /// Starts a server on an ephemeral port of `host`.
    ///
    /// - Parameters:
    ///   - host: A loopback IP address (`127.x.y.z` or `::1`); anything else is a
    ///     programming error and traps.
    ///   - handler: Builds the response for each request; called on connection threads.
    /// - Throws: ``SocketError`` when the socket cannot be created, bound or listened on.
    public init(host: String = "127.0.0.1", handler: @escaping @Sendable (Request) -> Response) throws {
        let address = LoopbackAddress(host)
        precondition(address != nil, "LoopbackHTTPServer binds only to loopback IP addresses, not \(host)")
        self.host = host
        self.handler = handler
        (listener, port) = try address!.listen()
        running.enter()
        Thread { [self] in
            acceptLoop()
            running.leave()
        }.start()
    }

    /// The URL prefix of this server, e.g. `http://127.0.0.1:40123` (no trailing slash).
    public var baseURL: String {
        host.contains(":") ? "http://[\(host)]:\(port)" : "http://\(host):\(port)"
    }

    /// Every request received so far, in arrival order.
    public var requests: [Request] {
        state.withLock { $0.requests }
    }

    /// Closes the listener and every connection, and waits for all server threads.
    ///
    /// Delayed responses still waiting are abandoned. Calling it again does nothing.
    public func stop() {
        let first = state.withLock { state in
            defer { state.stopped = true }
            for fd in state.connections { shutdown(fd, Int32(SHUT_RDWR)) }
            return !state.stopped
        }
        guard first else { return }
        running.wait()
        close(listener)
    }

    var isStopped: Bool {
        state.withLock { $0.stopped }
    }

    private func acceptLoop() {
        while !isStopped {
            var poller = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, 50)
            if ready <= 0 { continue }
            let fd = accept(listener, nil, nil)
            if fd < 0 { continue }
            // Not inherited by processes the tests spawn (accept4 is not exposed to Swift).
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            let admitted = state.withLock { state in
                if state.stopped { return false }
                state.connections.insert(fd)
                return true
            }
            guard admitted else {
                close(fd)
                return
            }
            running.enter()
            Thread { [self] in
                serve(Connection(fd: fd))
                state.withLock { state in
                    // Closed under the lock so stop() never shuts down a reused descriptor.
                    state.connections.remove(fd)
                    close(fd)
                }
                running.leave()
            }.start()
        }
    }

    /// Records `request` and returns the handler's answer.
    func respond(to request: Request) -> Response {
        state.withLock { $0.requests.append(request) }
        return handler(request)
    }

    /// Sleeps for `duration` in short slices, returning early when the server stops.
    func pause(for duration: Duration) {
        let deadline = ContinuousClock.now + duration
        while !isStopped, ContinuousClock.now < deadline {
            let left = deadline - ContinuousClock.now
            let slice = min(left, .milliseconds(10))
            let (seconds, attoseconds) = slice.components
            Thread.sleep(forTimeInterval: Double(seconds) + Double(attoseconds) / 1e18)
        }
    }
}
