// Runs SQL statements on a fresh DuckDB through the official build
// (@duckdb/node-api) and prints each statement's wall and process CPU time as
// one JSON line, as bench/cmd/duckdbsql does for the Go binding.
// Usage: node run.mjs DBFILE|'' SQL...
import { DuckDBInstance } from '@duckdb/node-api';

const [db, ...statements] = process.argv.slice(2);
const instance = await DuckDBInstance.create(db === '' ? ':memory:' : db);
const con = await instance.connect();
for (const sql of statements) {
  const wall = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  const reader = await con.runAndReadAll(sql);
  const used = process.cpuUsage(cpu);
  console.log(JSON.stringify({
    sql,
    wall_ms: Number(process.hrtime.bigint() - wall) / 1e6,
    cpu_ms: (used.user + used.system) / 1e3,
    first: reader.getRows().slice(0, 1).map((r) => r.map(String)),
  }));
}
