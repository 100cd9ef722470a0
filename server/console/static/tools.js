// tools.js — pick a dataset and a tool, fill the form generated from the
// tool's JSON Schema, call it, and page through the result with its chart.

import { enc } from './api.js';
import { card, chart, errorBox, field, fmtDur, fmtNum, h, handleLink, replace, resultTable, select } from './ui.js';
import { schemaForm } from './schemaform.js';

export async function page(ctx) {
  const { datasets = [] } = await ctx.api.get('/v1/datasets');
  if (!datasets.length) {
    return h('div', {}, h('h1', {}, 'Tools'), h('p', {}, 'Load a dataset first: ', h('a', { href: '#/datasets' }, 'Datasets'), '.'));
  }
  const dataset = ctx.query.get('dataset') || datasets[0].name;
  const { tools = [] } = await ctx.api.get(`/v1/datasets/${enc(dataset)}/tools`);
  const wanted = ctx.query.get('tool');
  const tool = tools.find((t) => t.name === wanted) || tools.find((t) => t.available) || tools[0];
  const dsPicker = select(datasets.map((d) => d.name), dataset, { name: 'dataset', 'data-testid': 'tool-dataset' });
  dsPicker.onchange = () => ctx.go(`#/tools?dataset=${enc(dsPicker.value)}`);
  const toolList = h('ul', { class: 'tool-list', 'data-testid': 'tool-list' }, tools.map((t) => h('li', {},
    h('a', {
      href: `#/tools?dataset=${enc(dataset)}&tool=${enc(t.name)}`, class: t === tool ? 'active' : '',
      'data-tool': t.name, title: t.available ? firstLine(t.description) : t.unavailable_reason,
    }, t.name, t.available ? null : h('span', { class: 'muted small' }, ' unavailable')))));
  return h('div', {},
    h('h1', {}, 'Tools'),
    h('div', { class: 'split' },
      h('aside', {}, field('Dataset', dsPicker), toolList),
      tool ? toolPanel(ctx, dataset, tool) : h('p', {}, 'No tools.')));
}

function toolPanel(ctx, dataset, tool) {
  const form = schemaForm(tool.args_schema);
  const out = h('div', { 'data-testid': 'tool-result' });
  const submit = h('button', { class: 'primary', type: 'submit', disabled: !tool.available }, `Call ${tool.name}`);
  const el = h('form', { 'data-testid': 'tool-form', 'data-tool': tool.name }, form.el, h('p', {}, submit));
  el.onsubmit = async (e) => {
    e.preventDefault();
    replace(out, h('p', { class: 'muted' }, 'Running…'));
    submit.disabled = true;
    try {
      const res = await ctx.api.post(`/v1/datasets/${enc(dataset)}/tools/${enc(tool.name)}`, { args: form.values() });
      const r = res.result;
      replace(out, card(null,
        h('p', { class: 'result-line' }, handleLink(r.handle), ` · ${fmtNum(r.row_count)} rows · ${r.columns.length} columns · ${fmtDur(res.duration)}`),
        chart(ctx.api, r.handle),
        resultTable(ctx.api, r.handle, 20)));
    } catch (err) {
      replace(out, errorBox(err));
    } finally {
      submit.disabled = false;
    }
  };
  return h('div', { class: 'tool-panel' },
    card(tool.name,
      h('p', { class: 'desc' }, tool.description),
      tool.required_roles?.length ? h('p', { class: 'muted small' }, `Needs roles: ${tool.required_roles.join(', ')}`) : null,
      tool.available ? null : h('div', { class: 'error-box' }, tool.unavailable_reason),
      el),
    out);
}

function firstLine(s) {
  return String(s || '').trim().split('\n')[0];
}
