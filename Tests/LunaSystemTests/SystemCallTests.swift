import Foundation
import LunaSystem
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A fresh directory under the system temporary directory, removed by `remove()`.
struct Scratch {
    let path: String

    init() throws {
        var template = Array((NSTemporaryDirectory() + "/luna-system-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw SystemError(call: "mkdtemp", code: errno) }
        path = String(cString: made)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

@Suite("SystemCall: failed C calls become errors a person can act on")
struct SystemCallTests {
    @Test("open of a missing path names the call, the path, the errno text and what to check")
    func openOfMissingPath() throws {
        let path = "/nonexistent-luna/luna.toml"
        let error = try #require(throws: SystemError.self) {
            try SystemCall.check("open", path: path) { open(path, O_RDONLY | O_CLOEXEC) }
        }
        #expect(error.call == "open")
        #expect(error.code == ENOENT)
        #expect(error.reason == "No such file or directory")
        #expect(error.path == path)
        #expect(error.description
            == "open /nonexistent-luna/luna.toml failed: No such file or directory (errno 2); check that the path exists")
    }

    @Test("flock on a descriptor that is not open says so, without a path")
    func flockOnBadDescriptor() throws {
        let fd = open("/dev/null", O_RDONLY | O_CLOEXEC)
        try #require(fd >= 0)
        close(fd)   // now certainly not open (nothing else in this test opens files)
        let error = try #require(throws: SystemError.self) {
            try SystemCall.check("flock") { flock(fd, LOCK_EX | LOCK_NB) }
        }
        #expect(error.code == EBADF)
        #expect(error.path == nil)
        #expect(error.description
            == "flock failed: Bad file descriptor (errno 9); the file descriptor is not open (a bug in the caller)")
    }

    @Test("a call that returns its error number (posix_spawn) is checked by that convention")
    func returnsErrorNumber() throws {
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup("/nonexistent-luna/program"), nil]
        defer { free(argv[0]) }
        var pid: pid_t = 0
        let error = try #require(throws: SystemError.self) {
            try SystemCall.check("posix_spawn", path: "/nonexistent-luna/program", .returnsErrorNumber) {
                posix_spawn(&pid, "/nonexistent-luna/program", nil, nil, argv, environ)
            }
        }
        #expect(error.code == ENOENT)
        #expect(error.description.hasPrefix("posix_spawn /nonexistent-luna/program failed: No such file or directory (errno 2)"))
    }

    @Test("a successful call returns its value, and -1 is the only failure of the errno convention")
    func successReturnsValue() throws {
        let fd = try SystemCall.check("open", path: "/dev/null") { open("/dev/null", O_RDONLY | O_CLOEXEC) }
        defer { close(fd) }
        #expect(fd >= 0)
        var byte: UInt8 = 0
        #expect(try SystemCall.check("read", path: "/dev/null") { read(fd, &byte, 1) } == 0)
    }

    @Test("a permission error names the path and the uid to check")
    func permissionHint() {
        let error = SystemError(call: "open", code: EACCES, path: "/etc/luna/token")
        #expect(error.description == "open /etc/luna/token failed: Permission denied (errno 13); "
            + "check the permissions of /etc/luna/token and its directories for uid \(geteuid())")
    }

    @Test("SystemFile reads a whole file, and stops once past the limit of an endless one")
    func systemFileRead() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let path = scratch.path + "/f"
        try Data("hello\n".utf8).write(to: URL(fileURLWithPath: path))
        #expect(try SystemFile.contents(path) == Array("hello\n".utf8))
        let endless = try SystemFile.contents("/dev/zero", limit: 10)
        #expect(endless.count > 10 && endless.count <= 64 * 1024)
        let missing = try #require(throws: SystemError.self) { try SystemFile.contents(scratch.path + "/missing") }
        #expect(missing.call == "open" && missing.path == scratch.path + "/missing")
    }
}
