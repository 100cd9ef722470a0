// app.js — the console's shell: a router over the URL fragment (#/runs/ID),
// the token dialog, and the views. Each view is render(ctx, params) → element;
// ctx.signal aborts when the user navigates away (streams and timers stop).

import { Api } from './api.js';
import { errorBox, h, replace } from './ui.js';
import * as datasets from './datasets.js';
import * as tools from './tools.js';
import * as runs from './runs.js';
import * as run from './run.js';
import * as results from './results.js';

// routes map a fragment pattern to its view; :name parts become params.
const routes = [
  ['/datasets', datasets.list],
  ['/datasets/:name', datasets.detail],
  ['/tools', tools.page],
  ['/runs', runs.list],
  ['/runs/:id', run.page],
  ['/results', results.list],
  ['/results/:handle', results.detail],
];

function match(path) {
  for (const [pattern, view] of routes) {
    const want = pattern.split('/');
    const got = path.split('/');
    if (want.length !== got.length) continue;
    const params = {};
    if (want.every((w, i) => (w.startsWith(':') ? (params[w.slice(1)] = decodeURIComponent(got[i])) : w === got[i]))) {
      return { view, params, section: want[1] };
    }
  }
  return null;
}

/** askToken opens the token dialog; it resolves to the token or null. */
function askToken(invalid) {
  const dialog = document.getElementById('token-dialog');
  const input = document.getElementById('token-input');
  document.getElementById('token-why').textContent = invalid
    ? 'The server refused this token. Enter the current one.'
    : 'This server asks for its access token. mrswarm serve prints where it keeps it.';
  input.value = '';
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => {
      resolve(dialog.returnValue === 'ok' && input.value.trim() ? input.value.trim() : null);
      document.getElementById('forget-token').hidden = !sessionStorage.getItem('mrswarm.token');
    }, { once: true });
    if (!dialog.open) dialog.showModal();
  });
}

function start() {
  const api = new Api(askToken);
  const viewEl = document.getElementById('view');
  const forget = document.getElementById('forget-token');
  forget.hidden = !api.token;
  forget.onclick = () => { api.forgetToken(); forget.hidden = true; };
  let current = null;

  async function render() {
    const [path, query = ''] = (location.hash.slice(1) || '/runs').split('?');
    const m = match(path);
    current?.abort();
    current = new AbortController();
    const ctx = { api, signal: current.signal, query: new URLSearchParams(query), go: (hash) => { location.hash = hash; } };
    for (const a of document.querySelectorAll('#nav a')) a.classList.toggle('active', a.dataset.nav === m?.section);
    if (!m) {
      replace(viewEl, h('h1', {}, 'Not found'), h('p', {}, 'No page at ', h('code', {}, path), '.'));
      return;
    }
    try {
      const el = await m.view(ctx, m.params);
      if (!ctx.signal.aborted) replace(viewEl, el);
    } catch (err) {
      if (!ctx.signal.aborted) replace(viewEl, errorBox(err));
    }
  }
  window.addEventListener('hashchange', render);
  render();
}

start();
