// run.js — one run, live from its event stream: the DAG with each step's
// state, the timeline, tokens per agent and per LLM call, the event log, the
// selected step's details and, when the run is done, its report. The page
// replays the run's events from the start and re-attaches after a dropped
// connection from the last event it saw.

import { enc, TERMINAL } from './api.js';
import { badge, card, errorBox, fmtDur, fmtNum, fmtSecs, h, handleLink, replace, seconds, short } from './ui.js';
import { dag } from './dag.js';
import { gantt, legend } from './gantt.js';
import { cancelButton } from './runs.js';

export async function page(ctx, { id }) {
  const run = await ctx.api.get(`/v1/runs/${enc(id)}`, { signal: ctx.signal });
  const view = new RunView(ctx, run);
  view.follow();
  return view.el;
}

/** RunView holds what the page knows of a run and redraws from it. */
class RunView {
  constructor(ctx, run) {
    this.ctx = ctx;
    this.run = run;
    this.steps = new Map(run.steps.map((st) => [st.id, st]));
    this.calls = []; // LLM_CALL events
    this.tools = []; // TOOL_CALL events
    this.events = 0;
    this.selected = null;
    this.link = 'connecting';
    this.parts = {
      head: h('div', { class: 'run-head' }), totals: h('div', { class: 'totals' }),
      dag: h('div', { class: 'dag-wrap', 'data-testid': 'dag' }), gantt: h('div', { 'data-testid': 'gantt' }),
      tokens: h('div', { 'data-testid': 'tokens' }), step: h('div', { 'data-testid': 'step' }),
      log: h('ol', { class: 'log', 'data-testid': 'events' }),
      report: h('div', { class: 'report', 'data-testid': 'report' }, h('p', { class: 'muted' }, 'The report appears when the run is done.')),
    };
    const p = this.parts;
    this.el = h('div', { class: 'run-page', 'data-run': run.id }, p.head, p.totals,
      card('Pipeline', p.dag),
      card('Timeline', p.gantt, legend()),
      h('div', { class: 'grid2' }, card('Tokens', p.tokens), card('Step', p.step)),
      card('Events', p.log),
      card('Report', p.report));
    this.draw();
    const tick = setInterval(() => this.running() && this.draw(), 500);
    ctx.signal.addEventListener('abort', () => clearInterval(tick));
  }

  running() { return !TERMINAL.has(this.run.status); }

  async follow() {
    const onLink = (state) => { this.link = state; this.drawHead(); };
    try {
      for await (const ev of this.ctx.api.watch(this.run.id, 0, this.ctx.signal, onLink)) this.apply(ev);
      if (this.ctx.signal.aborted) return;
      if (this.running()) this.run = await this.ctx.api.get(`/v1/runs/${enc(this.run.id)}`);
      this.mergeSteps(this.run.steps);
      this.draw();
      this.loadReport();
    } catch (err) {
      if (!this.ctx.signal.aborted) this.parts.log.before(errorBox(err));
    }
  }

  apply(ev) {
    this.events++;
    if (ev.step?.id) this.mergeSteps([ev.step]);
    if (ev.type === 'EVENT_TYPE_LLM_CALL') this.calls.push(ev);
    if (ev.type === 'EVENT_TYPE_TOOL_CALL') this.tools.push(ev);
    if (ev.type === 'EVENT_TYPE_RUN_STARTED' && this.run.status === 'RUN_STATUS_PENDING') this.run.status = 'RUN_STATUS_RUNNING';
    if (ev.run?.id) {
      this.run = ev.run;
      this.mergeSteps(ev.run.steps);
    }
    this.parts.log.append(logLine(ev, this.run));
    this.schedule();
  }

  mergeSteps(list) {
    for (const st of list || []) this.steps.set(st.id, { ...this.steps.get(st.id), ...st });
  }

