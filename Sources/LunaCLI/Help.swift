import LunaDrift

/// Help texts, one per command; `luna help COMMAND` and `luna COMMAND --help` print them.
enum Help {
    static let main = """
    luna — a supervised operations agent: finds drift, proposes exact actions,
    checks them against the luna allowlist, runs only what you approved, and
    commits every outcome with its reason.

    Usage: luna [--config PATH] [--state-dir DIR] COMMAND [OPTIONS]

    Commands:
      run [--once]                    the daemon loop (or one cycle): scan, plan, gate,
                                      execute approved actions, record outcomes
      scan [--host H] [--check C] [--json]
                                      collect and diff now; report per host and check
      proposals [--state S] [--json]  list proposals (all, or in state S)
      show ID [--json]                a proposal's full record
      approve ID                      approve a proposal awaiting approval (channel: cli)
      deny ID [--reason TEXT]         deny it, with the reason recorded
      allowed ...                     what sudo would decide for the luna identity
      memory add|list|search|show|rm|approve|reindex
                                      memory notes (memory/<slug>.md in the ops repo)
      skills list|show|diff|approve|reject|edit|merge|retire|restore|lint
                                      review distilled skills (skills/<name>/: SKILL.md,
                                      luna.json, stats.json)
      plan FINDING-ID [--dry-run] [--json]
                                      plan one finding now: a skill, else the model
      status [--json]                 approval channels' health, pending proposals,
                                      the last scan and the last error
      baseline capture|diff --host H [--check C] [--reason TEXT] [--json]
                                      write the current state as the reference and
                                      commit it (capture), or show what that would change
      mcp                             a Model Context Protocol server on stdin/stdout for an
                                      interactive agent: inspect and propose, never approve
      context HOST [--finding ID]     what the planner reads before acting on HOST (or a finding)
      help [COMMAND]                  this text, or a command's

    Global options:
      --config PATH     the configuration (default /etc/luna/luna.toml)
      --state-dir DIR   the state directory (default: state_dir from the
                        configuration, else /var/lib/luna)
      -h, --help        help; every command takes --help too

    Exit status:
      0  success; `scan`: no drift; `allowed`: sudo would allow it
      1  `scan`: drift found; `allowed`: sudo would deny it; `plan`: no plan
      2  error: bad usage, bad configuration or reference, unknown, expired or
         already-decided proposal, another `luna run` holds the lock, I/O failure
    """

    static let mcp = """
    Usage: luna [--config PATH] mcp

    Serves the Model Context Protocol on standard input and output (newline-
    delimited JSON-RPC 2.0; no socket is opened), for an interactive agent such
    as Claude Code:  claude mcp add luna -- luna mcp --config /etc/luna/luna.toml

    Protocol versions: 2026-07-28 (stateless; server/discover) and, through the
    initialize handshake, 2025-11-25 and 2025-06-18. Logs go to standard error.

    Tools: findings, scan (read-only: nothing is stored), allowed, inspect (the
    host's declared read set only, output redacted and clipped), proposal,
    memory_search, skills, references; and, into the queue: propose (the same
    gate, then awaiting_approval on every configured channel), suggest_note (a
    pending note for `luna memory approve`), draft_runbook (committed under
    docs/runbooks/). No tool approves, denies, executes or changes
    configuration. Resources: luna://references/HOST/KIND, luna://memory/SLUG,
    luna://runbooks/FILE, luna://skills/NAME. Prompt: recon {host, finding?}.

    Proposals carry the source mcp:<client name>, shown on the approval card and
    as a Proposed-by: commit trailer. At most 5 proposals awaiting approval per
    client name, 20 for all MCP clients together, and 60 calls a minute per
    process. It does not take the run lock: it works
    beside a running `luna run`, which executes what the operator approved.
    """

    static let context = """
    Usage: luna context HOST [--finding ID]

    Prints what Luna's planner reads before acting: for a finding, exactly the
    model planner's recon (the finding and its diff, the references, what luna
    may run there, memory notes, skills, the last outcomes); for a host, its open
    findings, its sudoers reference, what luna may run, memory notes and the last
    outcomes. Redacted; every block is marked as data. The MCP prompt `recon`
    returns the same text.
    """

