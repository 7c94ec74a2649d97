// The tspbx dashboard: log in with the API token (kept in sessionStorage, sent as a Bearer token),
// then totals and charts of answered and missed calls (today per hour, this week per day, and per
// extension), the missed calls nobody called back with a call-back button, the queues' wallboard,
// and the calls and phones now. Live events come from GET /api/events read with fetch (an
// EventSource cannot send the token); a slow poll keeps things right if the stream drops.
// Charts are inline SVG drawn here; every text from the server goes in with textContent.
const TOKEN_KEY = 'tspbx-token';
const EXTENSION_KEY = 'tspbx-my-extension';
const POLL_MS = 10000;
const SVG_NS = 'http://www.w3.org/2000/svg';
const CHART = { width: 640, height: 240, left: 40, right: 8, top: 12, bottom: 30 };

const $ = (id) => document.getElementById(id);
let range = 'today';
let pollTimer = null;
let stream = null;
let refreshSoon = null;

class Unauthorized extends Error {}

async function api(path, init = {}) {
  const res = await fetch(path, { ...init, headers: { ...init.headers, authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY) ?? ''}` } });
  if (res.status === 401) throw new Unauthorized('the token was refused');
  const body = res.headers.get('content-type')?.includes('json') ? await res.json() : null;
  if (!res.ok) throw new Error(body?.error ?? body?.message ?? `${path} answered ${res.status}`);
  return body;
}

/** [from, to) of the range in local time, and the slot size of its time chart. */
function rangeBounds(which, now = new Date()) {
  const from = new Date(now.getFullYear(), now.getMonth(), now.getDate());
  if (which === 'week') from.setDate(from.getDate() - ((from.getDay() + 6) % 7));
  const to = new Date(from);
  to.setDate(to.getDate() + (which === 'week' ? 7 : 1));
  return { from, to, by: which === 'week' ? 'day' : 'hour' };
}

function el(tag, text, className) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = String(text);
  if (className !== undefined) e.className = className;
  return e;
}

function svg(tag, attrs, text) {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = String(text);
  return e;
}

/** A round top for the y axis and its step: about four grid lines at 1, 2 or 5 times a power of ten. */
function niceScale(max) {
  if (max <= 4) return { top: Math.max(1, max), step: 1 };
  const raw = max / 4;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw);
  return { top: Math.ceil(max / step) * step, step };
}

/** Answered and missed side by side per label, with a y axis; one <g data-label> per label. */
function barChart(target, labels, answered, missed, empty) {
  target.replaceChildren();
  const { width, height, left, right, top, bottom } = CHART;
  const plotH = height - top - bottom;
  if (labels.length === 0) {
    target.append(svg('text', { x: width / 2, y: height / 2, 'text-anchor': 'middle' }, empty));
    return;
  }
  const scale = niceScale(Math.max(...answered, ...missed));
  const y = (v) => top + plotH - (v / scale.top) * plotH;
  for (let v = 0; v <= scale.top; v += scale.step) {
    target.append(svg('line', { class: 'grid', x1: left, x2: width - right, y1: y(v), y2: y(v) }));
    target.append(svg('text', { x: left - 6, y: y(v) + 4, 'text-anchor': 'end' }, v));
  }
  const band = (width - left - right) / labels.length;
  const bar = Math.min(24, Math.max(1, band * 0.36));
  const every = Math.ceil(labels.length / 12);
  labels.forEach((label, i) => {
    const x = left + i * band + (band - 2 * bar) / 2;
    const g = svg('g', { 'data-label': label, 'data-answered': answered[i], 'data-missed': missed[i] });
    g.append(svg('title', {}, `${label}: ${answered[i]} answered, ${missed[i]} missed`));
    g.append(svg('rect', { class: 'bar-answered', x, y: y(answered[i]), width: bar, height: y(0) - y(answered[i]) }));
    g.append(svg('rect', { class: 'bar-missed', x: x + bar, y: y(missed[i]), width: bar, height: y(0) - y(missed[i]) }));
    if (i % every === 0) g.append(svg('text', { x: left + i * band + band / 2, y: height - bottom + 16, 'text-anchor': 'middle' }, label));
    target.append(g);
  });
}

const two = (n) => String(n).padStart(2, '0');
const clock = (iso) => {
  const d = new Date(iso);
  return `${two(d.getHours())}:${two(d.getMinutes())}`;
};
const dayLabel = (iso) => new Date(iso).toLocaleDateString('en-GB', { weekday: 'short', day: 'numeric' });
const when = (iso) => {
  const d = new Date(iso);
  const today = new Date();
  return d.toDateString() === today.toDateString() ? clock(iso) : `${d.toLocaleDateString('en-GB', { day: 'numeric', month: 'short' })} ${clock(iso)}`;
};

async function loadStats() {
  const { from, to, by } = rangeBounds(range);
  const q = (grouping) => `/api/stats/calls?from=${encodeURIComponent(from.toISOString())}&to=${encodeURIComponent(to.toISOString())}&by=${grouping}`;
  const [slots, exts] = await Promise.all([api(q(by)), api(q('extension'))]);
  const sum = (k) => slots.rows.reduce((n, r) => n + r[k], 0);
  $('total-answered').textContent = sum('answered');
  $('total-missed').textContent = sum('missed');
  $('total-all').textContent = sum('total');
  $('slots-title').textContent = by === 'hour' ? 'Calls per hour, today' : 'Calls per day, this week';
  $('ext-title').textContent = range === 'today' ? 'Calls per extension, today' : 'Calls per extension, this week';
  const slotLabel = by === 'hour' ? (r) => two(new Date(r.start).getHours()) : (r) => dayLabel(r.start);
  barChart($('chart-slots'), slots.rows.map(slotLabel), slots.rows.map((r) => r.answered), slots.rows.map((r) => r.missed), 'No calls');
  barChart($('chart-extensions'), exts.rows.map((r) => r.extension), exts.rows.map((r) => r.answered), exts.rows.map((r) => r.missed), 'No calls to extensions');
}

function rowsOrEmpty(tbody, rows, columns, emptyText) {
  tbody.replaceChildren(...(rows.length > 0 ? rows : [(() => {
    const tr = el('tr');
    const td = el('td', emptyText, 'empty');
    td.colSpan = columns;
    tr.append(td);
    return tr;
  })()]));
}

async function loadMissed() {
  const entries = await api('/api/missed');
  rowsOrEmpty($('missed-rows'), entries.map((m) => {
    const tr = el('tr');
    tr.dataset.number = m.number;
    tr.append(el('td', m.number), el('td', m.calls), el('td', when(m.last_at)), el('td', m.to));
    const button = el('button', 'Call back');
    button.type = 'button';
    button.addEventListener('click', () => void callBack(m.number));
    const td = el('td');
    td.append(button);
    tr.append(td);
    return tr;
  }), 5, 'Everyone was called back');
}

async function callBack(number) {
  const ext = $('my-extension').value.trim();
  const out = $('callback-result');
  if (!/^[0-9]+$/.test(ext)) {
    out.textContent = 'Type your extension first: it rings, then the number is dialled.';
    $('my-extension').focus();
    return;
  }
  localStorage.setItem(EXTENSION_KEY, ext);
  try {
    const started = await api(`/api/originate?from=${encodeURIComponent(ext)}&to=${encodeURIComponent(number)}`, { method: 'POST' });
    out.textContent = `Calling ${number}: your phone ${ext} rings first (call ${started.id}).`;
  } catch (err) {
    out.textContent = `Could not call ${number}: ${err.message}`;
  }
}

async function loadWallboard() {
  const { from } = rangeBounds('today');
  const queues = await api(`/api/wallboard?since=${encodeURIComponent(from.toISOString())}`);
  const board = $('wallboard');
  if (queues.length === 0) {
    board.replaceChildren(el('p', 'No queues configured.', 'hint'));
    return;
  }
  board.replaceChildren(...queues.map((q) => {
    const tile = el('article', undefined, q.waiting > 0 && q.agents.free === 0 ? 'queue busy' : 'queue');
    tile.dataset.queue = q.queue;
    const dl = el('dl');
    const facts = [
      ['Waiting', q.waiting],
      ['Longest wait', `${q.longest_wait_s} s`],
      ['Agents free / busy', `${q.agents.free} / ${q.agents.busy}`],
      ['Paused / logged out / offline', `${q.agents.paused} / ${q.agents.logged_out} / ${q.agents.offline}`],
      ['Answered today', q.answered],
      ['Abandoned today', q.abandoned],
      ['Callbacks waiting', q.callbacks_waiting],
    ];
    for (const [k, v] of facts) dl.append(el('dt', k), el('dd', v));
    tile.append(el('h3', q.queue), dl);
    return tile;
  }));
}

async function loadLive() {
  const [status, calls, regs] = await Promise.all([api('/api/status'), api('/api/calls'), api('/api/registrations')]);
  $('status').textContent = `version ${status.version} · up ${Math.floor(status.uptime_s / 60)} min · ${status.registrations} phones · ${status.calls} calls`;
  rowsOrEmpty($('call-rows'), calls.map((c) => {
    const tr = el('tr');
    tr.append(el('td', c.from), el('td', c.to), el('td', c.state), el('td', clock(c.started_at)));
    return tr;
  }), 4, 'No calls now');
  rowsOrEmpty($('registration-rows'), regs.map((r) => {
    const tr = el('tr');
    tr.append(el('td', r.extension), el('td', r.contact), el('td', r.user_agent));
    return tr;
  }), 3, 'No phones registered');
}

async function refresh(parts = ['live', 'stats', 'missed', 'wallboard']) {
  const loaders = { live: loadLive, stats: loadStats, missed: loadMissed, wallboard: loadWallboard };
  try {
    await Promise.all(parts.map((p) => loaders[p]()));
    document.body.dataset.loaded = 'true';
  } catch (err) {
    if (err instanceof Unauthorized) logout('The token is no longer accepted.');
    else $('status').textContent = `Error: ${err.message}`;
  }
}

/** Refreshes once for a burst of events. */
function soon(parts) {
  clearTimeout(refreshSoon);
  refreshSoon = setTimeout(() => void refresh(parts), 300);
}

/** GET /api/events as a fetch stream: each `event: NAME` block refreshes what it changes. */
async function follow() {
  stream?.abort();
  const controller = new AbortController();
  stream = controller;
  try {
    const res = await fetch('/api/events', { headers: { authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY)}` }, signal: controller.signal });
    if (!res.ok || res.body === null) return;
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      text += value;
      const end = text.lastIndexOf('\n\n');
      if (end < 0) continue;
      const names = [...text.slice(0, end).matchAll(/^event: (\S+)$/gm)].map((m) => m[1]);
      text = text.slice(end + 2);
      if (names.some((n) => n === 'call.ended' || n === 'call.missed')) soon(['live', 'stats', 'missed', 'wallboard']);
      else if (names.length > 0) soon(['live', 'wallboard']);
    }
  } catch {
    // Aborted on logout, or the stream broke: the poll carries on.
  }
}

