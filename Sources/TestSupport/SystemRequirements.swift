import Foundation

/// Whether tests that need real system parts (root, sudo, sshd, unshare,
/// systemd-analyze) must run.
///
/// `.ci/run` sets `LUNA_SYSTEM_TESTS=1`: there a missing part is a failure, not a
/// skip, so CI can never go green by silently skipping the tests that matter.
/// On a developer machine without the parts those tests are skipped.
public enum SystemRequirements {
    /// True when `LUNA_SYSTEM_TESTS=1` is set in the environment.
    public static var required: Bool {
        ProcessInfo.processInfo.environment["LUNA_SYSTEM_TESTS"] == "1"
    }

    /// True when the process runs as root.
    public static var isRoot: Bool { geteuid() == 0 }

    /// The absolute path of `name` found on `PATH` (plus the sbin folders), or nil.
    public static func which(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let dirs = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin", "/usr/local/sbin"]
        for dir in dirs {
            let candidate = dir + "/" + name
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Whether a system test may run: all `tools` exist (and root when `needsRoot`).
    ///
    /// When they don't and `LUNA_SYSTEM_TESTS=1`, this returns true anyway so the
    /// test runs and fails loudly on the missing part instead of being skipped.
    public static func available(tools: [String], needsRoot: Bool = false) -> Bool {
        if required { return true }
        if needsRoot && !isRoot { return false }
        return tools.allSatisfy { which($0) != nil }
    }

    /// The Python of the virtualenv holding the official MCP Python SDK (`mcp` from PyPI),
    /// as `.ci/run` installs it: `LUNA_MCP_CLIENT_PYTHON`, else `/opt/luna-mcp-client/bin/python`.
    public static var mcpClientPython: String {
        ProcessInfo.processInfo.environment["LUNA_MCP_CLIENT_PYTHON"] ?? "/opt/luna-mcp-client/bin/python"
    }

    /// Whether the MCP client tests may run: the SDK's virtualenv is there (always true under `LUNA_SYSTEM_TESTS=1`,
    /// so a missing one fails there instead of skipping).
    public static var mcpClientAvailable: Bool {
        required || FileManager.default.isExecutableFile(atPath: mcpClientPython)
    }
}
