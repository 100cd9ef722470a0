// datasets.js — the datasets page (list, upload) and one dataset's page
// (columns with their roles, role overrides, profile).

import { enc } from './api.js';
import { card, errorBox, field, fmtBytes, fmtDur, fmtNum, fmtTime, h, replace, resultTable, select, toast } from './ui.js';

// ROLES are the column roles the server knows (sql/store/roles.go).
const ROLES = ['date', 'region', 'country', 'brand', 'category', 'units', 'revenue', 'cost', 'profit',
  'margin', 'price', 'store', 'channel', 'campaign', 'spend', 'impressions', 'clicks', 'conversions'];

export async function list(ctx) {
  const { datasets = [] } = await ctx.api.get('/v1/datasets');
  const rows = datasets.map((d) => h('tr', {},
    h('td', {}, h('a', { href: `#/datasets/${enc(d.name)}` }, d.name)),
    h('td', { class: 'num' }, fmtNum(d.row_count)),
    h('td', { class: 'num' }, d.columns.length),
    h('td', {}, d.source),
    h('td', {}, fmtTime(d.loaded_at)),
    h('td', { class: 'mono muted' }, d.fingerprint.slice(0, 12))));
  return h('div', {},
    h('h1', {}, 'Datasets'),
    uploadCard(ctx),
    card('Loaded', datasets.length
      ? h('table', { class: 'data', 'data-testid': 'datasets' },
        h('thead', {}, h('tr', {}, ['Name', 'Rows', 'Columns', 'Source', 'Loaded', 'Fingerprint'].map((x) => h('th', {}, x)))),
        h('tbody', {}, rows))
      : h('p', { class: 'muted' }, 'No datasets yet: upload a CSV, Parquet or JSON file above.')));
}

function uploadCard(ctx) {
  const name = h('input', { name: 'name', required: true, pattern: '[A-Za-z_][A-Za-z0-9_]*', placeholder: 'beverage_sales' });
  const file = h('input', { name: 'file', type: 'file', accept: '.csv,.parquet,.json,.ndjson,.jsonl', required: true });
  const status = h('div');
  file.onchange = () => {
    if (!name.value && file.files[0]) name.value = file.files[0].name.replace(/\.[^.]*$/, '').replace(/[^A-Za-z0-9_]/g, '_');
  };
  const form = h('form', { class: 'row', 'data-testid': 'upload-form' },
    field('File', file), field('Dataset name', name),
    h('button', { class: 'primary', type: 'submit' }, 'Upload'));
  form.onsubmit = async (e) => {
    e.preventDefault();
    replace(status, h('p', { class: 'muted' }, 'Uploading…'));
    try {
      const res = await ctx.api.upload(name.value, file.files[0]);
      const d = res.dataset;
      toast(`${d.name}: ${fmtNum(d.row_count)} rows${res.cache_hit ? ' (same content, cache hit)' : ''}`);
      ctx.go(`#/datasets/${enc(d.name)}`);
    } catch (err) {
      replace(status, errorBox(err));
    }
  };
  return card('Upload a file', form, status);
}

export async function detail(ctx, { name }) {
  const d = await ctx.api.get(`/v1/datasets/${enc(name)}`);
  return h('div', {},
    h('h1', {}, d.name, ' ', h('span', { class: 'muted small' }, `${fmtNum(d.row_count)} rows · ${d.columns.length} columns · ${fmtBytes(d.bytes)}`)),
    h('p', { class: 'actions' },
      h('a', { class: 'button', href: `#/tools?dataset=${enc(d.name)}` }, 'Call a tool'),
      h('a', { class: 'button', href: `#/runs?dataset=${enc(d.name)}` }, 'Start a run')),
    h('div', { class: 'grid2' },
      card('Columns and roles', rolesForm(ctx, d)),
      card('About', h('dl', { class: 'kv' },
        h('dt', {}, 'Source'), h('dd', {}, d.source),
        h('dt', {}, 'Format'), h('dd', {}, String(d.format).replace('FORMAT_', '').toLowerCase()),
        h('dt', {}, 'Loaded'), h('dd', {}, `${fmtTime(d.loaded_at)} in ${fmtDur(d.load_duration)}`),
        h('dt', {}, 'Fingerprint'), h('dd', { class: 'mono' }, d.fingerprint)))),
    profileCard(ctx, d.name));
}

// rolesForm lists the columns with a role picker each; saving sends only the
// roles that changed (an empty column clears a role).
function rolesForm(ctx, d) {
  const byColumn = Object.fromEntries(Object.entries(d.roles || {}).map(([role, col]) => [col, role]));
  const roleNames = [...new Set([...ROLES, ...Object.keys(d.roles || {})])];
  const pickers = d.columns.map((c) => select([['', '—'], ...roleNames], byColumn[c.name] || '', { 'data-column': c.name }));
  for (const p of pickers) { // a role names one column: picking it here clears it elsewhere
    p.addEventListener('change', () => {
      for (const q of pickers) if (q !== p && q.value === p.value) q.value = '';
    });
  }
  const status = h('div');
  const why = (c) => c.role_reason || c.reason || ''; // once inference reports its reasons
  const anyWhy = d.columns.some(why);
  const form = h('form', { 'data-testid': 'roles-form' },
    h('table', { class: 'data' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Column'), h('th', {}, 'Type'), h('th', {}, 'Role'), anyWhy ? h('th', {}, 'Why') : null)),
      h('tbody', {}, d.columns.map((c, i) => h('tr', {},
        h('td', { class: 'mono' }, c.name), h('td', { class: 'muted' }, c.type), h('td', {}, pickers[i]),
        anyWhy ? h('td', { class: 'muted small' }, why(c)) : null)))),
    h('button', { class: 'primary', type: 'submit' }, 'Save roles'), status);
  form.onsubmit = async (e) => {
    e.preventDefault();
    const roles = {};
    for (const role of Object.keys(d.roles || {})) roles[role] = ''; // cleared unless picked again
    for (const p of pickers) if (p.value) roles[p.value] = p.dataset.column;
    for (const [role, col] of Object.entries(d.roles || {})) if (roles[role] === col) delete roles[role];
    try {
      await ctx.api.post(`/v1/datasets/${enc(d.name)}/roles`, { roles });
      toast('Roles saved');
      replace(status);
    } catch (err) {
      replace(status, errorBox(err));
    }
  };
  return form;
}

function profileCard(ctx, name) {
  const body = h('div', {}, h('p', { class: 'muted' }, 'Profiling…'));
  ctx.api.post(`/v1/datasets/${enc(name)}/tools/dataset_profile`, { args: {} })
    .then((res) => replace(body, resultTable(ctx.api, res.result.handle, 20)))
    .catch((err) => replace(body, errorBox(err)));
  return card('Profile', body);
}
