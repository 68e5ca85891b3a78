import LunaStore

/// The state database's migrations as they shipped before each room owned its tables, in the
/// order they ran: a database made by an earlier Luna, for the upgrade tests. Never edit.
enum LegacySchema {
    static let migrations: [Migration] = [
        Migration("001-core", """
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
        CREATE TABLE memory_notes(
            id INTEGER PRIMARY KEY,
            slug TEXT NOT NULL UNIQUE,
            title TEXT NOT NULL,
            body TEXT NOT NULL,
            hosts TEXT NOT NULL DEFAULT '',
            tags TEXT NOT NULL DEFAULT '',
            source TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'active',
            created_at TEXT NOT NULL,
            last_used TEXT
        );
        CREATE VIRTUAL TABLE memory_fts USING fts5(title, body, hosts, tags, content='memory_notes', content_rowid='id');
        CREATE TRIGGER memory_ai AFTER INSERT ON memory_notes BEGIN
            INSERT INTO memory_fts(rowid, title, body, hosts, tags) VALUES (new.id, new.title, new.body, new.hosts, new.tags);
        END;
        CREATE TRIGGER memory_ad AFTER DELETE ON memory_notes BEGIN
            INSERT INTO memory_fts(memory_fts, rowid, title, body, hosts, tags) VALUES ('delete', old.id, old.title, old.body, old.hosts, old.tags);
        END;
        CREATE TRIGGER memory_au AFTER UPDATE ON memory_notes BEGIN
            INSERT INTO memory_fts(memory_fts, rowid, title, body, hosts, tags) VALUES ('delete', old.id, old.title, old.body, old.hosts, old.tags);
            INSERT INTO memory_fts(rowid, title, body, hosts, tags) VALUES (new.id, new.title, new.body, new.hosts, new.tags);
        END;
        CREATE TABLE skills(
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            status TEXT NOT NULL CHECK(status IN ('pending','approved','rejected','suspended','retired')),
            check_name TEXT NOT NULL,
            description TEXT NOT NULL,
            body TEXT NOT NULL,
            uses INTEGER NOT NULL DEFAULT 0,
            successes INTEGER NOT NULL DEFAULT 0,
            failures INTEGER NOT NULL DEFAULT 0,
            verify_passes INTEGER NOT NULL DEFAULT 0,
            last_used TEXT
        );
        CREATE VIRTUAL TABLE skills_fts USING fts5(name, description, body, content='skills', content_rowid='id');
        CREATE TRIGGER skills_ai AFTER INSERT ON skills BEGIN
            INSERT INTO skills_fts(rowid, name, description, body) VALUES (new.id, new.name, new.description, new.body);
        END;
        CREATE TRIGGER skills_ad AFTER DELETE ON skills BEGIN
            INSERT INTO skills_fts(skills_fts, rowid, name, description, body) VALUES ('delete', old.id, old.name, old.description, old.body);
        END;
        CREATE TRIGGER skills_au AFTER UPDATE ON skills BEGIN
            INSERT INTO skills_fts(skills_fts, rowid, name, description, body) VALUES ('delete', old.id, old.name, old.description, old.body);
            INSERT INTO skills_fts(rowid, name, description, body) VALUES (new.id, new.name, new.description, new.body);
        END;
        CREATE TABLE kv(
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        """),
        // The model planner: token usage of every call, refusals of model
        // output, one row per finding content the model planned, and the prompt hash.
        Migration("003-model", """
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
        """),
        Migration("002-discord", """
        CREATE TABLE discord_outbox(
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL CHECK(kind IN ('proposal','decision','outcome','drift','notice')),
            proposal_id INTEGER REFERENCES proposals(id),
            content TEXT NOT NULL,
            nonce TEXT NOT NULL UNIQUE,
            message_id TEXT,
            reactions_added INTEGER NOT NULL DEFAULT 0,
            shown_status TEXT,
            created_at TEXT NOT NULL,
            sent_at TEXT,
            UNIQUE(kind, proposal_id)
        );
        CREATE INDEX discord_outbox_by_message ON discord_outbox(message_id);
        CREATE TABLE discord_signals(
            id INTEGER PRIMARY KEY,
            proposal_id INTEGER NOT NULL REFERENCES proposals(id),
            user_id TEXT NOT NULL,
            signal TEXT NOT NULL,
            source TEXT NOT NULL,
            counted INTEGER NOT NULL,
            at TEXT NOT NULL,
            UNIQUE(proposal_id, user_id, signal, source)
        );
        CREATE TABLE channel_health(
            channel TEXT PRIMARY KEY,
            state TEXT NOT NULL CHECK(state IN ('ok','degraded','halted')),
            failures INTEGER NOT NULL DEFAULT 0,
            last_ok_at TEXT,
            last_error TEXT,
            last_error_at TEXT,
            next_attempt_at TEXT
        );
        """),
        // Memory notes' proposal link; skill drafts, evidence, stats streaks, rejections, notices.
        Migration("005-memory", """
        ALTER TABLE memory_notes ADD COLUMN proposal INTEGER;
        CREATE INDEX memory_notes_by_status ON memory_notes(status, created_at);
        ALTER TABLE skills ADD COLUMN draft TEXT;
        ALTER TABLE skills ADD COLUMN fingerprint TEXT NOT NULL DEFAULT '';
        ALTER TABLE skills ADD COLUMN reason TEXT;
        ALTER TABLE skills ADD COLUMN consecutive_failures INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE skills ADD COLUMN created_at TEXT;
        ALTER TABLE skills ADD COLUMN updated_at TEXT;
        CREATE INDEX skills_by_fingerprint ON skills(fingerprint);
        CREATE TABLE skill_evidence(
            skill_id INTEGER NOT NULL REFERENCES skills(id) ON DELETE CASCADE,
            proposal_id INTEGER NOT NULL,
            host TEXT NOT NULL,
            at TEXT NOT NULL,
            PRIMARY KEY(skill_id, proposal_id)
        );
        CREATE TABLE skill_uses(
            proposal_id INTEGER PRIMARY KEY,
            skill TEXT NOT NULL,
            succeeded INTEGER NOT NULL,
            verified INTEGER,
            at TEXT NOT NULL
        );
        CREATE TABLE skill_rejections(
            fingerprint TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            reason TEXT NOT NULL,
            at TEXT NOT NULL
        );
        CREATE TABLE skill_notices(
            id INTEGER PRIMARY KEY,
            skill TEXT NOT NULL,
            text TEXT NOT NULL,
            at TEXT NOT NULL,
            kind TEXT NOT NULL DEFAULT 'info' CHECK(kind IN ('info','draft','suspended')),
            reported INTEGER NOT NULL DEFAULT 0
        );
        """),
        // Model-drafted skills (Agent+Distill.swift): who drafted a skill, Luna's
        // deterministic fingerprint of a draft the model rewrote (so repeats merge and
        // rejections hold), the model pass's state and outcome, and the purpose of a model call.
        Migration("007-skill-distill", """
        ALTER TABLE skills ADD COLUMN drafted_by TEXT;
        ALTER TABLE skills ADD COLUMN origin_fingerprint TEXT;
        ALTER TABLE skills ADD COLUMN distill_state TEXT CHECK(distill_state IN ('queued','done'));
        ALTER TABLE skills ADD COLUMN distill_note TEXT;
        CREATE INDEX skills_by_origin_fingerprint ON skills(origin_fingerprint);
        ALTER TABLE model_calls ADD COLUMN purpose TEXT NOT NULL DEFAULT 'plan' CHECK(purpose IN ('plan','distill'));
        ALTER TABLE model_calls ADD COLUMN skill TEXT;
        """),
        // Occurrences: a finding that comes back after it was resolved, or whose content changed,
        // is a new occurrence and is planned again; a proposal and a model plan belong to one.
        // Existing rows keep the old rule's answer: a proposal or model plan made for the
        // finding's current content (or still active) counts for occurrence 1, others for none.
        // The check's own re-run after a fix is stored beside the verification.
        Migration("008-occurrences", """
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
        """),
        // One active proposal per finding and planning slot, so no number of concurrent planners
        // can make duplicates (Ledger.insert checks in the same transaction; the index is the
        // guarantee). A model session's alternatives take slots 1, 2, …; existing active rows
        // get slots in id order so the index can be built on any database. And the action's
        // pid with its /proc start time, so a restart can tell a still-running action (Daemon.recover).
        Migration("009-active-proposal-and-action-pid", """
        ALTER TABLE proposals ADD COLUMN plan_slot INTEGER NOT NULL DEFAULT 0;
        UPDATE proposals SET plan_slot = (
            SELECT count(*) FROM proposals q WHERE q.finding_id = proposals.finding_id AND q.id < proposals.id
            AND q.state IN ('proposed','awaiting_approval','approved','executing'))
        WHERE finding_id IS NOT NULL AND state IN ('proposed','awaiting_approval','approved','executing');
        CREATE UNIQUE INDEX proposals_one_active_per_finding ON proposals(finding_id, plan_slot)
            WHERE finding_id IS NOT NULL AND state IN ('proposed','awaiting_approval','approved','executing');
        ALTER TABLE executions ADD COLUMN pid INTEGER;
        ALTER TABLE executions ADD COLUMN pid_start_ticks INTEGER;
        """),
        // Skill state in git (SkillRegistry+State.swift): the procedure version its counts are
        // for, the last failure, the hosts it ran on and its lifecycle history, as in stats.json.
        Migration("010-skill-state-in-git", """
        ALTER TABLE skills ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
        ALTER TABLE skills ADD COLUMN stats_fingerprint TEXT;
        ALTER TABLE skills ADD COLUMN last_failure TEXT;
        ALTER TABLE skills ADD COLUMN hosts TEXT NOT NULL DEFAULT '[]';
        ALTER TABLE skills ADD COLUMN history TEXT NOT NULL DEFAULT '[]';
        ALTER TABLE skills ADD COLUMN last_proposal INTEGER;
        """),
    ]
}
