import LunaDrift

/// The help of `luna`: the main text around the generated command list, and each
/// command's definition (``CommandDefinition``), from which `luna COMMAND --help`
/// is rendered.
enum Help {
    /// Where summaries start in the command list.
    static let summaryColumn = 34
    /// The command list's line width: a summary of one line in the hand-kept list this replaced still fits on one.
    static let listWidth = 86

    /// What luna is, the first paragraph of `luna --help` and of the man page.
    static let intro = """
        luna — a supervised operations agent: finds drift, proposes exact actions,
        checks them against the luna allowlist, runs only what you approved, and
        commits every outcome with its reason.
        """

    /// The options every command takes, before the command.
    static let globalOptions: [CommandDefinition.Option] = [
        .init("--config PATH", "the configuration (default /etc/luna/luna.toml)"),
        .init("--state-dir DIR", "the state directory (default: state_dir from the configuration, else /var/lib/luna)"),
        .init("-h, --help", "help; every command takes --help too"),
        .init("-V, --version", "Luna's version and the libcurl and SQLite it runs with"),
    ]

    /// What each exit status means, for every command.
    static let exitStatuses: [(Int, String)] = [
        (0, "success; `scan`: no drift; `allowed`: sudo would allow it; `check`, `audit`, `secrets scan`: nothing found"),
        (1, "`scan`: drift found; `allowed`: sudo would deny it; `plan`: no plan; `check`: problems found; `audit`: risky rules; `secrets scan`: a secret-shaped value"),
        (2, "error: bad usage, bad configuration or reference, unknown, expired or already-decided proposal, another `luna run` holds the lock, I/O failure"),
        (3, "`scan`: nothing was checked (no host enables the checks asked for, or every check lacked its reference or tool)"),
    ]

    /// `luna --help`: what luna is, the command list from ``LunaCommand/definitions``, global options, exit statuses.
    static var main: String {
        let options = globalOptions.map { o in
            "  " + o.flag.padding(toLength: 16, withPad: " ", startingAt: 0) + "  "
                + wrapped(o.help.split(separator: " ").map(String.init), firstColumn: 20, indent: 20, joiner: "")
        }
        let statuses = exitStatuses.map { code, text in
            "  \(code)  " + wrapped(text.split(separator: " ").map(String.init), firstColumn: 5, indent: 5, joiner: "")
        }
        return intro + "\n\nUsage: luna [--config PATH] [--state-dir DIR] COMMAND [OPTIONS]\n\nCommands:\n"
            + LunaCommand.definitions.map(\.listEntry).joined(separator: "\n")
            + "\n\nGlobal options:\n" + options.joined(separator: "\n")
            + "\n\nExit status:\n" + statuses.joined(separator: "\n")
    }

    /// `luna COMMAND --help`, or nil for a name that is not a command.
    static func text(for command: String) -> String? {
        LunaCommand.definition(named: command)?.helpText
    }

