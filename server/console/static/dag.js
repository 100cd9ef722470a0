// dag.js — a run's pipeline drawn as an SVG graph: one column per stage, one
// node per step coloured by its state, an arrow per dependency.

import { fmtNum, fmtSecs, s, short } from './ui.js';

const W = 224; const H = 58; const GAP_X = 64; const GAP_Y = 16; const PAD = 12;

/** columns groups step ids by stage, from the run's stages or the dependencies. */
export function columns(run) {
  if (run.stages?.length) return [...run.stages].sort((a, b) => a.index - b.index).map((st) => st.step_ids);
  const deps = new Map(run.pipeline.steps.map((st) => [st.id, st.depends_on || []]));
  const level = new Map();
  const depth = (id) => {
    if (!level.has(id)) level.set(id, 0); // guards a cycle the server would have refused
    else return level.get(id);
    const d = Math.max(-1, ...deps.get(id).map(depth)) + 1;
    level.set(id, d);
    return d;
  };
  const cols = [];
  for (const id of deps.keys()) (cols[depth(id)] ||= []).push(id);
  return cols;
}

/**
 * dag draws the graph. steps maps id → StepState; now is the current time in
 * ms (for elapsed time of running steps); onPick(id) hears clicks on nodes.
 */
export function dag(run, steps, now, selected, onPick) {
  const cols = columns(run);
  const rows = Math.max(1, ...cols.map((c) => c.length));
  const width = PAD * 2 + cols.length * W + (cols.length - 1) * GAP_X;
  const height = PAD * 2 + rows * H + (rows - 1) * GAP_Y;
  const pos = new Map();
  cols.forEach((ids, ci) => {
    const top = PAD + ((rows - ids.length) * (H + GAP_Y)) / 2;
    ids.forEach((id, ri) => pos.set(id, { x: PAD + ci * (W + GAP_X), y: top + ri * (H + GAP_Y) }));
  });
  const svg = s('svg', { class: 'dag', viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-label': 'pipeline graph' },
    s('defs', {}, s('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' },
      s('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrowhead' }))));
  for (const st of run.pipeline.steps) {
    for (const dep of st.depends_on || []) {
      const a = pos.get(dep); const b = pos.get(st.id);
      if (!a || !b) continue;
      const x1 = a.x + W; const y1 = a.y + H / 2; const x2 = b.x - 2; const y2 = b.y + H / 2; const dx = (x2 - x1) / 2;
      const state = short(steps.get(dep)?.status, 'STEP_STATUS_');
      svg.append(s('path', { class: `edge from-${state}`, d: `M${x1},${y1} C${x1 + dx},${y1} ${x2 - dx},${y2} ${x2},${y2}`, 'marker-end': 'url(#arrow)' }));
    }
  }
  for (const st of run.pipeline.steps) {
    const p = pos.get(st.id);
    if (p) svg.append(node(st, steps.get(st.id), p, now, st.id === selected, onPick));
  }
  return svg;
}

function node(def, state, p, now, selected, onPick) {
  const status = short(state?.status || 'STEP_STATUS_PENDING', 'STEP_STATUS_');
  const agent = def.agent?.agent;
  const what = agent ? (agent === def.id ? 'agent' : agent) : def.tool ? def.tool.tool : def.sql ? 'sql' : def.report ? 'report' : state?.kind || '';
  const g = s('g', { class: `node st-${status}${selected ? ' selected' : ''}`, 'data-step': def.id, 'data-status': status,
    transform: `translate(${p.x},${p.y})`, tabindex: 0, role: 'button' },
  s('title', {}, `${def.id}: ${status}${state?.error ? ` — ${state.error}` : ''}`),
  s('rect', { width: W, height: H, rx: 10 }),
  s('rect', { class: 'stripe', width: 5, height: H - 16, x: 6, y: 8, rx: 2.5 }),
  s('text', { x: 18, y: 22, class: 'id' }, clip(def.id, 26)),
  s('text', { x: 18, y: 40, class: 'sub' }, clip(`${what} · ${status}${detail(state, now)}`, 34)));
  g.addEventListener('click', () => onPick(def.id));
  g.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') onPick(def.id); });
  return g;
}

function detail(state, now) {
  if (!state) return '';
  if (state.status === 'STEP_STATUS_RUNNING' && state.started_at) return ` · ${fmtSecs((now - Date.parse(state.started_at)) / 1000)}`;
  const tok = Number(state.tokens?.total_tokens || 0);
  return tok ? ` · ${fmtNum(tok)} tok` : '';
}

function clip(text, n) {
  return text.length > n ? `${text.slice(0, n - 1)}…` : text;
}
