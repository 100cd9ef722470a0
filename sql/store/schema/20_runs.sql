-- Pipeline runs, their steps and events. Executed at every Open: idempotent.
-- The pipeline package owns the JSON in the data columns; the store only keys and orders it.
-- The data columns are ZSTD-compressed (storage format v1.2 and later; see storageVersion in
-- store.go): a campaign run's ~90 KB of JSON takes ~10 KB on disk and in DuckDB's buffer pool.
-- Tables created before keep DuckDB's own choice (FSST, about half the size).
CREATE SCHEMA IF NOT EXISTS mrswarm;

CREATE TABLE IF NOT EXISTS mrswarm.runs (
    id          VARCHAR PRIMARY KEY,
    status      VARCHAR NOT NULL,
    dataset     VARCHAR NOT NULL,
    pipeline    VARCHAR NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    data        VARCHAR USING COMPRESSION zstd NOT NULL -- JSON of the run
);

CREATE TABLE IF NOT EXISTS mrswarm.run_steps (
    run_id     VARCHAR NOT NULL,
    step_id    VARCHAR NOT NULL,
    status     VARCHAR NOT NULL,
    memo_key   VARCHAR NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    data       VARCHAR USING COMPRESSION zstd NOT NULL, -- JSON of the step state and its findings
    PRIMARY KEY (run_id, step_id)
);

CREATE TABLE IF NOT EXISTS mrswarm.run_events (
    run_id VARCHAR NOT NULL,
    seq    BIGINT NOT NULL,
    type   VARCHAR NOT NULL,
    time   TIMESTAMP NOT NULL,
    data   VARCHAR USING COMPRESSION zstd NOT NULL, -- JSON of the event
    PRIMARY KEY (run_id, seq)
);

-- Token usage travels with the llm_call events; the per-call table of earlier
-- versions was written and never read.
DROP TABLE IF EXISTS mrswarm.run_tokens;
