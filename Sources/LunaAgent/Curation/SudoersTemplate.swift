import Foundation

/// The sudoers reference every host starts from: the read set of every check that
/// needs root, exactly as `configs/sudoers/luna.template` in Luna's repository
/// (`SudoersTemplateTests` keeps the two the same).
public enum SudoersTemplate {
    /// The template's text; `@HOST@` stands for the host's name.
    public static let shipped = #"""
# What the luna identity may run on @HOST@, read by Luna's gate exactly as sudo
# reads it. Copy it to configs/sudoers/luna-@HOST@ in the ops repo and install the
# same text on the host as /etc/sudoers.d/luna (visudo -cf first); see docs/install.md.
#
# LUNA_READ is the declared read set: the only commands Luna runs without an
# approval. Each entry allows exactly one collection of a check that needs root
# (no argument wildcard: a '*' in sudo's arguments matches spaces too, and with
# them any further arguments). The three regular expressions (sudo 1.9.10 and
# later) let only the window of the auth collection vary: a journal cursor or a
# line number, never a space.
#
#   sshd      effective settings (reads the host keys)
#   sudoers   /etc/sudoers and every file under /etc/sudoers.d
#   auth      the journal (sudo, sshd, sshd-session) after the saved cursor, or
#             /var/log/auth.log on a host without one (sed --sandbox, read only)
#   quorum    corosync's quorum service
#   qdevice   corosync-qdevice's status socket
#   containers  the engine's socket (docker or podman)
#
# A check missing its line here reports, e.g.:
#   unavailable: needs root — add "/usr/sbin/sshd -T" to LUNA_READ in configs/sudoers/luna-@HOST@
Cmnd_Alias LUNA_READ = /usr/sbin/sshd -T, \
                       /usr/bin/grep -r -a -H -Z -e \^ -- /etc/sudoers /etc/sudoers.d, \
                       /usr/bin/journalctl ^--no-pager -o short-iso --show-cursor SYSLOG_IDENTIFIER=sudo SYSLOG_IDENTIFIER=sshd SYSLOG_IDENTIFIER=sshd-session (--since=-24h|--after-cursor=[0-9a-z=;]+)$, \
                       /usr/sbin/corosync-quorumtool -s, \
                       /usr/sbin/corosync-qdevice-tool -s, \
                       /usr/bin/docker ps -a --format json, \
                       /usr/bin/podman ps -a --format json, \
                       /usr/bin/sed ^--sandbox -n -e 1p;[0-9]+,\$\{/ sudo\\\(\\\[\\\|:\\\)/\{/incorrect password attempt\\\|NOT in sudoers\\\|command not allowed\\\|a password is required/\{z;s/\^/sudo/p\}\};/ sudo\\\(\\\[\\\|:\\\)/!\{/ sshd\\\(\\\[\\\|:\\\|-session\\\[\\\)/\{/Failed \\\(password\\\|publickey\\\|keyboard-interactive\[\^\[:space:\]\]\*\\\|none\\\|hostbased\\\) for /\{z;s/\^/ssh/p\}\}\}\};\$= -- /var/log/auth\.log$

# The fixes luna may propose (each still needs an operator's approval), e.g.:
# Cmnd_Alias LUNA_FIX = /usr/bin/systemctl restart ssh.service

luna ALL = (root) NOPASSWD: LUNA_READ

"""#

    /// The template `luna init` uses: the ops repo's own `configs/sudoers/luna.template`
    /// when it has one (the operator's edits), otherwise the shipped one.
    public static func text(opsRepo: String) -> String {
        (try? String(contentsOfFile: opsRepo + "/configs/sudoers/luna.template", encoding: .utf8)) ?? shipped
    }

    /// The reference for one host: `@HOST@` replaced, and the rule's user (`luna` in the
    /// template) set to the configured identity.
    public static func render(_ template: String, host: String, identity: String) -> String {
        let lines = template.replacingOccurrences(of: "@HOST@", with: host).split(separator: "\n", omittingEmptySubsequences: false)
        return lines.map { line -> String in
            guard identity != "luna", line.hasPrefix("luna ") else { return String(line) }
            return identity + line.dropFirst("luna".count)
        }.joined(separator: "\n")
    }
}
