// results.js — every stored result, and one handle: where it came from, its
// columns and statistics, the summary agents see, its rows page by page, its
// chart, and a CSV download.

import { enc } from './api.js';
import { card, chart, download, errorBox, fmtNum, fmtTime, h, handleLink, replace, resultTable, table } from './ui.js';

export async function list(ctx) {
  const { results = [] } = await ctx.api.get('/v1/results');
  results.sort((a, b) => Date.parse(b.created_at) - Date.parse(a.created_at));
  const open = h('form', { class: 'row' }, h('input', { name: 'handle', placeholder: 'res_3f9a1c2e', required: true }),
    h('button', { type: 'submit' }, 'Open'));
  open.onsubmit = (e) => { e.preventDefault(); ctx.go(`#/results/${enc(open.handle.value.trim())}`); };
  return h('div', {},
    h('h1', {}, 'Results'),
    card('Open a handle', open),
    card(`${results.length} stored results`, results.length
      ? table(['Handle', 'Source', 'Dataset', 'Rows', 'Columns', 'Created'], results.map((r) => [
        handleLink(r.handle), source(r.source), r.dataset, fmtNum(r.row_count), r.columns.length, fmtTime(r.created_at)]),
      { class: 'data', 'data-testid': 'results' })
      : h('p', { class: 'muted' }, 'No results yet.')));
}

export async function detail(ctx, { handle }) {
  const r = await ctx.api.get(`/v1/results/${enc(handle)}`);
  const dl = h('button', { type: 'button', 'data-testid': 'download-csv' }, 'Download CSV');
  dl.onclick = async () => {
    dl.disabled = true;
    try {
      download(`${r.handle}.csv`, await ctx.api.csv(r.handle));
    } catch (err) {
      dl.after(errorBox(err));
    } finally {
      dl.disabled = false;
    }
  };
  return h('div', { 'data-handle': r.handle },
    h('h1', {}, h('span', { class: 'mono' }, r.handle), ' ', h('span', { class: 'muted small' }, `${fmtNum(r.row_count)} rows · ${r.columns.length} columns`)),
    h('p', { class: 'actions' }, dl),
    h('div', { class: 'grid2' },
      card('Source', h('dl', { class: 'kv', 'data-testid': 'source' },
        h('dt', {}, 'From'), h('dd', {}, source(r.source)),
        h('dt', {}, 'Dataset'), h('dd', {}, r.dataset ? h('a', { href: `#/datasets/${enc(r.dataset)}` }, r.dataset) : '—'),
        h('dt', {}, 'Created'), h('dd', {}, fmtTime(r.created_at)))),
      card('Columns', table(['Column', 'Type', 'Min', 'Max', 'Mean', 'Nulls'], r.columns.map((c) => {
        const st = r.stats.find((x) => x.column === c.name);
        return [c.name, c.type, st ? fmtNum(st.min) : '', st ? fmtNum(st.max) : '', st ? fmtNum(st.mean) : '', st ? fmtNum(st.nulls) : ''];
      }), { class: 'data small' }))),
    chart(ctx.api, r.handle),
    card('Rows', resultTable(ctx.api, r.handle, 25)),
    card('Summary (what an agent sees)', h('pre', { class: 'output' }, r.text)));
}

// source renders where a result came from: tool:NAME, step:RUN/STEP, sql, report.
function source(src) {
  const [kind, rest] = String(src || '').split(/:(.*)/s);
  if (kind === 'step' && rest) {
    const [run, step] = rest.split('/');
    return h('span', {}, 'step ', h('code', {}, step), ' of run ', h('a', { href: `#/runs/${enc(run)}`, class: 'mono' }, run));
  }
  if (kind === 'tool' && rest) return h('span', {}, 'tool ', h('code', {}, rest));
  return h('code', {}, src || 'unknown');
}