    static let run = """
    Usage: luna run [--once]

    Runs the supervised loop. Each cycle expires overdue proposals, scans every
    host, plans open findings (an approved skill, else the
    model when [llm] is configured), passes proposals through the gate,
    executes approved proposals (once: the state says `executing` before the
    process starts), verifies them and commits each outcome to the ops repo.
    Between scans it picks up new approvals every few seconds.

    A proposal found `executing` at start (luna was killed mid-action) becomes
    `interrupted` and is never re-run on its own. Under systemd (Type=notify) it
    sends READY=1, STATUS= and WATCHDOG=1. SIGTERM or SIGINT stop it between steps.

    Options:
      --once   run one cycle and print its report, then exit
    """

    /// `scan --help`: the check list comes from the catalog, so a new check is named without editing help.
    static var scan: String { """
    Usage: luna scan [--host H] [--check C] [--json]

    Collects the enabled checks now and compares them with the references under
    configs/ in the ops repo. Findings are stored (new, changed, resolved) but
    nothing is planned or run.

    ssh hosts are scanned in parallel ([ssh] max_parallel), all of a host's
    collections in one ssh round trip through the bastion. Each ssh host also
    reports the check `reach`: ok, or drift `unreachable` / `hostkey-mismatch`
    (its other checks are then unavailable). The report lists only what changed
    since the last scan, plus reminders of findings still open after
    [scan] reminder_hours. On a terminal, progress (hosts scanned so far) is
    shown on stderr while the scan runs.

    Options:
      --host H    only this host (repeatable)
      --check C   only this check (repeatable): \(wrapped(CheckCatalog.names, firstColumn: 43, indent: 14))
      --json      one JSON object: {"results":[{"host","check","status","detail","items"}], "events":[{"event":"new|changed|resolved|reminder",…}]}

    Exit status: 0 no drift, 1 drift, 2 error (a check failed, or bad usage).
    """ }

    /// Words joined by ", " and wrapped before `width`, continuation lines indented.
    ///
    /// - Parameters:
    ///   - firstColumn: Where the first word starts on its line.
    ///   - indent: The indent of the following lines.
    static func wrapped(_ words: [String], firstColumn: Int, indent: Int, width: Int = 80) -> String {
        var lines: [String] = []
        var line = ""
        var column = firstColumn
        for (i, word) in words.enumerated() {
            let piece = word + (i < words.count - 1 ? "," : "")
            if !line.isEmpty && column + 1 + piece.count > width {
                lines.append(line)
                line = piece
                column = indent + piece.count
            } else {
                line += (line.isEmpty ? "" : " ") + piece
                column += (line == piece ? 0 : 1) + piece.count
            }
        }
        lines.append(line)
        return lines.joined(separator: "\n" + String(repeating: " ", count: indent))
    }

    static let baseline = """
    Usage: luna baseline capture --host H [--check C] --reason TEXT [--json]
           luna baseline diff --host H [--check C] [--json]

    capture collects the host's current state for each capturable check (ports,
    sshd, files, services) and writes it as the reference configs/<kind>/<host>
    in the ops repo: plain text, sorted, one item a line. It commits exactly those
    files with TEXT as the reason; the operator's index is left alone. If any
    check cannot be captured nothing is written. diff shows what capture would
    change (- removed, + added).

    The files check captures the mode and owner of the paths its reference
    already lists; the sshd check the keywords its reference lists (or a default
    hardening set).

    Options:
      --host H       the host (required)
      --check C      only this check (repeatable)
      --reason TEXT  why this state becomes the reference (required for capture)
      --json         capture: {"commit","changes":[…]}; diff: [{"host","check","path","added","removed",…}]

    Exit status: capture 0 done (or nothing to do), 2 error;
    diff 0 no change, 1 a capture would change something, 2 error.
    """

    static let proposals = """
    Usage: luna proposals [--state S] [--json]

    Lists proposals, oldest first. States: proposed, refused, awaiting_approval,
    approved, denied, expired, executing, succeeded, failed, interrupted, recorded.

    Options:
      --state S   only proposals in state S
      --json      a JSON array of proposals
    """

