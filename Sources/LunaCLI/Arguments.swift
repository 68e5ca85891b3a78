import Foundation

/// A usage error: printed with the command's help hint, exit status 2.
struct UsageError: Error, CustomStringConvertible {
    var message: String
    var command: String?
    var description: String { message }
}

/// A small argv parser: flags with values, boolean flags, positionals, and `--`.
struct Arguments {
    private(set) var words: [String]
    /// Everything after a bare `--`, untouched.
    private(set) var afterDashes: [String]?
    let command: String
    /// The options already taken, so a second one left over is named as a repeat, not as unknown.
    private var taken: Set<String> = []

    init(_ argv: [String], command: String) {
        if let dash = argv.firstIndex(of: "--") {
            words = Array(argv[..<dash])
            afterDashes = Array(argv[(dash + 1)...])
        } else {
            words = argv
            afterDashes = nil
        }
        self.command = command
    }

    /// Removes `--name VALUE` or `--name=VALUE`; nil when absent.
    mutating func value(_ name: String) throws -> String? {
        for (i, w) in words.enumerated() {
            if w == name {
                guard i + 1 < words.count, !words[i + 1].hasPrefix("--") else {
                    throw UsageError(message: "\(name) needs a value", command: command)
                }
                let v = words[i + 1]
                words.removeSubrange(i...(i + 1))
                taken.insert(name)
                return v
            }
            if w.hasPrefix(name + "=") {
                words.remove(at: i)
                taken.insert(name)
                return String(w.dropFirst(name.count + 1))
            }
        }
        return nil
    }

    /// Removes a boolean `--name`; whether it was there.
    mutating func flag(_ name: String) -> Bool {
        guard let i = words.firstIndex(of: name) else { return false }
        words.remove(at: i)
        taken.insert(name)
        return true
    }

    /// Removes and returns the next positional word.
    mutating func positional(_ what: String) throws -> String {
        guard let i = words.firstIndex(where: { !$0.hasPrefix("--") }) else {
            throw UsageError(message: "missing \(what)", command: command)
        }
        return words.remove(at: i)
    }

    /// Fails on anything left over.
    func finish() throws {
        if let w = words.first {
            let name = String(w.split(separator: "=", maxSplits: 1).first ?? Substring(w))
            if taken.contains(name) {
                throw UsageError(message: "\(name) was given more than once; `luna \(command)` takes one", command: command)
            }
            throw UsageError(message: w.hasPrefix("-") ? "unknown option \(w)" : "unexpected argument '\(w)'", command: command)
        }
    }
}
