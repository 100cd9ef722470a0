// gantt.js — a run's timeline: one bar per started step on a shared time
// axis. A bar starts with the step's queue wait (ready → started); its running
// part is split into LLM, SQL and overhead in proportion to the step profile
// (the profile gives totals, so the split shows shares, not their order).

import { fmtSecs, s, seconds, short } from './ui.js';

const LABEL = 200; const ROW = 26; const BAR = 16; const WIDTH = 960; const AXIS = 22;

/** gantt draws the timeline of steps (StepState[] in pipeline order) at time now (ms). */
export function gantt(steps, t0, now) {
  const spans = steps.map((st) => span(st, now)).filter(Boolean);
  const end = Math.max(t0 + 1, ...spans.map((sp) => sp.end));
  const start = Math.min(t0, ...spans.map((sp) => sp.queued));
  const scale = (WIDTH - LABEL - 10) / (end - start);
  const x = (t) => LABEL + (t - start) * scale;
  const height = AXIS + steps.length * ROW + 4;
  const svg = s('svg', { class: 'gantt', viewBox: `0 0 ${WIDTH} ${height}`, width: '100%', role: 'img', 'aria-label': 'timeline of steps' });
  svg.append(axis(start, end, x, height));
  steps.forEach((st, i) => {
    const y = AXIS + i * ROW;
    svg.append(s('text', { x: 4, y: y + ROW / 2 + 4, class: 'label' }, s('title', {}, st.id), st.id.length > 26 ? `${st.id.slice(0, 25)}…` : st.id));
    const sp = spans.find((p) => p.id === st.id);
    if (sp) svg.append(bar(sp, x, y + (ROW - BAR) / 2));
    else svg.append(s('text', { x: LABEL + 4, y: y + ROW / 2 + 4, class: 'muted-text' }, short(st.status, 'STEP_STATUS_')));
  });
  return svg;
}

// span is a started step's times in ms and the parts of its running time.
function span(st, now) {
  if (!st.started_at || Date.parse(st.started_at) <= 0) return null;
  const begin = Date.parse(st.started_at);
  const fin = st.finished_at ? Date.parse(st.finished_at) : 0;
  const running = !(fin > 0);
  const end = running ? Math.max(now, begin) : fin;
  const p = st.profile || {};
  const queued = begin - seconds(p.queue_wait) * 1000;
  const parts = running ? [['running', end - begin]]
    : [['llm', seconds(p.llm) * 1000], ['sql', seconds(p.sql) * 1000], ['overhead', seconds(p.overhead) * 1000]];
  return { id: st.id, status: short(st.status, 'STEP_STATUS_'), queued, begin, end, parts, running, profile: p };
}

function bar(sp, x, y) {
  const g = s('g', { class: `bar st-${sp.status}`, 'data-step': sp.id });
  const p = sp.profile;
  g.append(s('title', {}, `${sp.id}: ${sp.status}, queue ${fmtSecs(seconds(p.queue_wait))}` +
    (sp.running ? `, running ${fmtSecs((sp.end - sp.begin) / 1000)}`
      : `, wall ${fmtSecs(seconds(p.wall))} = LLM ${fmtSecs(seconds(p.llm))} + SQL ${fmtSecs(seconds(p.sql))} + overhead ${fmtSecs(seconds(p.overhead))}`)));
  if (sp.begin > sp.queued) {
    g.append(s('rect', { class: 'seg seg-queue', x: x(sp.queued), y, width: Math.max(1, x(sp.begin) - x(sp.queued)), height: BAR }));
  }
  const wall = Math.max(1e-9, sp.end - sp.begin);
  const sum = sp.parts.reduce((a, [, d]) => a + d, 0) || wall;
  const total = Math.max(2, x(sp.end) - x(sp.begin));
  let at = x(sp.begin);
  for (const [kind, d] of sp.parts) {
    const w = (d / sum) * total;
    if (w <= 0) continue;
    g.append(s('rect', { class: `seg seg-${kind}`, x: at, y, width: w, height: BAR }));
    at += w;
  }
  if (!sp.parts.some(([, d]) => d > 0)) g.append(s('rect', { class: 'seg seg-overhead', x: at, y, width: total, height: BAR }));
  return g;
}

function axis(start, end, x, height) {
  const g = s('g', { class: 'axis' });
  const secs = (end - start) / 1000;
  const step = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600].find((v) => secs / v <= 8) || 1200;
  for (let t = 0; t <= secs + 1e-9; t += step) {
    const px = x(start + t * 1000);
    g.append(s('line', { x1: px, x2: px, y1: AXIS - 4, y2: height, class: 'tick' }));
    g.append(s('text', { x: px + 3, y: AXIS - 8 }, fmtSecs(t)));
  }
  return g;
}

/** legend explains the bar colours. */
export function legend() {
  const items = [['queue', 'queue wait'], ['llm', 'LLM'], ['sql', 'SQL'], ['overhead', 'overhead'], ['running', 'running']];
  return s('svg', { class: 'legend', viewBox: '0 0 520 18', width: 520, height: 18 },
    items.map(([k, label], i) => s('g', { transform: `translate(${i * 104},0)` },
      s('rect', { class: `seg seg-${k}`, width: 14, height: 12, y: 3, rx: 2 }), s('text', { x: 20, y: 13 }, label))));
}
