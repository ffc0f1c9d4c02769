// PE Stream console. Every text that came from outside (stream ids, prompts, tags, captions, rule
// fields) goes into the page through textContent or attributes, never as markup.
'use strict';

const state = {
  streams: new Map(), // streamId -> {summary, spans: Map, alerts: Map, tags: Map, captions: Map}
  view: { glob: '*', fromUs: null, toUs: null },
  highlight: null,    // {streamId, startUs, endUs}
  drawPending: false,
};

function token() { return sessionStorage.getItem('pestream.token'); }

async function api(path, options = {}) {
  const headers = Object.assign({}, options.headers || {});
  if (token()) headers.Authorization = 'Bearer ' + token();
  const response = await fetch(path, Object.assign({}, options, { headers }));
  if (response.status === 401) {
    const given = window.prompt('This console needs its access token:');
    if (given) { sessionStorage.setItem('pestream.token', given.trim()); return api(path, options); }
  }
  if (response.status === 204) return null;
  const body = await response.json();
  if (!response.ok) throw new Error(body.error || response.statusText);
  return body;
}

function showError(message) {
  const box = document.getElementById('error');
  box.textContent = message || '';
  box.hidden = !message;
}

function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

function stream(id) {
  let s = state.streams.get(id);
  if (!s) {
    s = { summary: { streamId: id, lastResultUs: -1 }, spans: new Map(), alerts: new Map(), tags: new Map(), captions: new Map() };
    state.streams.set(id, s);
  }
  return s;
}

function seen(s, us) { if (us !== null && us !== undefined && us > s.summary.lastResultUs) s.summary.lastResultUs = us; }

function addSpan(s, span) { s.spans.set(span.spanId, span); seen(s, span.endUs ?? span.startUs); }
function addAlert(s, alert) { s.alerts.set(alert.alertId, alert); seen(s, alert.spanStartUs); }
function addTag(s, tag) { s.tags.set(tag.vocabularyId + '\u0000' + tag.tag + '\u0000' + tag.startUs, tag); seen(s, tag.endUs ?? tag.startUs); }
function addCaption(s, c) { s.captions.set(c.windowStartUs + '/' + c.windowEndUs, c); seen(s, c.windowEndUs); }

// --- glob as the server matches it: * any run of characters, ? one, everything else literal ---
function globMatches(glob, id) {
  if (!glob || glob === '*') return true;
  const g = Array.from(glob), s = Array.from(id);
  let gi = 0, si = 0, star = -1, resume = 0;
  while (si < s.length) {
    if (gi < g.length && g[gi] === '*') { star = gi++; resume = si; }
    else if (gi < g.length && (g[gi] === '?' || g[gi] === s[si])) { gi++; si++; }
    else if (star >= 0) { gi = star + 1; si = ++resume; }
    else return false;
  }
  while (gi < g.length && g[gi] === '*') gi++;
  return gi === g.length;
}

async function load() {
  try {
    const status = await api('/api/status');
    document.getElementById('model').textContent = 'model ' + status.modelId;
    document.getElementById('contract').hidden = !status.contractBundle;
    const list = await api('/api/streams');
    for (const summary of list.streams) {
      const s = stream(summary.streamId);
      s.summary = summary;
      const t = await api('/api/streams/' + encodeURIComponent(summary.streamId) + '/timeline');
      t.spans.forEach(x => addSpan(s, x));
      t.alerts.forEach(x => addAlert(s, x));
      t.tags.forEach(x => addTag(s, x));
      t.captions.forEach(x => addCaption(s, x));
    }
    showError(null);
  } catch (e) {
    showError('Loading failed: ' + e.message);
  }
  scheduleDraw();
  await Promise.all([loadRules(), loadVocabularies()]);
}

