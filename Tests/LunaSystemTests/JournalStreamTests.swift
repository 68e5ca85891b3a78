import Foundation
import LunaSystem
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite("the journal stream, levels, atomic replace")
struct JournalStreamTests {
    @Test func aDescriptorIsTheJournalOnlyWhenItsDeviceAndInodeMatch() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("luna-journal-\(UUID().uuidString)").path
        let fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0o600)
        #expect(fd >= 0)
        defer { close(fd); unlink(path) }
        var info = stat()
        #expect(fstat(fd, &info) == 0)
        #expect(JournalStream.isJournal(fd: fd, value: "\(info.st_dev):\(info.st_ino)"))
        #expect(!JournalStream.isJournal(fd: fd, value: "\(info.st_dev):\(info.st_ino + 1)"), "inherited by a child writing elsewhere")
        #expect(!JournalStream.isJournal(fd: fd, value: nil))
        #expect(!JournalStream.isJournal(fd: fd, value: "garbage"))
        #expect(!JournalStream.isJournal(fd: fd, value: "\(info.st_dev):\(info.st_ino):1"))
    }

    @Test func levelsAreSyslogPrioritiesAndNamedAsTheConfigurationSpellsThem() {
        #expect(LogLevel.allCases.map(\.journalPrefix) == ["<3>", "<4>", "<6>", "<7>"])
        #expect(LogLevel(name: "warning") == .warning && LogLevel(name: "warn") == nil)
        #expect(LogLevel.error < LogLevel.warning && LogLevel.info < LogLevel.debug)
    }

    @Test func replaceWritesAWholeFileWithItsMode() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("luna-replace-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/luna.prom"
        try SystemFile.replace(path, with: Array("a 1\n".utf8))
        #expect((try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) == 0o644)
        // Group and other write bits, which any umask but 0 strips at open: the mode is set on the file itself.
        try SystemFile.replace(path, with: Array("a 2\n".utf8), mode: 0o666)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "a 2\n")
        #expect((try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) == 0o666)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["luna.prom"])
        #expect(throws: SystemError.self) { try SystemFile.replace(directory + "/missing/luna.prom", with: []) }
    }
}
