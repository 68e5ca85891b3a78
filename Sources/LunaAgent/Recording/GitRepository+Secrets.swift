import Foundation
import LunaModel

extension GitRepository {
    /// The values of the repository's gitignored `.env` files.
    ///
    /// These are the operator's secrets: exact values that must never leave the
    /// host, whatever shape they have. Unreadable files are skipped.
    public func envSecrets() -> [String] {
        var secrets: [String] = []
        let ignored = (try? git(["ls-files", "--others", "--ignored", "--exclude-standard", "-z"])) ?? ""
        for relative in ignored.split(separator: "\0").map(String.init) {
            let name = (relative as NSString).lastPathComponent
            guard name == ".env" || name.hasPrefix(".env.") || name.hasSuffix(".env") else { continue }
            if let text = try? String(contentsOfFile: path + "/" + relative, encoding: .utf8) {
                secrets += Redactor.envValues(text)
            }
        }
        return secrets
    }

    /// A redactor for text committed to this repository (which may be pushed off the host).
    public func redactor() -> Redactor { Redactor(exactSecrets: envSecrets()) }
}
