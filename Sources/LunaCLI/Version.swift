import LunaHTTP
import LunaStore

/// `luna --version`: Luna's release and the C libraries this binary runs with.
enum Version {
    /// Luna's release; raised with every tagged release.
    static let number = "0.3.0"

    static var text: String {
        "luna \(number)\n\(HTTPClient.libraryVersion)\nSQLite/\(Database.libraryVersion)"
    }
}
