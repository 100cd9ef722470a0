-- Small text results built in Go keep their rows here, as JSON, instead of a
-- table of their own (NULL: the result is the table results.<handle>).
ALTER TABLE mrswarm.results ADD COLUMN IF NOT EXISTS inline_rows VARCHAR USING COMPRESSION zstd;
