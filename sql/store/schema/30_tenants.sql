-- Tenants: every result and run belongs to one. Rows written before tenants
-- existed belong to the default tenant. (The dataset catalog, keyed by tenant
-- and name, is migrated in Go: DuckDB cannot change a primary key in place.)
ALTER TABLE mrswarm.results ADD COLUMN IF NOT EXISTS tenant VARCHAR DEFAULT 'default';
ALTER TABLE mrswarm.runs ADD COLUMN IF NOT EXISTS tenant VARCHAR DEFAULT 'default';