function start() {
  $('login').hidden = true;
  $('app').hidden = false;
  $('my-extension').value = localStorage.getItem(EXTENSION_KEY) ?? '';
  void refresh();
  void follow();
  pollTimer = setInterval(() => void refresh(), POLL_MS);
}

function logout(message = '') {
  sessionStorage.removeItem(TOKEN_KEY);
  clearInterval(pollTimer);
  stream?.abort();
  $('app').hidden = true;
  $('login').hidden = false;
  $('login-error').textContent = message;
}

$('login-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, $('token').value);
  try {
    await api('/api/status');
    $('login-error').textContent = '';
    start();
  } catch (err) {
    sessionStorage.removeItem(TOKEN_KEY);
    $('login-error').textContent = err instanceof Unauthorized ? 'Wrong token.' : `Cannot reach the PBX: ${err.message}`;
  }
});
$('logout').addEventListener('click', () => logout());
for (const b of document.querySelectorAll('[data-range]')) {
  b.addEventListener('click', () => {
    range = b.dataset.range;
    for (const o of document.querySelectorAll('[data-range]')) o.setAttribute('aria-pressed', String(o === b));
    void refresh(['stats']);
  });
}

if (sessionStorage.getItem(TOKEN_KEY) !== null) start();
else $('login').hidden = false;