function follow() {
  const url = '/api/events' + (token() ? '?access_token=' + encodeURIComponent(token()) : '');
  const events = new EventSource(url);
  const live = document.getElementById('live');
  events.onopen = () => { live.textContent = 'live'; live.className = 'on'; };
  events.onerror = () => { live.textContent = 'reconnecting'; live.className = 'off'; };
  const handlers = { span: addSpan, alert: addAlert, tag: addTag, caption: addCaption,
    progress: (s, p) => seen(s, p.lastResultUs) };
  for (const [name, add] of Object.entries(handlers)) {
    events.addEventListener(name, message => {
      const data = JSON.parse(message.data);
      add(stream(data.streamId), data.item);
      scheduleDraw();
    });
  }
}

function scheduleDraw() {
  if (state.drawPending) return;
  state.drawPending = true;
  requestAnimationFrame(() => { state.drawPending = false; draw(); });
}

function visibleStreams() {
  return [...state.streams.values()].filter(s => globMatches(state.view.glob, s.summary.streamId))
    .sort((a, b) => a.summary.streamId.localeCompare(b.summary.streamId));
}

function axisRange(streams) {
  let from = state.view.fromUs, to = state.view.toUs;
  if (from === null || to === null) {
    let lo = Infinity, hi = -Infinity;
    for (const s of streams) {
      for (const x of s.spans.values()) { lo = Math.min(lo, x.startUs); hi = Math.max(hi, x.endUs ?? s.summary.lastResultUs); }
      for (const x of s.tags.values()) { lo = Math.min(lo, x.startUs); hi = Math.max(hi, x.endUs ?? s.summary.lastResultUs); }
      for (const x of s.captions.values()) { lo = Math.min(lo, x.windowStartUs); hi = Math.max(hi, x.windowEndUs); }
      for (const x of s.alerts.values()) { lo = Math.min(lo, x.spanStartUs); hi = Math.max(hi, x.spanStartUs); }
      hi = Math.max(hi, s.summary.lastResultUs);
    }
    if (!isFinite(lo)) { lo = 0; hi = 10e6; }
    from = from ?? Math.min(0, lo);
    to = to ?? Math.max(hi, from + 1e6);
  }
  return { from, to };
}

function place(node, range, startUs, endUs) {
  const span = range.to - range.from;
  const left = (startUs - range.from) / span * 100;
  node.style.left = left + '%';
  if (endUs !== undefined) node.style.width = Math.max(0, (Math.min(endUs, range.to) - Math.max(startUs, range.from)) / span * 100) + '%';
  node.dataset.startUs = startUs;
  if (endUs !== undefined) node.dataset.endUs = endUs;
}

function draw() {
  const streams = visibleStreams();
  const range = axisRange(streams);
  const axis = document.getElementById('axis');
  axis.replaceChildren();
  axis.dataset.fromUs = range.from;
  axis.dataset.toUs = range.to;
  for (let i = 0; i <= 10; i++) {
    const us = range.from + (range.to - range.from) * i / 10;
    const tick = el('span', 'tick', (us / 1e6).toFixed(1) + ' s');
    tick.style.left = (i * 10) + '%';
    axis.append(tick);
  }
  const lanes = document.getElementById('lanes');
  const keep = new Set();
  for (const s of streams) {
    const id = s.summary.streamId;
    keep.add(id);
    let lane = [...lanes.children].find(l => l.dataset.streamId === id);
    if (!lane) {
      lane = el('div', 'lane');
      lane.dataset.streamId = id;
      lane.append(el('div', 'lane-label', id), el('div', 'track'));
      lane.firstChild.title = id;
      lanes.append(lane);
    }
    drawTrack(lane.querySelector('.track'), s, range);
  }
  for (const lane of [...lanes.children]) if (!keep.has(lane.dataset.streamId)) lane.remove();
  [...lanes.children].sort((a, b) => a.dataset.streamId.localeCompare(b.dataset.streamId)).forEach(l => lanes.append(l));
}