    static let show = """
    Usage: luna show ID [--json]

    Shows a proposal's full record: the finding, the exact argv, the gate's
    verdict and the deciding rule, the approval (who, when, channel, digest),
    the execution's output and exit status, the verification and the commit.
    """

    static let approve = """
    Usage: luna approve ID

    Approves proposal ID, which must be awaiting approval and not expired. The
    approval binds to the proposal's digest and is recorded with channel `cli`
    and your user name. The next cycle of `luna run` executes it.
    """

    static let deny = """
    Usage: luna deny ID [--reason TEXT]

    Denies proposal ID. The reason is recorded in the commit and in memory.
    """

    static let allowed = """
    Usage: luna allowed --host NAME [--runas USER[:GROUP]] [--uid N] [--json] -- PROGRAM [ARG…]
           luna allowed --sudoers FILE [--user NAME] [--uid N] [--groups G1,G2] [--host NAME]
                        [--runas USER[:GROUP]] [--json] -- PROGRAM [ARG…]
           luna allowed --list --host NAME [--json]

    Answers what real sudo would decide for the luna identity. With --host alone
    it reads that host's reference (configs/sudoers/luna-NAME) and groups from
    the configuration; with --sudoers it reads FILE (user default luna, host
    default this machine's short name, runas default root). The output shows the
    deciding rule (file:line), then the gate's classification and any refusal.
    --uid N is the user's numeric id, for #uid rules (default: the inventory's
    uid for the host, or this machine's for --sudoers). --runas :GROUP runs as
    oneself with another group (sudo -g). Rules that depend on what Luna does not
    model or know (CHROOT=, CWD=, a digest on a remote host, an address or account
    the inventory does not give) never allow; the output says why.

    The last line, read:, says whether the command is in the host's declared
    read set: allowed through a rule whose command comes from Cmnd_Alias LUNA_READ
    (or the aliases named in [policy] read_only_aliases), and not a form the
    classifier knows to write. Only those run without an approval (the model's
    inspect, a proposal's verification); everything else needs one.

    Exit status: 0 sudo would allow it, 1 sudo would deny it, 2 a syntax error in
    the reference or a bad call. (Only sudo's verdict sets it; the gate's own
    refusals are shown but do not change it.)

    Options:
      --list   print what luna may run on the host, readably
    """

    static let memory = """
    Usage: luna memory add --title TEXT [--body TEXT|-] [--hosts H1,H2] [--tags T1,T2]
                           [--source operator|agent|outcome|denial] [--slug SLUG] [--pending] [--json]
           luna memory list [--pending] [--host H] [--tag T] [--json]
           luna memory search [--host H] [--tag T] [--limit N] [--json] QUERY…
           luna memory show SLUG [--json]
           luna memory rm SLUG
           luna memory approve SLUG
           luna memory reindex [--json]

    Memory notes are files memory/<slug>.md in the ops repo (front matter: title,
    hosts, tags, source, created; then the body). The files are the source of
    truth; SQLite keeps an FTS5 index that `reindex` (and the daemon at start)
    rebuilds from them. `add` writes and commits the file (the body is read from
    stdin when --body is absent or -); a note with --pending or --source agent
    waits, uncommitted, until `approve`. `rm` commits the file's removal.

    Search matches words (all must appear) and "quoted phrases"; other FTS
    syntax in the query is taken as plain text. --host keeps notes about that
    host and notes that name no host.

    Exit status: 0 ok; 1 `search` found nothing, or `reindex` skipped a bad file
    (reported as file:line); 2 error.
    """

