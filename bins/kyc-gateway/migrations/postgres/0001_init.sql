CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    integration TEXT NOT NULL,
    status TEXT NOT NULL,
    session_token TEXT NOT NULL UNIQUE,
    vendor_data TEXT,
    callback TEXT,
    request_json TEXT NOT NULL,
    decision_json TEXT,
    chip_json TEXT,
    checks_json TEXT,
    current_attempt TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    started_at BIGINT,
    submitted_at BIGINT,
    decided_at BIGINT
);
CREATE INDEX sessions_status_updated ON sessions (status, updated_at);
CREATE TABLE attempts (
    id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX attempts_session ON attempts (session_id);
CREATE TABLE media (
    id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL,
    attempt_id TEXT NOT NULL,
    context TEXT NOT NULL,
    name TEXT NOT NULL,
    mimetype TEXT NOT NULL,
    size BIGINT NOT NULL,
    content BYTEA,
    path TEXT,
    timestamp_id TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX media_session ON media (session_id);
CREATE INDEX media_attempt ON media (attempt_id);
CREATE TABLE timestamps (
    id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL,
    context TEXT NOT NULL,
    data_hash TEXT NOT NULL,
    signature TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX timestamps_session ON timestamps (session_id);
CREATE TABLE outbox (
    id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL,
    integration TEXT NOT NULL,
    kind TEXT NOT NULL,
    url TEXT NOT NULL,
    body TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    delivered_at BIGINT,
    failed_at BIGINT,
    last_error TEXT
);
CREATE INDEX outbox_due ON outbox (delivered_at, next_attempt_at);