  schedule() {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => { this.pending = false; this.draw(); });
  }

  draw() {
    const now = Date.now();
    this.drawHead();
    replace(this.parts.totals, totals(this.run, this.steps, this.calls, this.tools));
    replace(this.parts.dag, dag(this.run, this.steps, now, this.selected, (id) => { this.selected = id; this.draw(); }));
    const ordered = this.run.pipeline.steps.map((st) => this.steps.get(st.id) || { id: st.id });
    replace(this.parts.gantt, gantt(ordered, Date.parse(this.run.created_at), now));
    replace(this.parts.tokens, tokens(this.run, this.steps, this.calls));
    replace(this.parts.step, stepDetail(this.run, this.selected && this.steps.get(this.selected)));
  }

  drawHead() {
    const r = this.run;
    const link = TERMINAL.has(r.status) ? 'finished' : this.link;
    replace(this.parts.head,
      h('h1', {}, 'Run ', h('span', { class: 'mono' }, r.id), ' ', badge(r.status, 'RUN_STATUS_')),
      h('p', { class: 'muted' }, `${r.pipeline?.name || 'pipeline'} on `, h('a', { href: `#/datasets/${enc(r.dataset)}` }, r.dataset),
        ` · ${r.steps.length} steps · `, h('span', { class: `link link-${link}`, 'data-testid': 'link' }, link),
        ` · ${this.events} events`),
      TERMINAL.has(r.status) ? null : cancelButton(this.ctx, r.id));
  }

  async loadReport() {
    const el = this.parts.report;
    if (!this.run.report_handle) {
      replace(el, h('p', { class: 'muted' }, 'This run has no report step.'));
      return;
    }
    try {
      const res = await this.ctx.api.optional(`/v1/runs/${enc(this.run.id)}/report?format=html`, 'text/html');
      // data-format says the report is shown: set once its content is in place.
      if (res) {
        await showHTML(this.ctx.api, el, await res.text());
        el.dataset.format = 'html';
      } else {
        const rep = await this.ctx.api.get(`/v1/runs/${enc(this.run.id)}/report`);
        replace(el, h('p', {}, 'Report ', handleLink(rep.handle)), h('pre', { class: 'markdown' }, rep.markdown));
        el.dataset.format = 'markdown';
      }
    } catch (err) {
      replace(el, errorBox(err));
    }
  }
}

// totals are the run's counters: from its profile once it is done, summed
// from the events seen so far while it runs.
function totals(run, steps, calls, tools) {
  const done = [...steps.values()].filter((st) => ['STEP_STATUS_SUCCEEDED', 'STEP_STATUS_CACHED'].includes(st.status)).length;
  const tok = run.tokens?.llm_calls ? run.tokens : sumCalls(calls);
  const p = run.profile || {};
  const finished = TERMINAL.has(run.status);
  const sum = (evs, pick) => fmtSecs(evs.reduce((a, ev) => a + seconds(pick(ev)), 0));
  const stat = (label, value) => h('div', { class: 'stat' }, h('span', { class: 'label' }, label), h('span', { class: 'value' }, value));
  return [
    stat('steps done', `${done} / ${run.pipeline.steps.length}`),
    stat('tokens', fmtNum(tok.total_tokens)),
    stat('LLM calls', fmtNum(tok.llm_calls)),
    stat('wall', finished ? fmtDur(p.wall) : fmtSecs((Date.now() - Date.parse(run.created_at)) / 1000)),
    stat('LLM time', finished ? fmtDur(p.llm) : sum(calls, (ev) => ev.llm_call.wall)),
    stat('SQL time', finished ? fmtDur(p.sql) : sum(tools, (ev) => ev.tool_call.duration)),
    finished ? stat('overhead', fmtDur(p.overhead)) : null,
  ];
}

function sumCalls(calls) {
  const t = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0, llm_calls: calls.length };
  for (const ev of calls) {
    t.prompt_tokens += Number(ev.llm_call.prompt_tokens);
    t.completion_tokens += Number(ev.llm_call.completion_tokens);
  }
  t.total_tokens = t.prompt_tokens + t.completion_tokens;
  return t;
}

