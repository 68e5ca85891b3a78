import Foundation
import LunaSystem
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite("RunLock: one runner per state directory")
struct RunLockTests {
    @Test("the holder's pid replaces whatever the lock file held, and a second taker is told who holds it")
    func secondTakerIsRefused() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let file = scratch.path + "/run.lock"
        // A longer stale content: without the truncate, its tail would stay behind the new pid.
        try Data("999999999999999\n".utf8).write(to: URL(fileURLWithPath: file))
        let lock = try RunLock(stateDirectory: scratch.path)
        #expect(lock.path == file)
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "\(getpid())\n")

        // flock conflicts between open file descriptions, even within one process.
        let held = try #require(throws: RunLock.Held.self) { try RunLock(stateDirectory: scratch.path) }
        #expect(held.holder == "\(getpid())")
        #expect(held.description == "another luna run holds \(file) (pid \(getpid())); stop it first")
        withExtendedLifetime(lock) {}
    }

    @Test("the lock is released with its owner")
    func releasedOnDeinit() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        do { _ = try RunLock(stateDirectory: scratch.path) }
        _ = try RunLock(stateDirectory: scratch.path)
    }

    @Test("a state directory that does not exist is a SystemError naming the lock file")
    func missingDirectory() throws {
        let error = try #require(throws: SystemError.self) { try RunLock(stateDirectory: "/nonexistent-luna/state") }
        #expect(error.call == "open")
        #expect(error.path == "/nonexistent-luna/state/run.lock")
        #expect(error.code == ENOENT)
    }
}