function drawTrack(track, s, range) {
  const drawnAt = new Map([...track.querySelectorAll('.span')].map(n => [n.dataset.spanId, n.dataset.drawnAtMs]));
  track.replaceChildren();
  const inView = (a, b) => a <= range.to && b >= range.from;
  for (const x of s.tags.values()) {
    const end = x.endUs ?? s.summary.lastResultUs;
    if (!inView(x.startUs, end)) continue;
    const n = el('div', 'tag', x.tag);
    n.title = x.vocabularyId + ': ' + x.tag;
    n.dataset.tag = x.tag;
    place(n, range, x.startUs, end);
    track.append(n);
  }
  for (const x of s.spans.values()) {
    const open = x.endUs === null || x.endUs === undefined;
    const end = open ? Math.max(s.summary.lastResultUs, x.startUs) : x.endUs;
    if (!inView(x.startUs, end)) continue;
    const n = el('div', open ? 'span open' : 'span', x.prompt);
    n.title = x.prompt + ' (peak ' + x.peak.toFixed(2) + ')';
    n.dataset.spanId = x.spanId;
    n.dataset.state = x.state;
    n.dataset.prompt = x.prompt;
    n.dataset.drawnAtMs = drawnAt.get(x.spanId) || String(Date.now());
    place(n, range, x.startUs, end);
    track.append(n);
  }
  for (const x of s.alerts.values()) {
    if (!inView(x.spanStartUs, x.spanStartUs)) continue;
    const n = el('div', 'alert');
    n.title = 'alert ' + x.ruleId + ': ' + x.prompt + ' (score ' + x.score.toFixed(2) + ')';
    n.dataset.ruleId = x.ruleId;
    place(n, range, x.spanStartUs);
    track.append(n);
  }
  for (const x of s.captions.values()) {
    if (!inView(x.windowStartUs, x.windowEndUs)) continue;
    const n = el('div', x.status === 'OK' ? 'caption' : 'caption error');
    const text = x.status === 'OK' ? x.text : 'caption failed: ' + x.error;
    n.title = text;
    n.dataset.caption = text;
    n.addEventListener('click', () => {
      const detail = document.getElementById('detail');
      detail.textContent = s.summary.streamId + ' ' + (x.windowStartUs / 1e6).toFixed(1) + '–'
        + (x.windowEndUs / 1e6).toFixed(1) + ' s: ' + text;
      detail.hidden = false;
    });
    place(n, range, x.windowStartUs, x.windowEndUs);
    track.append(n);
  }
  const h = state.highlight;
  if (h && h.streamId === s.summary.streamId) {
    const n = el('div', 'highlight');
    place(n, range, h.startUs, h.endUs);
    track.append(n);
  }
}

async function search(event) {
  event.preventDefault();
  const params = new URLSearchParams({
    q: document.getElementById('q').value,
    modality: document.getElementById('modality').value,
    k: document.getElementById('k').value,
  });
  if (state.view.glob && state.view.glob !== '*') params.set('stream', state.view.glob);
  const list = document.getElementById('results');
  try {
    const body = await api('/api/search?' + params);
    list.replaceChildren();
    for (const r of body.results) {
      const item = el('li', null, r.streamId + ' ' + (r.windowStartUs / 1e6).toFixed(1) + '–'
        + (r.windowEndUs / 1e6).toFixed(1) + ' s  score ' + r.score.toFixed(3));
      item.dataset.streamId = r.streamId;
      item.dataset.startUs = r.windowStartUs;
      item.dataset.endUs = r.windowEndUs;
      item.dataset.score = r.score;
      item.addEventListener('click', () => jumpTo(r));
      list.append(item);
    }
    showError(null);
  } catch (e) {
    showError(e.message);
  }
}

function jumpTo(r) {
  const margin = Math.max(r.windowEndUs - r.windowStartUs, 2e6);
  state.view.fromUs = r.windowStartUs - margin;
  state.view.toUs = r.windowEndUs + margin;
  document.getElementById('from').value = state.view.fromUs / 1e6;
  document.getElementById('to').value = state.view.toUs / 1e6;
  state.highlight = { streamId: r.streamId, startUs: r.windowStartUs, endUs: r.windowEndUs };
  draw();
  const lane = [...document.querySelectorAll('.lane')].find(l => l.dataset.streamId === r.streamId);
  if (lane) lane.scrollIntoView({ block: 'nearest' });
}