// tokens shows tokens per agent (bars) and per LLM call (a table).
function tokens(run, steps, calls) {
  const agentOf = (stepId) => steps.get(stepId)?.agent || stepId;
  const per = new Map();
  for (const ev of calls) {
    const a = agentOf(ev.step_id);
    const t = per.get(a) || { prompt: 0, completion: 0, calls: 0 };
    t.prompt += Number(ev.llm_call.prompt_tokens); t.completion += Number(ev.llm_call.completion_tokens); t.calls++;
    per.set(a, t);
  }
  if (!per.size) {
    for (const [a, t] of Object.entries(run.agent_tokens || {})) {
      per.set(a, { prompt: Number(t.prompt_tokens), completion: Number(t.completion_tokens), calls: t.llm_calls });
    }
  }
  if (!per.size) return h('p', { class: 'muted' }, 'No LLM calls yet.');
  const max = Math.max(...[...per.values()].map((t) => t.prompt + t.completion), 1);
  const bars = h('div', { class: 'bars', 'data-testid': 'agent-tokens' }, [...per].map(([agent, t]) => {
    const prompt = h('span', { class: 'bar-prompt', title: `${fmtNum(t.prompt)} prompt` });
    const completion = h('span', { class: 'bar-completion', title: `${fmtNum(t.completion)} completion` });
    prompt.style.width = `${(t.prompt / max) * 100}%`;
    completion.style.width = `${(t.completion / max) * 100}%`;
    return h('div', { class: 'bar-row', 'data-agent': agent }, h('span', { class: 'name' }, agent),
      h('span', { class: 'track' }, prompt, completion), h('span', { class: 'num' }, `${fmtNum(t.prompt + t.completion)} · ${t.calls} calls`));
  }));
  const rows = calls.map((ev) => {
    const c = ev.llm_call;
    return h('tr', {}, h('td', {}, ev.step_id), h('td', { class: 'num' }, c.turn), h('td', { class: 'num' }, fmtNum(c.prompt_tokens)),
      h('td', { class: 'num' }, fmtNum(c.completion_tokens)), h('td', { class: 'num' }, fmtDur(c.eval)), h('td', { class: 'num' }, fmtDur(c.wall)));
  });
  return [bars, h('p', { class: 'legend-line muted small' }, h('span', { class: 'key bar-prompt' }), 'prompt ', h('span', { class: 'key bar-completion' }), 'completion'),
    h('details', {}, h('summary', {}, `${calls.length} LLM calls`),
      h('table', { class: 'data small', 'data-testid': 'llm-calls' },
        h('thead', {}, h('tr', {}, ['Step', 'Turn', 'Prompt', 'Completion', 'Eval', 'Wall'].map((x) => h('th', {}, x)))),
        h('tbody', {}, rows)))];
}

function stepDetail(run, st) {
  if (!st) return h('p', { class: 'muted' }, 'Click a step in the graph to see it here.');
  const def = run.pipeline.steps.find((x) => x.id === st.id) || {};
  const p = st.profile || {};
  return [
    h('h3', {}, st.id, ' ', badge(st.status, 'STEP_STATUS_')),
    h('dl', { class: 'kv' },
      h('dt', {}, 'Kind'), h('dd', {}, st.agent ? `agent ${st.agent}` : st.kind),
      h('dt', {}, 'Depends on'), h('dd', {}, (def.depends_on || []).join(', ') || '—'),
      h('dt', {}, 'Result'), h('dd', {}, handleLink(st.result_handle) || '—'),
      st.handles?.length ? [h('dt', {}, 'Handles'), h('dd', {}, st.handles.flatMap((x) => [handleLink(x), ' ']))] : null,
      h('dt', {}, 'Tokens'), h('dd', {}, `${fmtNum(st.tokens?.total_tokens || 0)} in ${st.tokens?.llm_calls || 0} LLM calls, ${st.tool_calls || 0} tool calls`),
      h('dt', {}, 'Time'), h('dd', {}, `wall ${fmtDur(p.wall)} · queue ${fmtDur(p.queue_wait)} · LLM ${fmtDur(p.llm)} · SQL ${fmtDur(p.sql)} · overhead ${fmtDur(p.overhead)}`),
      st.error ? [h('dt', {}, 'Error'), h('dd', { class: 'error-text' }, st.error)] : null),
    st.output ? h('pre', { class: 'output' }, st.output) : null,
    def.sql ? h('pre', { class: 'output mono' }, def.sql.sql) : null,
  ];
}

