import Foundation
import LunaConfig
import LunaDrift
import LunaMemory
import LunaModel
import LunaStore
import LunaSystem
import LunaText

/// The read-only `luna://` resources: each host's references, the active memory
/// notes, the runbooks and the approved skills. A URI is read only when it is one
/// of the listed ones, so no URI can name a path outside them.
extension InteractiveService {
    /// One readable resource and the file behind it.
    public struct Resource: Sendable, Equatable {
        public var uri: String
        public var name: String
        public var description: String
        /// The path inside the ops repo, for display.
        public var path: String
        /// The file read (empty for a memory note, which is read from the index).
        var file: String
        var noteSlug: String? = nil
    }

    /// The largest resource text returned, in UTF-8 bytes.
    static let resourceLimit = 256 * 1024

    /// A file name that can stand in a URI as it is: `[A-Za-z0-9._-]`, not starting with a dot.
    /// Others are not offered (a name is text from the ops repo, and a URI is shown as it is).
    static func plainName(_ name: String) -> Bool {
        !name.isEmpty && !name.hasPrefix(".") && name.unicodeScalars.allSatisfy {
            $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "." || $0 == "_" || $0 == "-")
        }
    }

    /// A host's reference files: each check kind's `configs/<kind>/<host>` and the sudoers reference.
    func referenceFiles(host: String) -> [Resource] {
        let fm = FileManager.default
        var out: [Resource] = []
        let sudoers = config.sudoersDirectory + "/luna-" + host
        if fm.fileExists(atPath: sudoers) {
            out.append(Resource(uri: "luna://references/\(host)/sudoers", name: "\(host) sudoers reference",
                                description: "What luna may run on \(host) (its sudoers reference; LUNA_READ is the declared read set).",
                                path: "configs/sudoers/luna-\(host)", file: sudoers))
        }
        let kinds = ((try? fm.contentsOfDirectory(atPath: config.configsDirectory)) ?? []).filter { $0 != "sudoers" && Self.plainName($0) }.sorted()
        for kind in kinds {
            let file = config.configsDirectory + "/" + kind + "/" + host
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: file, isDirectory: &isDir), !isDir.boolValue else { continue }
            out.append(Resource(uri: "luna://references/\(host)/\(kind)", name: "\(host) \(kind) reference",
                                description: "The intended \(kind) state of \(host), as the \(kind) check compares it.",
                                path: "configs/\(kind)/\(host)", file: file))
        }
        return out
    }

    /// Every resource, in a fixed order: references by host, memory notes, runbooks, skills.
    public func resources() throws -> [Resource] {
        var out = config.hosts.flatMap { referenceFiles(host: $0.name) }
        for note in try memory.list(status: "active", limit: 500) {
            out.append(Resource(uri: "luna://memory/\(note.slug)", name: note.title, description: "Memory note \(note.slug) (operator-approved).",
                                path: "memory/\(note.slug).md", file: "", noteSlug: note.slug))
        }
        let runbooks = config.opsRepo + "/docs/runbooks"
        for name in ((try? FileManager.default.contentsOfDirectory(atPath: runbooks)) ?? []).filter({ $0.hasSuffix(".md") && Self.plainName($0) }).sorted() {
            out.append(Resource(uri: "luna://runbooks/\(name)", name: "Runbook \(name)", description: "A runbook draft for the operator's own account.",
                                path: "docs/runbooks/\(name)", file: runbooks + "/" + name))
        }
        let approved = Set(try skillRegistry.records(status: "approved").map(\.name))
        for name in ((try? FileManager.default.contentsOfDirectory(atPath: config.skillsDirectory)) ?? []).sorted() where approved.contains(name) && Self.plainName(name) {
            let file = config.skillsDirectory + "/" + name + "/SKILL.md"
            guard FileManager.default.fileExists(atPath: file) else { continue }
            out.append(Resource(uri: "luna://skills/\(name)", name: "Skill \(name)", description: "The approved skill \(name) (SKILL.md).",
                                path: "skills/\(name)/SKILL.md", file: file))
        }
        return out.map { var r = $0; r.name = Self.outbound(r.name, redactor()); return r }
    }

    /// The text of a listed resource, redacted and inert; nil for a URI that is not listed.
    public func read(resource uri: String) throws -> String? {
        guard let r = try resources().first(where: { $0.uri == uri }) else { return nil }
        let text: String
        if let slug = r.noteSlug {
            guard let note = try memory.note(slug) else { return nil }
            text = "# \(note.title)\n\n\(note.body)"
        } else {
            guard let bytes = try? SystemFile.contents(r.file, limit: Self.resourceLimit) else { return nil }
            text = Clip.utf8(String(decoding: bytes, as: UTF8.self), Self.resourceLimit)
        }
        return Self.outbound(text, redactor())
    }

    /// What Luna's planner reads before acting, for an interactive agent: the finding's
    /// recon when a finding is named (exactly `ReconBuilder.reconContext`), else the host's.
    ///
    /// - Throws: `AgentError.invalid` for a host not in the inventory or a finding not on it.
    public func recon(host: String, findingID: Int64?) throws -> String {
        guard config.host(host) != nil else { throw AgentError(.invalid, "host '\(host)' is not in the inventory") }
        let builder = ReconBuilder(context: context)
        let text: String
        if let findingID {
            guard let finding = try ledger.finding(findingID), finding.host == host else {
                throw AgentError(.invalid, "no finding \(findingID) on \(host)")
            }
            text = try builder.reconContext(finding, redactor: redactor())
        } else {
            text = try builder.hostContext(host, redactor: redactor())
        }
        return Self.outbound(text, redactor())
    }
}