function applyView(event) {
  event.preventDefault();
  const from = document.getElementById('from').value, to = document.getElementById('to').value;
  state.view = {
    glob: document.getElementById('glob').value || '*',
    fromUs: from === '' ? null : Math.round(parseFloat(from) * 1e6),
    toUs: to === '' ? null : Math.round(parseFloat(to) * 1e6),
  };
  draw();
}

function resetView() {
  document.getElementById('from').value = '';
  document.getElementById('to').value = '';
  state.view.fromUs = null;
  state.view.toUs = null;
  state.highlight = null;
  draw();
}

async function loadRules() {
  try {
    const body = await api('/api/rules');
    const list = document.getElementById('rules');
    list.replaceChildren();
    for (const r of body.rules) {
      const item = el('li', null, r.ruleId + ': "' + r.prompt + '" ≥ ' + r.threshold + ' on ' + r.streamSelector
        + (r.enabled ? '' : ' (disabled)'));
      item.dataset.ruleId = r.ruleId;
      item.append(deleteButton('/api/rules/' + encodeURIComponent(r.ruleId), loadRules));
      list.append(item);
    }
  } catch (e) { showError('Rules: ' + e.message); }
}

async function loadVocabularies() {
  try {
    const body = await api('/api/vocabularies');
    const list = document.getElementById('vocabularies');
    list.replaceChildren();
    for (const v of body.vocabularies) {
      const item = el('li', null, v.vocabularyId + ': ' + v.tags.join(', ') + ' on ' + v.streamSelector);
      item.dataset.vocabularyId = v.vocabularyId;
      item.append(deleteButton('/api/vocabularies/' + encodeURIComponent(v.vocabularyId), loadVocabularies));
      list.append(item);
    }
  } catch (e) { showError('Vocabularies: ' + e.message); }
}

function deleteButton(path, reload) {
  const b = el('button', 'delete', 'delete');
  b.type = 'button';
  b.addEventListener('click', async () => {
    try { await api(path, { method: 'DELETE' }); showError(null); } catch (e) { showError(e.message); }
    reload();
  });
  return b;
}

function putForm(form, path, body, reload) {
  return api(path, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) })
    .then(() => { showError(null); form.reset(); reload(); })
    .catch(e => showError(e.message));
}

function saveRule(event) {
  event.preventDefault();
  const f = event.target;
  putForm(f, '/api/rules/' + encodeURIComponent(f.ruleId.value.trim()), {
    prompt: f.prompt.value, threshold: parseFloat(f.threshold.value), streamSelector: f.streamSelector.value || '*',
    cooldownMs: parseInt(f.cooldownMs.value || '0', 10), enabled: f.enabled.checked,
  }, loadRules);
}

function saveVocabulary(event) {
  event.preventDefault();
  const f = event.target;
  putForm(f, '/api/vocabularies/' + encodeURIComponent(f.vocabularyId.value.trim()), {
    tags: f.tags.value.split(',').map(t => t.trim()).filter(t => t), topK: parseInt(f.topK.value, 10),
    onThreshold: parseFloat(f.onThreshold.value), offThreshold: parseFloat(f.offThreshold.value),
    streamSelector: f.streamSelector.value || '*',
  }, loadVocabularies);
}

document.getElementById('search').addEventListener('submit', search);
document.getElementById('view').addEventListener('submit', applyView);
document.getElementById('reset').addEventListener('click', resetView);
document.getElementById('rule-form').addEventListener('submit', saveRule);
document.getElementById('vocabulary-form').addEventListener('submit', saveVocabulary);
follow(); // first, so nothing that happens while the timelines load is missed
load();
