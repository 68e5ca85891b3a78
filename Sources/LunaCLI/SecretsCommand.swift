import Foundation
import LunaAgent

/// `luna secrets scan [PATH] [--staged] [--json]`: secret-shaped values in what git would commit.
enum SecretsCommand {
    static func run(_ args: inout Arguments, _ context: Context) throws -> Int32 {
        let sub = try args.positional("a subcommand (scan)")
        guard sub == "scan" else { throw UsageError(message: "unknown subcommand '\(sub)' (scan)", command: "secrets") }
        let staged = args.flag("--staged")
        let json = args.flag("--json")
        let given = args.words.first { !$0.hasPrefix("-") }
        if given != nil { _ = try args.positional("a path") }
        try args.finish()
        // A path needs no configuration (a CI job has none); without one, the configured ops repo.
        let path = try given ?? context.configuration().opsRepo
        let result: SecretScanResult
        do {
            result = try SecretScan.scan(path: path, staged: staged)
        } catch {
            printError("luna: \(error)")
            return Exit.error
        }
        if json {
            try printJSON(result)
        } else {
            for f in result.findings { emit(shown(f.description)) }
            for s in result.skipped { emit("skipped " + shown(s)) }
            let what = staged ? "staged files" : "files"
            emit(result.findings.isEmpty
                 ? "no secret-shaped value in \(result.scanned) \(what) of \(shown(path))"
                 : "\(result.findings.count) secret-shaped \(result.findings.count == 1 ? "value" : "values") in \(result.scanned) \(what) of \(shown(path)) (the values are not printed)")
        }
        return result.findings.isEmpty ? Exit.ok : Exit.negative
    }
}

extension CommandDefinition {
    static let secrets = CommandDefinition(
        name: "secrets", synopsis: "scan [PATH] [--staged]",
        summary: "secret-shaped values in the files git would commit (a pre-commit hook, a CI step)",
        usage: ["luna secrets scan [PATH] [--staged] [--json]"],
        details: """
            Reads the files git would commit under PATH (tracked and untracked, not
            ignored; default: the configured ops repo) and prints FILE:LINE, the key
            and the shape of every value the Redactor calls secret: private keys,
            tokens of known vendors, credentials in URLs, headers and command lines,
            crypt(3) hashes, values of secret-named keys (DB_PASSWORD=…) — never the
            value. A .env file git would commit is a finding too: secrets live in
            gitignored .env files. Digests, commit ids, UUIDs and ${VAR} references are
            not secrets. --staged reads what `git diff --cached` would commit (the
            index's content), for a pre-commit hook. Outside a git work tree every
            file under PATH is read. Binary and larger than 4 MiB files are skipped,
            and named. Luna's own commits to the ops repo refuse the same shapes.
            """,
        options: [Option("--staged", "only the staged content (git diff --cached)"),
                  Option("--json", #"{"scanned","skipped":[…],"findings":[{"file","line","column","shape","key"}]}"#)],
        examples: ["luna secrets scan", "luna secrets scan --staged", "luna secrets scan /srv/luna/ops --json"],
        footer: "Exit status: 0 nothing found, 1 secret-shaped values found, 2 error.",
        run: { try SecretsCommand.run(&$0, $1) })
}
