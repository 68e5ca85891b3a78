import Foundation
import LunaFleet

/// SUID/SGID files under configured roots vs the baseline in `configs/suid/<host>`.
///
/// Reference lines: `root /usr` (a tree to scan; `find -xdev` stays on its
/// file system) and absolute paths (the known SUID/SGID files). A new file is a
/// finding; a known file that is gone is one too, but only when the scan could
/// read every directory (otherwise "gone" may just be "not seen").
public struct SUIDCheck: DriftCheck {
    public let name = "suid"
    public let referenceKind = "suid"

    public init() {}

    static func roots(_ b: Baseline) throws(BaselineError) -> [String] {
        var roots: [String] = []
        for line in b.lines {
            let f = line.fields
            if f.first == "root" {
                guard f.count == 2, f[1].hasPrefix("/") else { throw b.error(line, "expected 'root /ABSOLUTE/PATH'") }
                roots.append(f[1])
            } else if f.count != 1 || !f[0].hasPrefix("/") {
                throw b.error(line, "expected 'root PATH' or one absolute path a line")
            }
        }
        return roots
    }

    public func plan(host: String, references: References) -> CollectionPlan {
        switch reference(host: host, references: references, Self.roots) {
        case .failure(let box):
            return .done(box.result)
        case .success(let (baseline, roots)):
            guard !roots.isEmpty else { return .done(unavailable(host, "\(baseline.file) names no 'root' to scan")) }
            return .run(argv: ["find"] + roots + ["-xdev", "-type", "f", "-perm", "/6000", "-printf", "%m %p\\0"],
                        reference: baseline)
        }
    }

    public func evaluate(host: String, output: CommandResult, reference: Baseline?) -> CheckResult {
        guard let reference else { return failed(host, "no usable reference") }
        let live = Self.parse(output.stdout)
        let complete = output.exitStatus == 0 && !output.stdoutTruncated
        if live.isEmpty && !complete && !output.stderrText.contains("Permission denied") {
            return failed(host, "find exited \(output.exitStatus): \(stderrExcerpt(output))")
        }
        let known = Set(reference.lines.compactMap { $0.fields.count == 1 ? $0.fields[0] : nil })
        var items: [DriftItem] = []
        for (path, mode) in live.sorted(by: { $0.key < $1.key }) where !known.contains(path) {
            items.append(DriftItem(subject: "+" + path, summary: "new SUID/SGID file \(path) (mode \(mode))", observed: mode))
        }
        if complete {
            for path in known.sorted() where live[path] == nil {
                items.append(DriftItem(subject: "-" + path, summary: "known SUID/SGID file \(path) is gone or lost its bits",
                                       params: ["path": path]))
            }
        }
        let note = complete ? "" : " (some directories unreadable: only new files are reported)"
        var result = CheckResult.compared(host: host, check: name, items: items,
                                          okDetail: "\(live.count) SUID/SGID files, all in the baseline\(note)")
        if result.status == .drift && !complete { result.detail += "\n" + note.trimmingCharacters(in: .whitespaces) }
        result.partial = !complete
        return result
    }

    /// Parses `find -printf '%m %p\0'` output: path → octal mode. Non-UTF-8 bytes become U+FFFD.
    public static func parse(_ data: Data) -> [String: String] {
        var out: [String: String] = [:]
        for record in data.split(separator: 0) {
            let text = String(decoding: record, as: UTF8.self)
            guard let space = text.firstIndex(of: " ") else { continue }
            let path = String(text[text.index(after: space)...])
            guard path.hasPrefix("/") else { continue }
            out[path] = String(text[..<space])
        }
        return out
    }
}
