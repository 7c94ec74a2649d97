// Schema versions, applied in order; `PRAGMA user_version` records how many have run.
// Never edit a shipped migration: add the next one.
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE bindings (
     extension      TEXT    NOT NULL,
     contact        TEXT    NOT NULL,
     transport      TEXT    NOT NULL,
     source_address TEXT    NOT NULL,
     source_port    INTEGER NOT NULL,
     expires_at     INTEGER NOT NULL,
     user_agent     TEXT    NOT NULL,
     call_id        TEXT    NOT NULL,
     cseq           INTEGER NOT NULL,
     instance       TEXT,
     PRIMARY KEY (extension, contact)
   );
   CREATE INDEX bindings_expires ON bindings (expires_at);
   CREATE TABLE cdr (
     seq         INTEGER PRIMARY KEY AUTOINCREMENT,
     id          TEXT    NOT NULL UNIQUE,
     call_id     TEXT    NOT NULL,
     "from"      TEXT    NOT NULL,
     "to"        TEXT    NOT NULL,
     status      TEXT    NOT NULL,
     reason      TEXT    NOT NULL,
     started_at  TEXT    NOT NULL,
     started_ms  INTEGER NOT NULL,
     answered_at TEXT,
     ended_at    TEXT    NOT NULL,
     duration_s  REAL    NOT NULL,
     billsec     REAL    NOT NULL,
     recording   TEXT
   );
   CREATE INDEX cdr_started ON cdr (started_ms);
   CREATE INDEX cdr_status_started ON cdr (status, started_ms);`,
  // Call quality per leg (null: not measured).
  `ALTER TABLE cdr ADD COLUMN caller_loss_pct REAL;
   ALTER TABLE cdr ADD COLUMN caller_jitter_ms REAL;
   ALTER TABLE cdr ADD COLUMN caller_rtt_ms REAL;
   ALTER TABLE cdr ADD COLUMN caller_mos REAL;
   ALTER TABLE cdr ADD COLUMN callee_loss_pct REAL;
   ALTER TABLE cdr ADD COLUMN callee_jitter_ms REAL;
   ALTER TABLE cdr ADD COLUMN callee_rtt_ms REAL;
   ALTER TABLE cdr ADD COLUMN callee_mos REAL;`,
  // Voicemail messages: the WAV under data_dir (path relative to it) and its place in the mailbox.
  // folder 'deleted' marks a delete in progress (the file goes next, then the row).
  `CREATE TABLE voicemail (
     id          TEXT    PRIMARY KEY,
     mailbox     TEXT    NOT NULL,
     folder      TEXT    NOT NULL CHECK (folder IN ('new', 'old', 'saved', 'deleted')),
     caller      TEXT    NOT NULL,
     caller_name TEXT,
     duration_s  REAL    NOT NULL,
     urgent      INTEGER NOT NULL DEFAULT 0,
     created_at  TEXT    NOT NULL,
     created_ms  INTEGER NOT NULL,
     path        TEXT    NOT NULL,
     call_id     TEXT
   );
   CREATE INDEX voicemail_mailbox ON voicemail (mailbox, folder, created_ms);`,
  // The path a call took through apps ("ivr:main>1002"; null: straight to its destination).
  `ALTER TABLE cdr ADD COLUMN path TEXT;`,
  `CREATE TABLE webhook_outbox (
     seq        INTEGER PRIMARY KEY AUTOINCREMENT,
     url        TEXT    NOT NULL,
     event      TEXT    NOT NULL,
     body       TEXT    NOT NULL,
     attempts   INTEGER NOT NULL,
     next_ms    INTEGER NOT NULL,
     state      TEXT    NOT NULL,
     created_ms INTEGER NOT NULL,
     last_error TEXT
   );
   CREATE INDEX webhook_outbox_due ON webhook_outbox (state, next_ms);`,
];
