import Foundation
import LunaFleet
import LunaPolicy

/// Deployed sudoers vs `configs/sudoers/luna-<host>`, compared by effective permissions.
///
/// Collects `/etc/sudoers` and every file under `/etc/sudoers.d` with one
/// `grep -r -Z` (file name, NUL, line), rebuilds the deployed policy with its
/// `@includedir`/`@include` lines replaced by the collected files (so nothing is
/// read from the local disk for a remote host), and compares what the identity
/// may run there with the reference via the gate's parser. Reading the files
/// needs root: when they are unreadable the check is unavailable, with that reason.
public struct SudoersCheck: DriftCheck {
    public let name = "sudoers"
    public let referenceKind = "sudoers"
    /// The identity whose permissions are compared.
    public let user: String
    /// The identity's groups on the host (for `%group` rules).
    public let groups: [String]

    public init(user: String = "luna", groups: [String] = []) {
        self.user = user
        self.groups = groups
    }

    /// Reading `/etc/sudoers` and its includes needs root.
    public var needsRoot: Bool { true }

    /// Every line (`^` matches each, empty ones too) of every file, with its file name.
    public static let argv = ["/usr/bin/grep", "-r", "-a", "-H", "-Z", "-e", "^", "--", "/etc/sudoers", "/etc/sudoers.d"]

    public func plan(host: String, references: References) -> CollectionPlan {
        let path = references.directory + "/sudoers/luna-" + host
        guard FileManager.default.fileExists(atPath: path) else {
            return .done(unavailable(host, "no reference at \(path)"))
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            return .done(failed(host, "cannot read the reference \(path)"))
        }
        // Kept raw: Baseline.parse would drop `#include` lines as comments.
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            .enumerated().map { Baseline.Line(number: $0.offset + 1, text: String($0.element)) }
        return .run(argv: Self.argv, reference: Baseline(file: path, lines: lines))
    }

    public func evaluate(host: String, output: CommandResult, reference: Baseline?) -> CheckResult {
        guard let reference else { return failed(host, "no usable reference") }
        let files = Self.parseFiles(output.stdout)
        let denied = output.stderrText.contains("Permission denied")
        guard let main = files.first(where: { $0.path == "/etc/sudoers" }) else {
            if denied { return unavailable(host, "reading /etc/sudoers needs root: \(stderrExcerpt(output))") }
            if output.stderrText.contains("No such file") {
                return unavailable(host, "no /etc/sudoers on this host (sudo not installed)")
            }
            return failed(host, "grep exited \(output.exitStatus): \(stderrExcerpt(output))")
        }
        if denied { return unavailable(host, "some sudoers files are unreadable (reading them needs root): \(stderrExcerpt(output))") }
        if output.stdoutTruncated { return failed(host, "the deployed sudoers files were cut at the output limit") }
        let flat = Self.flatten(main.text, file: main.path, files: files, depth: 0)
        let deployed: Sudoers
        let expected: Sudoers
        do {
            deployed = try Sudoers.parse(flat, file: "\(host):/etc/sudoers")
        } catch {
            return failed(host, "the deployed sudoers does not parse: \(error)")
        }
        do {
            expected = try Sudoers.parse(reference.lines.map(\.text).joined(separator: "\n") + "\n", file: reference.file)
        } catch {
            return failed(host, "bad reference: \(error)")
        }
        let differences = expected.semanticDiff(deployed, user: user, groups: groups, host: host)
        let items = differences.map { DriftItem(subject: $0, summary: $0) }
        return .compared(host: host, check: name, items: items,
                         okDetail: "\(user)'s effective sudo rules match \(reference.file) (\(files.count) files read)")
    }

    /// One collected file.
    struct File: Equatable {
        var path: String
        var text: String
    }

    /// Parses `grep -r -a -H -Z '' …` output (path, NUL, line) into files, in order.
    static func parseFiles(_ data: Data) -> [File] {
        var files: [File] = []
        var index: [String: Int] = [:]
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            guard let nul = line.firstIndex(of: 0) else { continue }
            let path = String(decoding: line[line.startIndex..<nul], as: UTF8.self)
            let text = String(decoding: line[(nul + 1)...], as: UTF8.self)
            if let i = index[path] {
                files[i].text += text + "\n"
            } else {
                index[path] = files.count
                files.append(File(path: path, text: text + "\n"))
            }
        }
        return files
    }

    /// Replaces include directives with the collected files, the way sudo reads them.
    static func flatten(_ text: String, file: String, files: [File], depth: Int) -> String {
        guard depth < 8 else { return "" }
        let directory = (file as NSString).deletingLastPathComponent
        var out = ""
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            let f = fields(line)
            guard f.count >= 2, ["@include", "#include", "@includedir", "#includedir"].contains(f[0]) else {
                out += raw + "\n"
                continue
            }
            var target = f[1...].joined(separator: " ")
            if target.hasPrefix("\"") && target.hasSuffix("\"") && target.count >= 2 { target = String(target.dropFirst().dropLast()) }
            if !target.hasPrefix("/") { target = directory + "/" + target }
            if f[0].hasSuffix("dir") {
                let prefix = target.hasSuffix("/") ? target : target + "/"
                let included = files.filter { file in
                    guard file.path.hasPrefix(prefix) else { return false }
                    let name = String(file.path.dropFirst(prefix.count))
                    return !name.isEmpty && !name.contains("/") && !name.contains(".") && !name.hasSuffix("~")
                }.sorted { Array($0.path.utf8).lexicographicallyPrecedes(Array($1.path.utf8)) }
                for f in included { out += flatten(f.text, file: f.path, files: files, depth: depth + 1) }
            } else if let f = files.first(where: { $0.path == target }) {
                out += flatten(f.text, file: f.path, files: files, depth: depth + 1)
            }
        }
        return out
    }
}
