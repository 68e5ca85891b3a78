import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A parsed loopback IP address able to open a listening socket on an ephemeral port.
struct LoopbackAddress {
    private enum Family {
        case v4(in_addr)
        case v6(in6_addr)
    }

    private let family: Family
    private let text: String

    /// Parses `text`; nil unless it is an IPv4 address in 127.0.0.0/8 or the IPv6 address ::1.
    init?(_ text: String) {
        self.text = text
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            // s_addr is in network byte order: the first octet is the lowest byte in memory.
            guard UInt32(bigEndian: v4.s_addr) >> 24 == 127 else { return nil }
            family = .v4(v4)
        } else if inet_pton(AF_INET6, text, &v6) == 1 {
            let bytes = withUnsafeBytes(of: v6) { Array($0) }
            guard bytes == [UInt8](repeating: 0, count: 15) + [1] else { return nil }
            family = .v6(v6)
        } else {
            return nil
        }
    }

    /// Creates, binds (port 0) and listens on a socket.
    ///
    /// - Returns: The listening descriptor and the port the kernel chose.
    /// - Throws: ``LoopbackHTTPServer/SocketError`` naming the failing call.
    func listen() throws -> (Int32, Int) {
        let domain: Int32
        switch family {
        case .v4: domain = AF_INET
        case .v6: domain = AF_INET6
        }
        let fd = try check(socket(domain, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0), "socket")
        do {
            var yes: Int32 = 1
            try check(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size)), "setsockopt(SO_REUSEADDR)")
            switch family {
            case .v4(let address):
                var socketAddress = sockaddr_in()
                socketAddress.sin_family = sa_family_t(AF_INET)
                socketAddress.sin_port = 0
                socketAddress.sin_addr = address
                try check(withUnsafePointer(to: &socketAddress) { pointer in
                    pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }, "bind")
            case .v6(let address):
                var socketAddress = sockaddr_in6()
                socketAddress.sin6_family = sa_family_t(AF_INET6)
                socketAddress.sin6_port = 0
                socketAddress.sin6_addr = address
                try check(withUnsafePointer(to: &socketAddress) { pointer in
                    pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                    }
                }, "bind")
            }
            try check(Glibc.listen(fd, 128), "listen")
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            try check(withUnsafeMutablePointer(to: &storage) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
            }, "getsockname")
            let port: UInt16 = withUnsafeBytes(of: storage) { raw in
                // sin_port and sin6_port both sit right after the 2-byte family.
                UInt16(bigEndian: raw.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
            }
            return (fd, Int(port))
        } catch {
            close(fd)
            throw error
        }
    }

    /// The one place socket-setup return codes become errors.
    @discardableResult
    private func check(_ result: Int32, _ call: String) throws -> Int32 {
        guard result >= 0 else {
            throw LoopbackHTTPServer.SocketError(call: call, code: errno, host: text)
        }
        return result
    }
}
