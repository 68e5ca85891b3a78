// swift-tools-version:6.0
//
// Luna — a supervised operations agent. No package dependencies: Foundation and
// Dispatch only, with libcurl and SQLite reached through system library targets.
import PackageDescription

let package = Package(
    name: "Luna",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "luna", targets: ["luna"]),
        .executable(name: "luna-bench", targets: ["luna-bench"]),
    ],
    targets: [
        // C modules, only ever imported by their wrapper room.
        .systemLibrary(
            name: "CLunaCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        .systemLibrary(
            name: "CLunaSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),

        // Rooms, one job each (see docs/architecture.md).
        // The platform: checked syscalls, the run lock, signals, systemd, users and hosts.
        .target(name: "LunaSystem"),
        .target(name: "LunaStore", dependencies: ["CLunaSQLite", "LunaSystem"]),
        .target(name: "LunaHTTP", dependencies: ["CLunaCurl", "LunaSystem"]),
        .target(name: "LunaConfig", dependencies: ["LunaSystem"]),
        // The one rendering of untrusted text (controls and escapes shown, never interpreted).
        .target(name: "LunaText"),
        // SHA-2 and the one JSON value, for every room that hashes or speaks JSON.
        .target(name: "LunaCodec"),
        .target(name: "LunaPolicy", dependencies: ["LunaCodec", "LunaText", "LunaSystem"]),
        .target(name: "LunaFleet", dependencies: ["LunaSystem"]),
        // The secret shapes: the Redactor (text leaving the host) and the scan (files an operator or Luna would commit).
        .target(name: "LunaSecrets"),
        .target(name: "LunaDrift", dependencies: ["LunaFleet", "LunaPolicy", "LunaCodec", "LunaSecrets"]),
        .target(name: "LunaMemory", dependencies: ["LunaStore", "LunaPolicy", "LunaText", "LunaCodec"]),
        .target(name: "LunaModel", dependencies: ["LunaHTTP", "LunaText", "LunaSystem", "LunaCodec", "LunaSecrets"]),
        .target(name: "LunaDiscord", dependencies: ["LunaHTTP", "LunaText", "LunaSystem", "LunaCodec"]),
        // The Model Context Protocol over stdio: framing, JSON-RPC, version negotiation; tools come from a provider.
        .target(name: "LunaMCP", dependencies: ["LunaCodec", "LunaText"]),
        .target(
            name: "LunaAgent",
            dependencies: ["LunaStore", "LunaHTTP", "LunaConfig", "LunaPolicy", "LunaFleet", "LunaDrift", "LunaMemory", "LunaModel", "LunaSecrets", "LunaDiscord", "LunaText", "LunaSystem", "LunaCodec"]
        ),
        // The commands, parsing and output of `luna`; the only user of Agent. A library so tests run commands in process.
        .target(name: "LunaCLI", dependencies: ["LunaAgent", "LunaMCP", "LunaConfig", "LunaDrift", "LunaMemory", "LunaModel", "LunaSecrets", "LunaPolicy", "LunaStore", "LunaText", "LunaSystem", "LunaCodec"]),
        .executableTarget(name: "luna", dependencies: ["LunaCLI"]),
        .executableTarget(name: "luna-bench", dependencies: ["LunaPolicy", "LunaConfig", "LunaStore", "LunaAgent", "LunaMemory", "LunaSystem", "TestSupport"]),

        // Loopback fakes and temp repos for tests; never linked into `luna`.
        .target(name: "TestSupport", dependencies: ["LunaHTTP", "LunaFleet", "LunaStore", "LunaCodec"]),

        .testTarget(name: "LunaSystemTests", dependencies: ["LunaSystem"]),
        .testTarget(name: "LunaTextTests", dependencies: ["LunaText"]),
        .testTarget(name: "LunaCodecTests", dependencies: ["LunaCodec"]),
        .testTarget(name: "LunaStoreTests", dependencies: ["LunaStore", "TestSupport"]),
        .testTarget(name: "LunaHTTPTests", dependencies: ["LunaHTTP", "TestSupport"]),
        .testTarget(name: "LunaConfigTests", dependencies: ["LunaConfig", "LunaModel", "TestSupport"]),
        .testTarget(name: "LunaPolicyTests", dependencies: ["LunaPolicy", "LunaCodec", "TestSupport"]),
        .testTarget(name: "LunaDriftTests", dependencies: ["LunaDrift", "LunaFleet", "LunaPolicy", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "LunaMemoryTests", dependencies: ["LunaMemory", "LunaStore", "LunaCodec", "TestSupport"]),
        .testTarget(name: "LunaModelTests", dependencies: ["LunaModel", "LunaSecrets", "LunaCodec", "TestSupport"]),
        .testTarget(name: "LunaMCPTests", dependencies: ["LunaMCP", "LunaCodec"]),
        .testTarget(name: "LunaDiscordTests", dependencies: ["LunaDiscord", "LunaHTTP", "LunaCodec", "TestSupport"]),
        .testTarget(name: "LunaFleetTests", dependencies: ["LunaFleet", "TestSupport"]),
        .testTarget(
            name: "LunaAgentTests",
            dependencies: ["LunaAgent", "LunaCLI", "LunaSystem", "LunaCodec", "TestSupport"],
            resources: []
        ),
        .testTarget(name: "LunaSystemdTests", dependencies: ["TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