function logLine(ev, run) {
  const t0 = Date.parse(run.created_at);
  const at = (Date.parse(ev.time) - t0) / 1000;
  const type = short(ev.type, 'EVENT_TYPE_');
  return h('li', { class: `ev ev-${type.replace(/ /g, '-')}` },
    h('span', { class: 'at' }, fmtSecs(Math.max(0, at))), h('span', { class: 'seq' }, `#${ev.seq}`),
    h('span', { class: 'type' }, type), h('span', { class: 'what' }, describe(ev)));
}

function describe(ev) {
  const st = ev.step || {};
  switch (ev.type) {
    case 'EVENT_TYPE_LLM_CALL': {
      const c = ev.llm_call;
      return `${ev.step_id} turn ${c.turn} ${c.model} tokens ${c.prompt_tokens}+${c.completion_tokens} eval ${fmtDur(c.eval)} wall ${fmtDur(c.wall)}`;
    }
    case 'EVENT_TYPE_TOOL_CALL': {
      const c = ev.tool_call;
      return `${ev.step_id} ${c.tool} ${c.args} ${c.error ? `error: ${c.error}` : `→ ${c.handle}`} (${fmtDur(c.duration)})`;
    }
    case 'EVENT_TYPE_STEP_FINISHED': case 'EVENT_TYPE_STEP_FAILED': case 'EVENT_TYPE_STEP_SKIPPED':
      return `${ev.step_id} ${short(st.status, 'STEP_STATUS_')}${st.result_handle ? ` → ${st.result_handle}` : ''}${st.error ? ` error: ${st.error}` : ''}`;
    case 'EVENT_TYPE_RUN_FINISHED':
      return ev.message || short(ev.run?.status, 'RUN_STATUS_');
    default:
      return [ev.step_id, ev.message].filter(Boolean).join(' ');
  }
}

// showHTML renders the server's HTML report in a shadow root (its styles stay
// inside), without scripts or handlers; images under /v1/ are fetched with the
// token and shown from blob: URLs.
async function showHTML(api, el, html) {
  const doc = new DOMParser().parseFromString(html, 'text/html');
  for (const bad of doc.querySelectorAll('script, iframe, object, embed, link, meta, base, form')) bad.remove();
  for (const node of doc.querySelectorAll('*')) {
    for (const attr of [...node.attributes]) {
      if (attr.name.startsWith('on') || /^\s*javascript:/i.test(attr.value)) node.removeAttribute(attr.name);
    }
  }
  await Promise.all([...doc.querySelectorAll('img[src^="/v1/"]')].map(async (img) => {
    const res = await api.optional(img.getAttribute('src'), 'image/');
    if (res) img.src = URL.createObjectURL(await res.blob());
    else img.remove();
  }));
  for (const a of doc.querySelectorAll('a[href]')) {
    const m = a.getAttribute('href').match(/^\/v1\/results\/([^/?#]+)/);
    if (m) a.setAttribute('href', `#/results/${m[1]}`);
  }
  const root = el.shadowRoot || el.attachShadow({ mode: 'open' });
  root.replaceChildren(...doc.head.querySelectorAll('style'), ...doc.body.childNodes);
  el.replaceChildren();
}
