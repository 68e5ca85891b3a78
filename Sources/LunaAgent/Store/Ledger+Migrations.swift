import LunaStore

extension Ledger {
    /// The ledger's tables — scans, observations, findings, proposals with their
    /// transitions, approvals and executions, the model's calls, refusals and
    /// plans, and the key–value markers — in the order they run. Never edit a
    /// shipped migration; add one. Each supersedes its share of the migration it
    /// shipped in before the rooms owned their tables (`001-core` held every
    /// room's first tables).
    public static let migrations: [Migration] = [
        Migration("ledger-001-core", """
        CREATE TABLE scans(
            id INTEGER PRIMARY KEY,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            summary TEXT
        );
        CREATE TABLE observations(
            id INTEGER PRIMARY KEY,
            scan_id INTEGER NOT NULL REFERENCES scans(id),
            host TEXT NOT NULL,
            check_name TEXT NOT NULL,
            status TEXT NOT NULL CHECK(status IN ('ok','drift','unavailable','error')),
            detail TEXT NOT NULL,
            at TEXT NOT NULL
        );
        CREATE INDEX observations_by_host ON observations(host, check_name, id);
        CREATE TABLE findings(
            id INTEGER PRIMARY KEY,
            host TEXT NOT NULL,
            check_name TEXT NOT NULL,
            subject TEXT NOT NULL,
            state TEXT NOT NULL CHECK(state IN ('open','resolved')),
            summary TEXT NOT NULL,
            params TEXT NOT NULL,
            observed TEXT NOT NULL,
            first_seen TEXT NOT NULL,
            last_seen TEXT NOT NULL,
            resolved_at TEXT,
            last_reported_at TEXT,
            UNIQUE(host, check_name, subject)
        );
        CREATE TABLE proposals(
            id INTEGER PRIMARY KEY,
            finding_id INTEGER REFERENCES findings(id),
            finding_summary TEXT,
            host TEXT NOT NULL,
            identity TEXT NOT NULL,
            runas TEXT NOT NULL,
            argv TEXT NOT NULL,
            verify_argv TEXT,
            expect TEXT,
            rationale TEXT NOT NULL,
            source TEXT NOT NULL,
            skill TEXT,
            risk TEXT NOT NULL,
            state TEXT NOT NULL CHECK(state IN ('proposed','refused','awaiting_approval','approved','denied',
                'expired','executing','succeeded','failed','interrupted','recorded')),
            outcome TEXT,
            gate_outcome TEXT,
            gate_reasons TEXT,
            gate_rule TEXT,
            gate_detail TEXT,
            digest TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            expires_at TEXT,
            commit_id TEXT,
            note_path TEXT
        );
        CREATE INDEX proposals_by_state ON proposals(state);
        CREATE INDEX proposals_by_finding ON proposals(finding_id);
        CREATE TABLE transitions(
            id INTEGER PRIMARY KEY,
            proposal_id INTEGER NOT NULL REFERENCES proposals(id),
            from_state TEXT,
            to_state TEXT NOT NULL,
            at TEXT NOT NULL,
            note TEXT
        );
        CREATE TABLE approvals(
            id INTEGER PRIMARY KEY,
            proposal_id INTEGER NOT NULL UNIQUE REFERENCES proposals(id),
            decision TEXT NOT NULL CHECK(decision IN ('approved','denied')),
            approver TEXT NOT NULL,
            channel TEXT NOT NULL,
            digest TEXT NOT NULL,
            reason TEXT,
            at TEXT NOT NULL
        );
        CREATE TABLE executions(
            id INTEGER PRIMARY KEY,
            proposal_id INTEGER NOT NULL UNIQUE REFERENCES proposals(id),
            argv TEXT NOT NULL,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            exit_status INTEGER,
            stdout TEXT,
            stderr TEXT,
            output_note TEXT,
            verify_exit INTEGER,
            verify_output TEXT,
            verify_passed INTEGER
        );
        CREATE TABLE kv(
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        """, supersedes: ["001-core"]),
        // The model planner: token usage of every call, refusals of model
        // output, one row per finding content the model planned, and the prompt hash.
        Migration("ledger-002-model", """
        CREATE TABLE model_calls(
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            day TEXT NOT NULL,
            finding_id INTEGER,
            provider TEXT NOT NULL,
            model TEXT NOT NULL,
            status TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            input_tokens INTEGER NOT NULL DEFAULT 0,
            output_tokens INTEGER NOT NULL DEFAULT 0,
            cache_read_tokens INTEGER NOT NULL DEFAULT 0,
            cache_write_tokens INTEGER NOT NULL DEFAULT 0,
            stop_reason TEXT,
            prompt_sha256 TEXT,
            error TEXT
        );
        CREATE INDEX model_calls_by_day ON model_calls(day);
        CREATE TABLE model_refusals(
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            finding_id INTEGER,
            tool TEXT NOT NULL,
            reason TEXT NOT NULL,
            input TEXT NOT NULL,
            proposal_id INTEGER
        );
        CREATE TABLE model_plans(
            id INTEGER PRIMARY KEY,
            finding_id INTEGER NOT NULL,
            finding_summary TEXT NOT NULL,
            at TEXT NOT NULL,
            outcome TEXT NOT NULL
        );
        CREATE INDEX model_plans_by_finding ON model_plans(finding_id);
        ALTER TABLE proposals ADD COLUMN prompt_sha256 TEXT;
        """, supersedes: ["003-model"]),
        // The purpose of a model call (planning, or redrafting a skill) and the skill it was for.
        Migration("ledger-003-model-call-purpose", """
        ALTER TABLE model_calls ADD COLUMN purpose TEXT NOT NULL DEFAULT 'plan' CHECK(purpose IN ('plan','distill'));
        ALTER TABLE model_calls ADD COLUMN skill TEXT;
        """, supersedes: ["007-skill-distill"]),
        // Occurrences: a finding that comes back after it was resolved, or whose content changed,
        // is a new occurrence and is planned again; a proposal and a model plan belong to one.
        // Existing rows keep the old rule's answer: a proposal or model plan made for the
        // finding's current content (or still active) counts for occurrence 1, others for none.
        // The check's own re-run after a fix is stored beside the verification.
        Migration("ledger-004-occurrences", """
        ALTER TABLE findings ADD COLUMN occurrence INTEGER NOT NULL DEFAULT 1;
        ALTER TABLE proposals ADD COLUMN finding_occurrence INTEGER;
        UPDATE proposals SET finding_occurrence = CASE
            WHEN state IN ('proposed','awaiting_approval','approved','executing') THEN 1
            WHEN finding_summary = (SELECT summary FROM findings WHERE findings.id = proposals.finding_id) THEN 1
            ELSE 0 END
          WHERE finding_id IS NOT NULL;
        ALTER TABLE model_plans ADD COLUMN occurrence INTEGER;
        UPDATE model_plans SET occurrence = CASE
            WHEN finding_summary = (SELECT summary FROM findings WHERE findings.id = model_plans.finding_id) THEN 1 ELSE 0 END;
        CREATE INDEX proposals_by_finding_occurrence ON proposals(finding_id, finding_occurrence);
        ALTER TABLE executions ADD COLUMN check_resolved INTEGER;
        ALTER TABLE executions ADD COLUMN check_detail TEXT;
        """, supersedes: ["008-occurrences"]),
        // One active proposal per finding and planning slot, so no number of concurrent planners
        // can make duplicates (Ledger.insert checks in the same transaction; the index is the
        // guarantee). A model session's alternatives take slots 1, 2, …; existing active rows
        // get slots in id order so the index can be built on any database. And the action's
        // pid with its /proc start time, so a restart can tell a still-running action (Daemon.recover).
        Migration("ledger-005-active-proposal-and-action-pid", """
        ALTER TABLE proposals ADD COLUMN plan_slot INTEGER NOT NULL DEFAULT 0;
        UPDATE proposals SET plan_slot = (
            SELECT count(*) FROM proposals q WHERE q.finding_id = proposals.finding_id AND q.id < proposals.id
            AND q.state IN ('proposed','awaiting_approval','approved','executing'))
        WHERE finding_id IS NOT NULL AND state IN ('proposed','awaiting_approval','approved','executing');
        CREATE UNIQUE INDEX proposals_one_active_per_finding ON proposals(finding_id, plan_slot)
            WHERE finding_id IS NOT NULL AND state IN ('proposed','awaiting_approval','approved','executing');
        ALTER TABLE executions ADD COLUMN pid INTEGER;
        ALTER TABLE executions ADD COLUMN pid_start_ticks INTEGER;
        """, supersedes: ["009-active-proposal-and-action-pid"]),
        // Liveness of the checker itself: every scheduled scan that did not run (luna was down,
        // or a step overran) and every scan cycle that failed, so `luna status`, the channels and
        // the daily digest can say so instead of staying silent.
        Migration("ledger-006-scan-problems", """
        CREATE TABLE scan_problems(
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL CHECK(kind IN ('missed','failed')),
            due_at TEXT NOT NULL,
            scans INTEGER NOT NULL DEFAULT 1,
            detail TEXT NOT NULL,
            at TEXT NOT NULL
        );
        """),
    ]
}
