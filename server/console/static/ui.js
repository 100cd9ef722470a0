// ui.js — small DOM helpers shared by the views. Text always goes in as text
// nodes (never innerHTML), so data from the server cannot become markup.

import { enc } from './api.js';

const SVG_NS = 'http://www.w3.org/2000/svg';

/** h builds an element: h('a', {href: '#', class: 'x', onclick: fn}, 'text', child). */
export function h(tag, attrs = {}, ...children) {
  return build(document.createElement(tag), attrs, children);
}

/** s builds an SVG element like h. */
export function s(tag, attrs = {}, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

function build(el, attrs, children) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'value' && 'value' in el) el.value = v;
    else if (k === 'checked' || k === 'selected' || k === 'multiple') el[k] = Boolean(v);
    else el.setAttribute(k, v === true ? '' : v);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c == null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** replace swaps an element's children. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** seconds parses a protobuf JSON Duration ("1.5s") into seconds. */
export function seconds(d) {
  return d ? parseFloat(d) || 0 : 0;
}

/** fmtSecs renders seconds with about three significant digits. */
export function fmtSecs(sec) {
  if (!sec) return '0s';
  if (sec < 0.001) return `${Math.round(sec * 1e6)}µs`;
  if (sec < 1) return `${(sec * 1000).toPrecision(3).replace(/\.?0+$/, '')}ms`;
  if (sec < 60) return `${sec.toPrecision(3).replace(/\.?0+$/, '')}s`;
  const m = Math.floor(sec / 60);
  return `${m}m${Math.round(sec - m * 60)}s`;
}

export const fmtDur = (d) => fmtSecs(seconds(d));

/** fmtNum renders an int64 (a JSON string) or number with thousands separators. */
export function fmtNum(v) {
  if (v == null || v === '') return '';
  const n = Number(v);
  if (!Number.isFinite(n)) return String(v);
  return Number.isInteger(n) ? n.toLocaleString('en-US') : n.toLocaleString('en-US', { maximumFractionDigits: 4 });
}

export function fmtTime(ts) {
  if (!ts) return '';
  const d = new Date(ts);
  return Number.isNaN(d.getTime()) || d.getTime() <= 0 ? '' : d.toLocaleString();
}

export function fmtBytes(n) {
  n = Number(n) || 0;
  const units = ['B', 'KB', 'MB', 'GB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${i ? n.toFixed(1) : n} ${units[i]}`;
}

/** short strips an enum's prefix and lower-cases it: RUN_STATUS_SUCCEEDED → succeeded. */
export function short(v, prefix) {
  return String(v || '').replace(prefix, '').toLowerCase().replace(/_/g, ' ');
}

/** badge shows a run or step status. */
export function badge(status, prefix) {
  const st = short(status, prefix) || 'unknown';
  return h('span', { class: `badge st-${st.replace(/ /g, '-')}` }, st);
}

export const handleLink = (handle) => handle ? h('a', { href: `#/results/${enc(handle)}`, class: 'mono' }, handle) : '';

/** card is a titled section. */
export function card(title, ...children) {
  return h('section', { class: 'card' }, title ? h('h2', {}, title) : null, ...children);
}

/** toast shows a short message; kind is "ok" or "error". */
export function toast(message, kind = 'ok') {
  const el = h('div', { class: `toast ${kind}` }, message);
  document.getElementById('toasts').append(el);
  setTimeout(() => el.remove(), kind === 'error' ? 9000 : 4000);
}

/** errorBox renders a failed call in place. */
export function errorBox(err) {
  return h('div', { class: 'error-box', role: 'alert' }, err.code ? h('strong', {}, `${err.code}: `) : null, err.message || String(err));
}

/** table builds a plain table from header labels and rows of cells. */
export function table(headers, rows, attrs = {}) {
  return h('table', attrs,
    h('thead', {}, h('tr', {}, headers.map((x) => h('th', {}, x)))),
    h('tbody', {}, rows.map((r) => h('tr', {}, r.map((c) => h('td', {}, c))))));
}

/** cell renders one JSON value of a result row. */
export function cell(v) {
  if (v === null || v === undefined) return h('span', { class: 'null' }, 'NULL');
  if (typeof v === 'number') return fmtNum(v);
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** resultTable pages through a result handle, pageSize rows at a time. */
export function resultTable(api, handle, pageSize = 25) {
  const body = h('div', { class: 'table-wrap' });
  const info = h('span', { class: 'muted', 'data-testid': 'page-info' });
  const btn = (label, testid) => h('button', { type: 'button', class: 'small', 'data-testid': testid }, label);
  const first = btn('⏮ First', 'page-first'); const prev = btn('◀ Prev', 'page-prev');
  const next = btn('Next ▶', 'page-next'); const last = btn('Last ⏭', 'page-last');
  const el = h('div', { class: 'result-table', 'data-handle': handle }, body, h('div', { class: 'pager' }, first, prev, info, next, last));
  let offset = 0; let total = 0;
  async function load(at) {
    try {
      const q = new URLSearchParams({ offset: at, limit: pageSize });
      const page = await api.get(`/v1/results/${enc(handle)}/rows?${q}`);
      offset = Number(page.offset); total = Number(page.total_rows);
      const cols = page.columns.map((c) => h('span', { title: c.type }, c.name));
      replace(body, table(cols, page.rows.map((r) => r.map(cell)), { class: 'data' }));
      const end = offset + page.rows.length;
      info.textContent = total ? `rows ${fmtNum(offset + 1)}–${fmtNum(end)} of ${fmtNum(total)}` : 'no rows';
      first.disabled = prev.disabled = offset === 0;
      next.disabled = last.disabled = end >= total;
    } catch (err) {
      replace(body, errorBox(err));
    }
  }
  first.onclick = () => load(0);
  prev.onclick = () => load(Math.max(0, offset - pageSize));
  next.onclick = () => load(offset + pageSize);
  last.onclick = () => load(Math.max(0, Math.floor((total - 1) / pageSize) * pageSize));
  load(0);
  return el;
}

/** chart shows GET /v1/results/{handle}/chart.svg when the server draws one. */
export function chart(api, handle) {
  const el = h('figure', { class: 'chart', hidden: true });
  api.optional(`/v1/results/${enc(handle)}/chart.svg`, 'image/svg+xml').then(async (res) => {
    if (!res) return;
    const url = URL.createObjectURL(await res.blob());
    el.append(h('img', { src: url, alt: `chart of ${handle}` }));
    el.hidden = false;
  });
  return el;
}

/** download saves a blob as a file. */
export function download(name, blob) {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

/** field wraps a form control with its label. */
export function field(label, control, hint) {
  return h('label', { class: 'field' }, h('span', { class: 'label' }, label), control, hint ? h('small', { class: 'muted' }, hint) : null);
}

/** select builds a <select> from [value, label] pairs or plain values. */
export function select(options, value, attrs = {}) {
  return h('select', attrs, options.map((o) => {
    const [v, label] = Array.isArray(o) ? o : [o, o];
    return h('option', { value: v, selected: v === value }, label);
  }));
}
