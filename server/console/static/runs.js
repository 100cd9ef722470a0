// runs.js — the runs page: start a run (a preset with its inputs, or a
// pipeline as JSON) and the list of recent runs with status, time and tokens.

import { enc, TERMINAL } from './api.js';
import { badge, card, errorBox, field, fmtDur, fmtNum, fmtTime, h, replace, select, toast } from './ui.js';

export async function list(ctx) {
  const [{ datasets = [] }, { presets = [] }] = await Promise.all([
    ctx.api.get('/v1/datasets'), ctx.api.get('/v1/presets')]);
  const listEl = h('div', {}, h('p', { class: 'muted' }, 'Loading runs…'));
  refresh(ctx, listEl);
  return h('div', {},
    h('h1', {}, 'Runs'),
    startCard(ctx, datasets, presets),
    card('Recent runs', listEl));
}

// refresh redraws the run list, again every few seconds while a run is active.
async function refresh(ctx, el) {
  try {
    const { runs = [] } = await ctx.api.get('/v1/runs?limit=50', { signal: ctx.signal });
    replace(el, runsTable(ctx, runs, () => refresh(ctx, el)));
    if (runs.some((r) => !TERMINAL.has(r.status))) setTimeout(() => ctx.signal.aborted || refresh(ctx, el), 3000);
  } catch (err) {
    if (!ctx.signal.aborted) replace(el, errorBox(err));
  }
}

function runsTable(ctx, runs, again) {
  if (!runs.length) return h('p', { class: 'muted' }, 'No runs yet.');
  return h('table', { class: 'data', 'data-testid': 'runs' },
    h('thead', {}, h('tr', {}, ['Run', 'Status', 'Dataset', 'Pipeline', 'Steps', 'Tokens', 'Duration', 'Created', ''].map((x) => h('th', {}, x)))),
    h('tbody', {}, runs.map((r) => h('tr', { 'data-run': r.id },
      h('td', {}, h('a', { href: `#/runs/${enc(r.id)}`, class: 'mono' }, r.id)),
      h('td', {}, badge(r.status, 'RUN_STATUS_')),
      h('td', {}, r.dataset),
      h('td', {}, r.pipeline?.name),
      h('td', { class: 'num' }, r.steps.length),
      h('td', { class: 'num' }, fmtNum(r.tokens?.total_tokens)),
      h('td', { class: 'num' }, fmtDur(r.profile?.wall)),
      h('td', {}, fmtTime(r.created_at)),
      h('td', {}, TERMINAL.has(r.status) ? null : cancelButton(ctx, r.id, again))))));
}

/** cancelButton cancels a run, then calls done. */
export function cancelButton(ctx, runId, done = () => {}) {
  const b = h('button', { type: 'button', class: 'small danger', 'data-testid': 'cancel' }, 'Cancel');
  b.onclick = async () => {
    b.disabled = true;
    try {
      const run = await ctx.api.post(`/v1/runs/${enc(runId)}:cancel`, {});
      toast(`${run.id}: ${run.status.replace('RUN_STATUS_', '').toLowerCase()}`);
      done();
    } catch (err) {
      toast(err.message, 'error');
      b.disabled = false;
    }
  };
  return b;
}

function startCard(ctx, datasets, presets) {
  const dataset = select(datasets.map((d) => d.name), ctx.query.get('dataset') || datasets[0]?.name, { name: 'dataset' });
  const preset = select(presets.map((p) => p.name), ctx.query.get('preset') || 'campaign_optimization', { name: 'preset' });
  const about = h('p', { class: 'muted small' });
  const showPreset = () => {
    const p = presets.find((x) => x.name === preset.value);
    replace(about, p ? `${p.description || ''} Steps: ${p.steps.map((s) => s.id).join(' → ')}` : '');
  };
  preset.onchange = showPreset;
  showPreset();
  const inp = (name, attrs = {}) => h('input', { name, ...attrs });
  const inputs = {
    target_audience: inp('target_audience', { placeholder: 'health-conscious millennials' }),
    budget: inp('budget', { type: 'number', min: 0, step: 'any', placeholder: '250000' }),
    duration: inp('duration', { placeholder: '6 months' }),
    campaign_goals: inp('campaign_goals', { placeholder: 'grow share in the west' }),
    analysis_focus: inp('analysis_focus', { placeholder: 'profitability' }),
    brands: inp('brands', { placeholder: 'comma-separated' }),
  };
  const force = h('input', { type: 'checkbox', name: 'force' });
  const model = inp('model', { placeholder: "the server's" });
  const pipelineJSON = h('textarea', { name: 'pipeline', rows: 10, class: 'mono', spellcheck: 'false',
    placeholder: '{"name": "mine", "steps": [{"id": "kpis", "tool": {"tool": "kpi_summary"}}, {"id": "report", "depends_on": ["kpis"], "report": {"title": "KPIs"}}]}' });
  const mode = select([['preset', 'A preset'], ['pipeline', 'A pipeline (JSON)']], 'preset', { name: 'mode' });
  const presetPart = h('div', {}, h('div', { class: 'row' }, field('Preset', preset)), about,
    h('div', { class: 'grid3' }, field('Target audience', inputs.target_audience), field('Budget', inputs.budget),
      field('Duration', inputs.duration), field('Campaign goals', inputs.campaign_goals),
      field('Analysis focus', inputs.analysis_focus), field('Brands', inputs.brands)));
  const pipelinePart = h('div', { hidden: true }, field('Pipeline', pipelineJSON, 'A mrswarm.v1.Pipeline: steps with id, depends_on and one of agent, tool, sql, report.'));
  mode.onchange = () => { presetPart.hidden = mode.value !== 'preset'; pipelinePart.hidden = mode.value === 'preset'; };
  const status = h('div');
  const form = h('form', { 'data-testid': 'start-form' },
    h('div', { class: 'row' }, field('Dataset', dataset), field('Start from', mode)),
    presetPart, pipelinePart,
    h('div', { class: 'row' }, field('Model', model), h('label', { class: 'check' }, force, 'Re-run every step (ignore the memo)')),
    h('p', {}, h('button', { class: 'primary', type: 'submit' }, 'Start run')), status);
  form.onsubmit = async (e) => {
    e.preventDefault();
    try {
      const req = { dataset: dataset.value, options: { force: force.checked, model: model.value } };
      if (mode.value === 'preset') {
        req.preset = preset.value;
        req.inputs = runInputs(inputs);
      } else {
        req.pipeline = JSON.parse(pipelineJSON.value);
      }
      const started = await ctx.api.post('/v1/runs', req);
      ctx.go(`#/runs/${enc(started.run_id)}`);
    } catch (err) {
      replace(status, errorBox(err));
    }
  };
  return card('Start a run', datasets.length ? form : h('p', {}, 'Load a dataset first: ', h('a', { href: '#/datasets' }, 'Datasets'), '.'));
}

function runInputs(inputs) {
  const out = {};
  for (const [k, el] of Object.entries(inputs)) {
    if (!el.value) continue;
    if (k === 'budget') out[k] = Number(el.value);
    else if (k === 'brands') out[k] = el.value.split(',').map((b) => b.trim()).filter(Boolean);
    else out[k] = el.value;
  }
  return out;
}
