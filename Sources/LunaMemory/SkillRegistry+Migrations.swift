import LunaStore

extension SkillRegistry {
    /// The skills' tables, in the order they run. Never edit a shipped migration;
    /// add one. Each supersedes its share of the migration it shipped in before
    /// each room owned its tables.
    public static let migrations: [Migration] = [
        Migration("skills-001-core", """
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
        """, supersedes: ["001-core"]),
        // Drafts, evidence, stats streaks, rejections, notices.
        Migration("skills-002-lifecycle", """
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
        """, supersedes: ["005-memory"]),
        // Model-drafted skills: who drafted a skill, Luna's deterministic fingerprint of
        // a draft the model rewrote (so repeats merge and rejections hold), and the
        // model pass's state and outcome.
        Migration("skills-003-model-drafts", """
        ALTER TABLE skills ADD COLUMN drafted_by TEXT;
        ALTER TABLE skills ADD COLUMN origin_fingerprint TEXT;
        ALTER TABLE skills ADD COLUMN distill_state TEXT CHECK(distill_state IN ('queued','done'));
        ALTER TABLE skills ADD COLUMN distill_note TEXT;
        CREATE INDEX skills_by_origin_fingerprint ON skills(origin_fingerprint);
        """, supersedes: ["007-skill-distill"]),
        // Skill state in git (SkillRegistry+State.swift): the procedure version its counts are
        // for, the last failure, the hosts it ran on and its lifecycle history, as in stats.json.
        Migration("skills-004-state-in-git", """
        ALTER TABLE skills ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
        ALTER TABLE skills ADD COLUMN stats_fingerprint TEXT;
        ALTER TABLE skills ADD COLUMN last_failure TEXT;
        ALTER TABLE skills ADD COLUMN hosts TEXT NOT NULL DEFAULT '[]';
        ALTER TABLE skills ADD COLUMN history TEXT NOT NULL DEFAULT '[]';
        ALTER TABLE skills ADD COLUMN last_proposal INTEGER;
        """, supersedes: ["010-skill-state-in-git"]),
    ]
}