    static let skills = """
    Usage: luna skills list [--pending] [--json]
           luna skills show NAME [--json]
           luna skills diff NAME
           luna skills approve NAME [--reason TEXT]
           luna skills reject NAME --reason TEXT
           luna skills edit NAME
           luna skills merge DRAFT --into SKILL
           luna skills retire NAME [--reason TEXT]
           luna skills restore NAME [--reason TEXT]
           luna skills lint [--dir DIR] [--fix] [--json]

    A skill is a folder skills/NAME/ in the ops repo: SKILL.md in the Agent
    Skills format (front matter `name` and `description` only, so Claude Code,
    Hermes and the reference validator read it), luna.json with Luna's
    procedure (check, match, argv and verify templates, expect, risk,
    drafted-by), and stats.json with its state (version, uses, successes,
    failures, hosts, suspension, history), committed by Luna. A SKILL.md
    without luna.json is a reference skill: its body is recon context for the
    model on findings it applies to (metadata `luna-applies-to: CHECK …`, or
    its name and description words); it never plans a command. The previous
    format (procedure in the front matter) is still read.

    When a proposal no skill covered succeeds and its verification passes, Luna
    drafts a pending skill from the executed steps (finding parameters become
    {placeholders}). A draft equal to an existing skill (same check, match and
    steps) is merged into that skill's evidence instead. With an [llm] section
    and prompts/distill.md, the model then redrafts a new draft (name, prose,
    templates); its draft is taken only when its templates, filled from the
    finding, give back exactly the commands that ran — otherwise Luna's draft
    stays. `show` says who drafted it (luna or the model) and why a model draft
    was refused, and which drafts look alike (same check and argv shape);
    `merge` moves a draft's evidence into its look-alike and rejects the draft.
    `approve` writes skills/NAME/ and commits it with the reason; a draft whose
    steps fail the gate's structural rules (relative program, shell wrapper,
    destructive) cannot be approved. `reject` is committed to skills/.rejected:
    the same draft is never offered again. `edit` opens the draft's SKILL.md and
    luna.json in $EDITOR and validates them again on save. A skill whose last 3
    uses failed is suspended (the cycle report says so) and is not used until
    approved again. `retire` moves the folder to skills/.retired/ (one commit),
    `restore` moves it back. Editing luna.json by hand starts a new version:
    its stats start again (the old ones stay in git history). `list` shows the
    success rate, last use, last failure and hosts; an approved skill unused
    for [skills] stale_after_days (default 90) is shown `stale` and still used.
    Skill state is rebuilt from the repo at start, so it survives the loss of
    the state directory. `lint` checks every skill against Luna's rules and the
    Agent Skills rules (name format and folder, description length, YAML-safe
    values, luna.json types, the gate's structural rules) and prints
    `file:line: problem — fix`; exit 1 when there is a problem. `--fix`
    rewrites skills of the previous format in the current one (not committed).
    Only approved, non-suspended, non-retired skills are used by the planner.
    """

    static let plan = """
    Usage: luna plan FINDING-ID [--dry-run] [--json]

    Plans one open finding now: an approved skill first (no model call),
    otherwise the model of the [llm] section, with recon (the finding, the
    host's references, what luna may run, memory notes, skills, last outcomes).
    Model proposals pass the gate and wait for `luna approve`.

      --dry-run   print the exact (redacted) request body the model would get;
                  nothing is sent
      --json      machine-readable result, with today's model use

    Prints today's model use against daily_token_budget.
    Exit status: 0 a proposal awaits approval (or --dry-run); 1 no plan;
    2 error (unknown or resolved finding, a proposal is already active).
    """

    static let status = """
    Usage: luna status [--json]

    Shows every approval channel and its health (cli; discord, "not
    configured" without [channels.discord] or [discord]: ok, degraded while
    Discord fails and luna backs off, halted after a 401/403 until luna is
    restarted with a working token), the
    proposals awaiting approval, when the last scan finished, the last
    channel error, and today's model use against daily_token_budget. It reads
    the state database only; it never calls Discord or the model.

    Exit status: 0, or 2 on a bad configuration or state.

    Options:
      --json   the same as JSON
    """

    static func text(for command: String) -> String? {
        switch command {
        case "run": run
        case "scan": scan
        case "proposals": proposals
        case "show": show
        case "approve": approve
        case "deny": deny
        case "allowed": allowed
        case "memory": memory
        case "skills": skills
        case "plan": plan
        case "status": status
        case "baseline": baseline
        case "mcp": mcp
        case "context": context
        default: nil
        }
    }
}
