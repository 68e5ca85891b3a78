import Foundation
import LunaMemory
import LunaStore

/// A temp folder with a migrated state database and a `memory/` folder; removed by `remove()`.
struct Scratch {
    let root: String
    let db: Database
    var memory: String { root + "/memory" }

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("luna-mem-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: root + "/memory", withIntermediateDirectories: true)
        db = try Database(path: root + "/luna.db")
        _ = try db.migrate(MemoryStore.migrations + SkillRegistry.migrations)
    }

    func write(_ relative: String, _ text: String) throws {
        let path = memory + "/" + relative
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    func remove() {
        db.close()
        try? FileManager.default.removeItem(atPath: root)
    }
}
