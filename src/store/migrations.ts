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
  // Missed calls: the CDR's flag (no person answered a call that was for people; rows from before it
  // keep what `--missed` listed then, status missed), and the callback list: one open entry per
  // caller number (done_at null), closed by an answered call with that number or by hand.
  `ALTER TABLE cdr ADD COLUMN missed INTEGER NOT NULL DEFAULT 0;
   UPDATE cdr SET missed = 1 WHERE status = 'missed';
   CREATE INDEX cdr_missed_started ON cdr (missed, started_ms);
   CREATE TABLE callbacks (
     seq        INTEGER PRIMARY KEY AUTOINCREMENT,
     number     TEXT    NOT NULL,
     calls      INTEGER NOT NULL,
     first_at   TEXT    NOT NULL,
     first_ms   INTEGER NOT NULL,
     last_at    TEXT    NOT NULL,
     last_ms    INTEGER NOT NULL,
     "to"       TEXT    NOT NULL,
     path       TEXT,
     status     TEXT    NOT NULL,
     reason     TEXT    NOT NULL,
     last_cdr   TEXT    NOT NULL,
     done_at    TEXT,
     done_by    TEXT CHECK (done_by IN ('answered', 'manual')),
     done_cdr   TEXT
   );
   CREATE UNIQUE INDEX callbacks_open ON callbacks (number) WHERE done_at IS NULL;
   CREATE INDEX callbacks_last ON callbacks (last_ms);`,
  // What a phone set with feature codes (*72, *78...), over the config: do not disturb, and forward
  // targets by kind (value NULL: turned off from the phone, whatever the config says).
  `CREATE TABLE extension_settings (
     extension TEXT NOT NULL,
     setting   TEXT NOT NULL CHECK (setting IN ('dnd', 'forward_always', 'forward_busy', 'forward_no_answer')),
     value     TEXT,
     PRIMARY KEY (extension, setting)
   );`,
  // Queues: callback requests (kept across restarts until dialled) and one row per caller that
  // left a queue (answered, abandoned, timed out, callback failed), for the queue statistics.
  `CREATE TABLE queue_callbacks (
     id        TEXT    PRIMARY KEY,
     queue     TEXT    NOT NULL,
     number    TEXT    NOT NULL,
     call_id   TEXT,
     joined_ms INTEGER NOT NULL,
     seq       INTEGER NOT NULL,
     asked_ms  INTEGER NOT NULL,
     state     TEXT    NOT NULL CHECK (state IN ('waiting', 'dialling'))
   );
   CREATE TABLE queue_calls (
     id        TEXT    PRIMARY KEY,
     queue     TEXT    NOT NULL,
     number    TEXT    NOT NULL,
     call_id   TEXT,
     callback  INTEGER NOT NULL,
     joined_ms INTEGER NOT NULL,
     ended_ms  INTEGER NOT NULL,
     outcome   TEXT    NOT NULL CHECK (outcome IN ('answered', 'abandoned', 'timeout', 'callback-failed', 'callback-lost')),
     wait_s    REAL    NOT NULL,
     agent     TEXT
   );
   CREATE INDEX queue_calls_queue ON queue_calls (queue, joined_ms);`,
  // Queue agents logged out or paused by their codes (*46, *47), per queue: kept across restarts.
  // An agent with no row is logged in and not paused.
  `CREATE TABLE queue_agents (
     queue      TEXT    NOT NULL,
     extension  TEXT    NOT NULL,
     logged_out INTEGER NOT NULL,
     paused     INTEGER NOT NULL,
     PRIMARY KEY (queue, extension)
   );`,
];