    /// Words joined by spaces (each but the last followed by `joiner`) and wrapped
    /// before `width`, continuation lines indented.
    ///
    /// - Parameters:
    ///   - firstColumn: Where the first word starts on its line.
    ///   - indent: The indent of the following lines.
    ///   - joiner: Appended to every word but the last (`,` for a list of names).
    static func wrapped(_ words: [String], firstColumn: Int, indent: Int, width: Int = 80, joiner: String = ",") -> String {
        var lines: [String] = []
        var line = ""
        var column = firstColumn
        for (i, word) in words.enumerated() {
            let piece = word + (i < words.count - 1 ? joiner : "")
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
}

// MARK: - The commands

extension CommandDefinition {
    static let run = CommandDefinition(
        name: "run", synopsis: "[--once [--json]]",
        summary: "the daemon loop (or one cycle): scan, plan, gate, execute approved actions, record outcomes",
        usage: ["luna run [--once [--json]]"],
        details: """
            Runs the supervised loop. Each cycle expires overdue proposals, scans every
            host, plans open findings (an approved skill, else the
            model when [llm] is configured), passes proposals through the gate,
            executes approved proposals (once: the state says `executing` before the
            process starts), verifies them and commits each outcome to the ops repo.
            Between scans it picks up new approvals every few seconds.

            A proposal found `executing` at start (luna was killed mid-action) becomes
            `interrupted` and is never re-run on its own. Under systemd (Type=notify) it
            sends READY=1, STATUS= and WATCHDOG=1. SIGTERM or SIGINT stop it between steps;
            SIGHUP re-reads the configuration between steps (an invalid file is logged and
            the previous one stays in force).

            The loop logs events to standard error, one line each ([log] level; with
            priorities when it is the journal): scans, findings, proposals, decisions,
            executions, missed or failed scans. The full report is `luna scan`.
            """,
        options: [Option("--once", "run one cycle and print its report, then exit"),
                  Option("--json", #"with --once: the cycle as JSON {"results","events","proposed","unplanned","executed","recorded","notices","interrupted","recordingBlocked",…}"#)],
        examples: ["luna run --once", "luna --config /etc/luna/luna.toml run"],
        run: { try RunCommand.run(&$0, $1) })

    /// `scan`: the check list comes from the catalog, so a new check is named without editing help.
    static let scan = CommandDefinition(
        name: "scan", synopsis: "[--host H] [--check C] [--json]",
        summary: "collect and diff now; report per host and check",
        usage: ["luna scan [--host H] [--check C] [--json]"],
        details: """
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
            """,
        options: [
            Option("--host H", "only this host (repeatable)"),
            Option("--check C", "only this check (repeatable): " + CheckCatalog.names.joined(separator: ", ")),
            Option("--json", #"one JSON object: {"results":[{"host","check","status","detail","items"}], "events":[{"event":"new|changed|resolved|reminder",…}]}"#),
        ],
        examples: ["luna scan --host web1 --check sshd", "luna scan --json"],
        footer: """
            Exit status: 0 no drift, 1 drift, 2 error (a check failed, or bad usage),
            3 nothing was checked (no host enables the checks asked for, or every check was unavailable).
            """,
        run: { try ScanCommand.run(&$0, $1) })

    static let proposals = CommandDefinition(
        name: "proposals", synopsis: "[--state S] [--json]",
        summary: "list proposals (all, or in state S)",
        usage: ["luna proposals [--state S] [--json]"],
        details: """
            Lists proposals, oldest first. States: proposed, refused, awaiting_approval,
            approved, denied, expired, executing, succeeded, failed, interrupted, recorded.
            """,
        options: [Option("--state S", "only proposals in state S"), Option("--json", "a JSON array of proposals")],
        examples: ["luna proposals --state awaiting_approval"],
        run: { try ProposalsCommand.list(&$0, $1) })

    static let show = CommandDefinition(
        name: "show", synopsis: "ID [--json]",
        summary: "a proposal's full record",
        usage: ["luna show ID [--json]"],
        details: """
            Shows a proposal's full record: the finding, the exact argv, the gate's
            verdict and the deciding rule, the approval (who, when, channel, digest),
            the execution's output and exit status, the verification and the commit.
            """,
        options: [Option("--json", "the record as one JSON object")],
        examples: ["luna show 12"],
        run: { try ProposalsCommand.show(&$0, $1) })

    static let approve = CommandDefinition(
        name: "approve", synopsis: "ID [--json]",
        summary: "approve a proposal awaiting approval (channel: cli)",
        usage: ["luna approve ID [--json]"],
        details: """
            Approves proposal ID, which must be awaiting approval and not expired. The
            approval binds to the proposal's digest and is recorded with channel `cli`
            and your user name. The next cycle of `luna run` executes it.
            """,
        options: [Option("--json", #"{"proposal","state","approval":{"decision","approver","channel","digest",…}}"#)],
        examples: ["luna approve 12"],
        run: { try DecideCommand.run(&$0, $1, .approve) })

    static let deny = CommandDefinition(
        name: "deny", synopsis: "ID [--reason TEXT] [--json]",
        summary: "deny a proposal, with the reason recorded",
        usage: ["luna deny ID [--reason TEXT] [--json]"],
        details: "Denies proposal ID. The reason is recorded in the commit and in memory.",
        options: [Option("--reason TEXT", "why it was denied"), Option("--json", "as for approve")],
        examples: [#"luna deny 12 --reason "the port is a planned migration""#],
        run: { try DecideCommand.run(&$0, $1, .deny) })

    static let allowed = CommandDefinition(
        name: "allowed", synopsis: "...",
        summary: "what sudo would decide for the luna identity",
        usage: [
            "luna allowed --host NAME [--runas USER[:GROUP]] [--uid N] [--json] -- PROGRAM [ARG…]",
            "luna allowed --sudoers FILE [--user NAME] [--uid N] [--groups G1,G2] [--host NAME]",
            "             [--runas USER[:GROUP]] [--json] -- PROGRAM [ARG…]",
            "luna allowed --list --host NAME [--json]",
        ],
        details: """
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
            """,
        options: [Option("--list", "print what luna may run on the host, readably")],
        examples: ["luna allowed --host web1 -- /usr/bin/systemctl restart nginx", "luna allowed --list --host web1"],
        footer: """
            Exit status: 0 sudo would allow it, 1 sudo would deny it, 2 a syntax error in
            the reference or a bad call. (Only sudo's verdict sets it; the gate's own
            refusals are shown but do not change it.)
            """,
        run: { try AllowedCommand.run(&$0, $1) })

    static let memory = CommandDefinition(
        name: "memory", synopsis: "add|list|search|show|rm|approve|reindex",
        summary: "memory notes (memory/<slug>.md in the ops repo)",
        usage: [
            "luna memory add --title TEXT [--body TEXT|-] [--hosts H1,H2] [--tags T1,T2]",
            "                [--source operator|agent|outcome|denial] [--slug SLUG] [--pending] [--json]",
            "luna memory list [--pending] [--host H] [--tag T] [--json]",
            "luna memory search [--host H] [--tag T] [--limit N] [--json] QUERY…",
            "luna memory show SLUG [--json]",
            "luna memory rm SLUG",
            "luna memory approve SLUG",
            "luna memory reindex [--json]",
        ],
        details: """
            Memory notes are files memory/<slug>.md in the ops repo (front matter: title,
            hosts, tags, source, created; then the body). The files are the source of
            truth; SQLite keeps an FTS5 index that `reindex` (and the daemon at start)
            rebuilds from them. `add` writes and commits the file (the body is read from
            stdin when --body is absent or -); a note with --pending or --source agent
            waits, uncommitted, until `approve`. `rm` commits the file's removal.

            Search matches words (all must appear) and "quoted phrases"; other FTS
            syntax in the query is taken as plain text. --host keeps notes about that
            host and notes that name no host.
            """,
        examples: [#"luna memory add --title "web1 runs nginx from /opt" --hosts web1 --tags nginx"#,
                   #"luna memory search --host web1 "log rotation""#],
        footer: """
            Exit status: 0 ok; 1 `search` found nothing, or `reindex` skipped a bad file
            (reported as file:line); 2 error.
            """,
        run: { try MemoryCommand.run(&$0, $1) })

    static let skills = CommandDefinition(
        name: "skills", synopsis: "list|show|diff|approve|reject|edit|merge|retire|restore|lint",
        summary: "review distilled skills (skills/<name>/: SKILL.md, luna.json, stats.json)",
        usage: [
            "luna skills list [--pending] [--json]",
            "luna skills show NAME [--json]",
            "luna skills diff NAME",
            "luna skills approve NAME [--reason TEXT]",
            "luna skills reject NAME --reason TEXT",
            "luna skills edit NAME",
            "luna skills merge DRAFT --into SKILL",
            "luna skills retire NAME [--reason TEXT]",
            "luna skills restore NAME [--reason TEXT]",
            "luna skills lint [--dir DIR] [--fix] [--json]",
        ],
        details: """
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
            """,
        examples: ["luna skills list --pending", #"luna skills approve files-chmod-mode --reason "reviewed the steps""#],
        run: { try SkillsCommand.run(&$0, $1) })

    static let plan = CommandDefinition(
        name: "plan", synopsis: "FINDING-ID [--dry-run] [--json]",
        summary: "plan one finding now: a skill, else the model",
        usage: ["luna plan FINDING-ID [--dry-run] [--json]"],
        details: """
            Plans one open finding now: an approved skill first (no model call),
            otherwise the model of the [llm] section, with recon (the finding, the
            host's references, what luna may run, memory notes, skills, last outcomes).
            Model proposals pass the gate and wait for `luna approve`.
            """,
        options: [
            Option("--dry-run", "print the exact (redacted) request body the model would get; nothing is sent"),
            Option("--json", "machine-readable result, with today's model use"),
        ],
        examples: ["luna plan 7 --dry-run"],
        footer: """
            Prints today's model use against daily_token_budget.
            Exit status: 0 a proposal awaits approval (or --dry-run); 1 no plan;
            2 error (unknown or resolved finding, a proposal is already active).
            """,
        run: { try PlanCommand.run(&$0, $1) })

    static let status = CommandDefinition(
        name: "status", synopsis: "[--json]",
        summary: "approval channels' health, pending proposals, the last scan and the last error",
        usage: ["luna status [--json]"],
        details: """
            Shows every approval channel and its health (cli; discord, "not
            configured" without [channels.discord] or [discord]: ok, degraded while
            Discord fails and luna backs off, halted after a 401/403 until luna is
            restarted with a working token), the
            proposals awaiting approval, when the last scan finished, the last
            channel error, and today's model use against daily_token_budget. It reads
            the state database only; it never calls Discord or the model.
            """,
        options: [Option("--json", "the same as JSON")],
        footer: "Exit status: 0, or 2 on a bad configuration or state.",
        run: { try StatusCommand.run(&$0, $1) })

    static let baseline = CommandDefinition(
        name: "baseline", synopsis: "capture|diff --host H|--all-hosts [--check C] [--reason TEXT] [--accept-weaker] [--json]",
        summary: "write the current state as the reference and commit it (capture), or show what that would change",
        usage: [
            "luna baseline capture --host H|--all-hosts [--check C] --reason TEXT [--accept-weaker] [--json]",
            "luna baseline diff --host H|--all-hosts [--check C] [--json]",
        ],
        details: """
            capture collects the host's current state for each capturable check (ports,
            sshd, files, services, suid, cron, containers, tls, auth) and writes it as
            the reference configs/<kind>/<host> in the ops repo: plain text, sorted, one
            item a line. It commits exactly those files with TEXT as the reason; the
            operator's index is left alone. If any check cannot be captured nothing is
            written. diff shows what capture would change (- removed, + added).

            The files check captures the mode and owner of the paths its reference
            already lists (a path alone on a line is filled in; a '*' column stays);
            the sshd check the keywords its reference lists (or a default hardening
            set); containers the running containers of the engine the reference names
            (or the one installed), keeping every declared one; auth the thresholds
            and the log (the journal, else /var/log/auth.log), a new reference
            counting from the capture on; tls the endpoints and files the reference
            lists, plus each listener on a well-known TLS port (443, 465, 636, 853,
            993, 995, 5986, 6443, 8006, 8443, 9443) that presents a certificate.

            A live sshd value weaker than Luna's policy is refused; with
            --accept-weaker the reference keeps the policy's value and the finding
            is waived (configs/waivers.toml, no expiry, you as the owner) in the same
            commit. --all-hosts captures every host that enables the chosen checks,
            one commit per host.
            """,
        options: [
            Option("--host H", "the host"),
            Option("--all-hosts", "every host (that enables the --check given), instead of --host"),
            Option("--check C", "only this check (repeatable)"),
            Option("--reason TEXT", "why this state becomes the reference (required for capture)"),
            Option("--accept-weaker", "accept sshd values weaker than the policy, as waivers"),
            Option("--json", #"capture: {"commit","changes":[…]}; diff: [{"host","check","path","added","removed",…}]"#),
        ],
        examples: ["luna baseline diff --host web1 --check ports",
                   #"luna baseline capture --host web1 --check ports --reason "nginx moved to 8443""#,
                   #"luna baseline capture --all-hosts --check services --reason "after the upgrade""#],
        footer: """
            Exit status: capture 0 done (or nothing to do), 2 error;
            diff 0 no change, 1 a capture would change something, 2 error.
            """,
        run: { try BaselineCommand.run(&$0, $1) })

    static let help = CommandDefinition(
        name: "help", synopsis: "[COMMAND] [--man|--bash-completion]",
        summary: "this text, or a command's; the man page and the bash completion",
        usage: ["luna help [COMMAND]", "luna help --man", "luna help --bash-completion"],
        details: """
            Prints the command list and the global options, or the help of COMMAND (the
            same as `luna COMMAND --help`). The man page (docs/luna.1) and the bash
            completion are made from the same command definitions.
            """,
        options: [
            Option("--man", "the man page, roff (man -l docs/luna.1 reads the shipped copy)"),
            Option("--bash-completion", "the bash completion script"),
        ],
        examples: ["luna help scan", "luna help --man > /usr/local/share/man/man1/luna.1",
                   "luna help --bash-completion > /usr/share/bash-completion/completions/luna"],
        run: { args, _ in
            if args.flag("--man") { try args.finish(); emit(ManPage.text, terminator: ""); return Exit.ok }
            if args.flag("--bash-completion") { try args.finish(); emit(BashCompletion.text, terminator: ""); return Exit.ok }
            let topic = try? args.positional("a command")
            guard let topic else { emit(Help.main); return Exit.ok }
            guard let text = Help.text(for: topic) else { throw UsageError(message: "unknown command '\(topic)'", command: "help") }
            emit(text)
            return Exit.ok
        })

    static let demo = CommandDefinition(
        name: "demo", synopsis: "[--dir DIR]",
        summary: "the example estate on this machine, with exactly one drift (with --config configs/luna.example.toml)",
        usage: ["luna demo [--dir DIR]   (with --config configs/luna.example.toml, the example estate)"],
        details: """
            Sets up the example estate on this machine and runs one cycle, with exactly
            one drift: DIR/app.conf (default /tmp/luna-demo) is created world-readable
            while its reference says 0600, so the shipped skill restore-file-mode
            proposes the chmod. Everything else is this machine as it is now: the demo
            copies the example's skills, prompts and allowlist into a scratch ops repo
            (DIR/ops, a git repo of its own, where the outcome's commit lands) and
            captures this machine's ports (public listeners), sshd, services, SUID and
            cron inventories as their references; a check that cannot capture (no
            systemd, not root) reports unavailable with the reason. DIR is replaced
            when it holds an earlier demo and refused otherwise.
            """,
        options: [Option("--dir DIR", "where the demo estate goes (default /tmp/luna-demo)")],
        examples: ["luna --config configs/luna.example.toml demo",
                   "luna --config /tmp/luna-demo/luna.toml approve 1",
                   "luna --config /tmp/luna-demo/luna.toml run --once"],
        footer: "Exit status: as `run --once`.",
        run: { try DemoCommand.run(&$0, $1) })

    static let initialize = CommandDefinition(
        name: "init", synopsis: "[--fingerprints FILE] [--files PATH,…] [--accept-weaker] [--force] [--dry-run] [--reason TEXT] [--json]",
        summary: "onboard the inventory: pin host keys, write sudoers references, capture references, one commit",
        usage: ["luna init [--fingerprints FILE] [--files PATH,…] [--accept-weaker] [--force] [--dry-run] [--reason TEXT] [--json]"],
        details: """
            From the hosts and the bastion in luna.toml, in one run: fetches each host
            key through the bastion (nothing is trusted yet) and shows its SHA256
            fingerprint to confirm on the terminal [y/N], or compares it with
            --fingerprints FILE (lines HOST SHA256:…, HOST the inventory name,
            "bastion" or the address); any mismatch, or a key that differs from one
            already pinned, aborts and writes nothing. Then it writes configs/known_hosts,
            each host's configs/sudoers/luna-HOST from the template (an existing one is
            kept unless --force), and the reference of every capturable check that has
            none yet, root checks through sudo and the read set being written: ports,
            sshd, files (the live mode and owner of the --files paths; by default
            /etc/passwd, group, shadow, gshadow, sudoers, sudoers.d and
            ssh/sshd_config, each one a host lacks left out with a note, while a path
            given with --files that a host lacks refuses that host's files), services,
            suid, cron, containers (the installed engine's running containers), tls
            (each listener on a well-known TLS port that presents a certificate,
            threshold 21 days) and auth (the journal, else /var/log/auth.log, counted
            from the capture on). An sshd value weaker than the policy is refused, or
            with --accept-weaker kept at the policy's value and waived ("accepted at
            init: weaker than policy"). Hosts are done max_parallel at a time. All of it
            is one commit. Last it prints, per host, what is still to do there (install
            the sudoers file, authorize luna's key, create the user); after that, run it
            again: it captures what is still missing. Existing references are never
            re-captured (luna baseline capture does that), so a run with nothing left
            changes nothing and says so.
            """,
        options: [
            Option("--fingerprints FILE", "compare every key with FILE instead of asking"),
            Option("--files PATH,…", "the paths whose mode and owner the files references record (repeatable)"),
            Option("--accept-weaker", "accept sshd values weaker than the policy, as waivers"),
            Option("--force", "write the sudoers template over existing references"),
            Option("--dry-run", "show what would be written; write nothing"),
            Option("--reason TEXT", "the commit's reason (default: onboarding the estate in luna.toml)"),
            Option("--json", #"{"report":{"keys","hosts","files","commit","dryRun","publicKey"},"changed"}"#),
        ],
        examples: ["luna init --dry-run", "luna init --fingerprints fingerprints.txt", "luna init --accept-weaker"],
        footer: "Exit status: 0 done (or nothing to do), 2 error (a key mismatch or not confirmed: nothing written).",
        run: { try InitCommand.run(&$0, $1) })

    static let check = CommandDefinition(
        name: "check", synopsis: "[--json]",
        summary: "the configuration, keys, pins and references, checked before anything connects",
        usage: ["luna check [--json]"],
        details: """
            Checks what a scan depends on, each problem as FILE[:LINE]: what is wrong,
            and the fix: the configuration loads (its errors name file:line:column);
            [ssh] identity_file exists, is private (0600), owned by luna's user and
            readable; known_hosts exists and pins the bastion and every ssh host (port
            included); every host has a sudoers reference (configs/sudoers/luna-HOST)
            that parses and holds the read set of every enabled check that needs root
            (with execution = "sudo"; the missing line is named); every enabled check
            has a reference, and it parses.
            """,
        options: [Option("--json", #"{"ok","configuration","problems":[{"location","message","fix","host"}]}"#)],
        examples: ["luna check", "luna check --json"],
        footer: "Exit status: 0 no problem, 1 problems found, 2 the configuration does not load.",
        run: { try CheckCommand.run(&$0, $1) })

    static let waive = CommandDefinition(
        name: "waive", synopsis: "HOST/CHECK/SUBJECT|ID --reason TEXT [--until DATE|Nd]",
        summary: "accept a finding: shown in every report, never planned, back when it lapses",
        usage: ["luna waive HOST/CHECK/SUBJECT|FINDING-ID --reason TEXT [--until DATE|Nd] [--json]"],
        details: """
            Accepts a finding: it stays a finding, shown in every report as "waived
            until DATE by YOU (REASON)", but it is never planned and does not count as
            drift for `scan`'s exit status. The waiver is written to
            configs/waivers.toml in the ops repo and committed (Waived-by: trailer).
            The day after DATE it lapses: the finding counts and is planned again, and
            the operator is told once. One waiver per finding; waiving again replaces
            it. The finding must be one Luna has seen (its id, or its exact
            HOST/CHECK/SUBJECT), so a mistyped subject is refused.
            """,
        options: [
            Option("--reason TEXT", "why the finding is accepted (required)"),
            Option("--until DATE", "the last day it holds, as 2027-01-31 (UTC), or 30d for 30 days from now; without it, until removed"),
            Option("--json", "the waiver and the commit"),
        ],
        examples: [#"luna waive web1/sshd/passwordauthentication --reason "legacy client until the migration" --until 2027-01-31"#,
                   #"luna waive 12 --reason "known, harmless" --until 30d"#],
        footer: "Exit status: 0 waived, 2 error (unknown finding, a past date, no reason).",
        run: { try WaiverCommands.waive(&$0, $1) })

    static let unwaive = CommandDefinition(
        name: "unwaive", synopsis: "HOST/CHECK/SUBJECT|ID",
        summary: "remove a waiver; the finding counts again at the next scan",
        usage: ["luna unwaive HOST/CHECK/SUBJECT|FINDING-ID"],
        footer: "Exit status: 0 removed, 1 there was no such waiver, 2 error.",
        run: { try WaiverCommands.unwaive(&$0, $1) })

    static let waivers = CommandDefinition(
        name: "waivers", synopsis: "[--json]",
        summary: "list the waivers, their owners, reasons and expiry, and whether they still hold",
        usage: ["luna waivers [--json]"],
        options: [Option("--json", #"[{"waiver":{…},"active":true|false}]"#)],
        run: { try WaiverCommands.list(&$0, $1) })

    static let mcp = CommandDefinition(
        name: "mcp", synopsis: "",
        summary: "a Model Context Protocol server on stdin/stdout for an interactive agent: inspect and propose, never approve",
        usage: ["luna mcp"],
        details: """
            Serves the Model Context Protocol on standard input and output (newline-
            delimited JSON-RPC 2.0; no socket is opened), for an interactive agent such
            as Claude Code. Protocol versions: 2026-07-28 (stateless; server/discover)
            and, through the initialize handshake, 2025-11-25 and 2025-06-18. Logs go
            to standard error.

            Tools: findings, scan (read-only: nothing is stored), allowed, inspect (the
            host's declared read set only, output redacted and clipped), proposal,
            memory_search, skills, references; and, into the queue: propose (the same
            gate, then awaiting_approval on every configured channel), suggest_note (a
            pending note for `luna memory approve`), draft_runbook (committed under
            docs/runbooks/). No tool approves, denies, executes or changes
            configuration. Resources: luna://references/HOST/KIND, luna://memory/SLUG,
            luna://runbooks/FILE, luna://skills/NAME. Prompt: recon {host, finding?}.

            Proposals carry the source mcp:<client name>, shown on the approval card
            and as a Proposed-by: commit trailer. At most 5 proposals awaiting approval
            per client name, 20 for all MCP clients together, and 60 calls a minute per
            process. It does not take the run lock: it works beside a running
            `luna run`, which executes what the operator approved.
            """,
        examples: ["claude mcp add luna -- luna mcp --config /etc/luna/luna.toml"],
        run: { try MCPCommand.run(&$0, $1) })

    static let context = CommandDefinition(
        name: "context", synopsis: "HOST [--finding ID]",
        summary: "what the planner reads before acting on HOST (or a finding)",
        usage: ["luna context HOST [--finding ID]"],
        details: """
            Prints what Luna's planner reads before acting: for a finding, exactly the
            model planner's recon (the finding and its diff, the references, what luna
            may run there, memory notes, skills, the last outcomes); for a host, its
            open findings, its sudoers reference, what luna may run, memory notes and
            the last outcomes. Redacted; every block is marked as data. The MCP prompt
            `recon` returns the same text.
            """,
        options: [Option("--finding ID", "the recon for this finding instead of the host's")],
        examples: ["luna context web1", "luna context web1 --finding 12"],
        run: { try MCPCommand.contextCommand(&$0, $1) })
}
