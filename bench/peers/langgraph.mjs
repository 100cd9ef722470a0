// langgraph.mjs runs one of the bench's two DAGs through LangGraph.js (a
// StateGraph with a SQLite checkpointer in a file, as a durable LangGraph app
// keeps it) with a fake LLM of a fixed latency, and prints one JSON object with
// the wall time of every run. bench/peers.go runs it as a subprocess and reads
// its peak RSS from the operating system.
//
//   node langgraph.mjs --dag seed|fan8 --latency-ms 20 --runs 30 --warmup 5 \
//     --parallelism 8 --db /tmp/x/checkpoints.sqlite
//
// DAGs (every step calls the fake LLM once):
//   seed: A ∥ B → C → D (the seed's campaign_optimization shape)
//   fan8: s1 … s8 (independent) → join
import { parseArgs } from "node:util";
import { createRequire } from "node:module";
import { StateGraph, Annotation, START, END } from "@langchain/langgraph";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";

const { values: opt } = parseArgs({
  options: {
    dag: { type: "string", default: "seed" },
    "latency-ms": { type: "string", default: "0" },
    runs: { type: "string", default: "30" },
    warmup: { type: "string", default: "5" },
    parallelism: { type: "string", default: "8" },
    db: { type: "string" },
  },
});
const latency = Number(opt["latency-ms"]);
const runs = Number(opt.runs);
const warmup = Number(opt.warmup);
const parallelism = Number(opt.parallelism);
if (!opt.db) {
  throw new Error("--db is required: the checkpointer's SQLite file");
}

// dags lists each DAG's steps with the steps they depend on.
const dags = {
  seed: { A: [], B: [], C: ["A", "B"], D: ["C"] },
  fan8: {
    s1: [], s2: [], s3: [], s4: [], s5: [], s6: [], s7: [], s8: [],
    join: ["s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8"],
  },
};
const dag = dags[opt.dag];
if (!dag) {
  throw new Error(`--dag ${opt.dag}: want seed or fan8`);
}

// fakeLLM answers after the latency, like the scripted LLM of the Go side,
// which waits on the kernel's high-resolution timer. Node's timers count whole
// milliseconds and fire up to one late, so the fake waits on a timer to within
// 2 ms of the latency, then turns the event loop until the latency has passed.
async function fakeLLM(step) {
  if (latency > 0) {
    const due = performance.now() + latency;
    if (latency > 2) {
      await new Promise((resolve) => setTimeout(resolve, latency - 2));
    }
    while (performance.now() < due) {
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  return `${step} done`;
}

const State = Annotation.Root({
  outputs: Annotation({ reducer: (a, b) => a.concat(b), default: () => [] }),
});

function build() {
  const g = new StateGraph(State);
  for (const step of Object.keys(dag)) {
    g.addNode(step, async () => ({ outputs: [await fakeLLM(step)] }));
  }
  const dependents = new Set(Object.values(dag).flat());
  for (const [step, deps] of Object.entries(dag)) {
    if (deps.length === 0) {
      g.addEdge(START, step);
    } else {
      g.addEdge(deps.length === 1 ? deps[0] : deps, step);
    }
    if (!dependents.has(step)) {
      g.addEdge(step, END);
    }
  }
  return g.compile({ checkpointer: SqliteSaver.fromConnString(opt.db) });
}

// criticalPath is the longest chain of LLM calls, in milliseconds.
function criticalPath() {
  const memo = {};
  const depth = (s) => (memo[s] ??= 1 + Math.max(0, ...dag[s].map(depth)));
  return latency * Math.max(...Object.keys(dag).map(depth));
}

const app = build();
const walls = [];
for (let i = 0; i < warmup + runs; i++) {
  const start = process.hrtime.bigint();
  const out = await app.invoke({ outputs: [] }, {
    configurable: { thread_id: `run-${i}` },
    maxConcurrency: parallelism,
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (out.outputs.length !== Object.keys(dag).length) {
    throw new Error(`run ${i}: ${out.outputs.length} step outputs, want ${Object.keys(dag).length}`);
  }
  if (i >= warmup) {
    walls.push(ms);
  }
}

const require = createRequire(import.meta.url);
const version = (p) => require(`${p}/package.json`).version;
console.log(JSON.stringify({
  framework: "LangGraph.js StateGraph, SQLite checkpointer",
  versions: {
    node: process.version,
    "@langchain/langgraph": version("@langchain/langgraph"),
    "@langchain/langgraph-checkpoint-sqlite": version("@langchain/langgraph-checkpoint-sqlite"),
  },
  dag: opt.dag,
  steps: Object.keys(dag).length,
  latency_ms: latency,
  parallelism,
  critical_path_ms: criticalPath(),
  wall_ms: walls,
  max_rss_kib: process.resourceUsage().maxRSS,
}));
