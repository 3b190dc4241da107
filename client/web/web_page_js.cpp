// The page's script (plain JavaScript, no library). Served as /app.js.
#include "client/web/web_page.h"

namespace mt::client::web {

const std::string_view kAppJs = R"JS('use strict';
// mtorrent's page. The transfer list follows /api/events (Server-Sent
// Events: the client pushes what changed) and falls back to polling
// /api/sync once a second while that fails. A click on a transfer opens its
// details (/api/torrent, every 2 s); the rate graph (/api/rates) and the log
// (/api/log) refresh every 5 s. Every text from a torrent, a peer or a
// tracker goes in through textContent, never as HTML.
const transfers = new Map();
const rowsById = new Map();
let rid = 0;

function $(id) { return document.getElementById(id); }
function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}
function bytes(n) {
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return (i ? n.toFixed(1) : String(Math.round(n))) + ' ' + u[i];
}
function rate(n) { return bytes(n) + '/s'; }
function pct(p) { return (p * 100).toFixed(1) + '%'; }
function eta(s) {
  if (s < 0) return '';
  if (s < 60) return s + ' s';
  if (s < 3600) return Math.floor(s / 60) + ' min';
  return Math.floor(s / 3600) + ' h ' + Math.floor((s % 3600) / 60) + ' min';
}
function ago(ms) {
  if (!ms) return 'never';
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  return s < 120 ? s + ' s ago' : Math.round(s / 60) + ' min ago';
}
function say(text, isError) {
  const m = $('msg');
  m.textContent = text;
  m.className = isError ? 'error' : '';
}
async function getJson(path) {
  const r = await fetch(path, { credentials: 'same-origin' });
  let j = null;
  try { j = await r.json(); } catch (e) { j = null; }
  return { status: r.status, j: j };
}
async function post(path, body) {
  let j;
  try {
    const r = await fetch(path, { method: 'POST', body: body, credentials: 'same-origin',
                                  headers: { 'X-MTorrent-CSRF': '1' } });
    j = await r.json();
  } catch (e) {
    j = { ok: false, error: 'NETWORK', detail: 'cannot reach the client' };
  }
  if (j.ok) say(j.value + ': ' + j.detail, false);
  else say((j.detail || 'failed') + ' (' + j.error + ')', true);
  if (!live) poll();
  return j;
}
function act(what, id, extra) {
  return post('/api/' + what, 'id=' + encodeURIComponent(id) + (extra || ''));
}

// ---- the transfer list
function makeRow(id) {
  const tr = el('tr');
  tr.dataset.id = id;
  const cells = {};
  for (const k of ['name', 'size', 'progress', 'state', 'down', 'up', 'peers', 'eta', 'ratio'])
    cells[k] = el('td', k === 'name' ? 'name' : (k === 'progress' || k === 'state' ? k : 'num'));
  cells.bar = el('progress');
  cells.bar.max = 1;
  cells.pct = el('span', 'pct');
  cells.progress.append(cells.bar, ' ', cells.pct);
  const actions = el('td', 'actions');
  cells.pause = el('button', 'pause', 'Pause');
  cells.resume = el('button', 'resume', 'Resume');
  const verify = el('button', 'verify', 'Verify');
  const remove = el('button', 'remove', 'Remove');
  cells.pause.onclick = () => act('pause', id);
  cells.resume.onclick = () => act('resume', id);
  verify.onclick = () => act('verify', id);
  remove.onclick = () => askRemove(id);
  actions.append(cells.pause, cells.resume, verify, remove);
  for (const k of ['name', 'size', 'progress', 'state', 'down', 'up', 'peers', 'eta', 'ratio'])
    tr.append(cells[k]);
  tr.append(actions);
  tr.onclick = (e) => { if (!e.target.closest('button')) openDetail(id); };
  return { tr, cells };
}
function fillRow(row, t) {
  const c = row.cells;
  c.name.textContent = t.name;
  c.name.title = t.error || '';
  c.size.textContent = bytes(t.size);
  c.bar.value = t.progress;
  c.pct.textContent = pct(t.progress);
  c.state.textContent = t.state + (t.error ? ': ' + t.error : '');
  c.state.className = 'state state-' + t.state;
  c.down.textContent = rate(t.down_rate);
  c.up.textContent = rate(t.up_rate);
  c.peers.textContent = String(t.peers);
  c.eta.textContent = eta(t.eta);
  c.ratio.textContent = t.ratio.toFixed(2);
  c.pause.hidden = t.state === 'paused' || t.state === 'metainfo';
  c.resume.hidden = t.state !== 'paused';
  row.tr.classList.toggle('selected', row.tr.dataset.id === detailId);
}
// Rows for the transfers in `changed` (all of them when undefined), and
// the totals.
function render(changed) {
  const body = $('rows');
  for (const [id, row] of rowsById)
    if (!transfers.has(id)) { row.tr.remove(); rowsById.delete(id); }
  for (const id of changed || transfers.keys()) {
    const t = transfers.get(id);
    if (!t) continue;
    let row = rowsById.get(id);
    if (!row) { row = makeRow(id); rowsById.set(id, row); body.append(row.tr); }
    fillRow(row, t);
  }
  let down = 0, up = 0;
  for (const t of transfers.values()) { down += t.down_rate; up += t.up_rate; }
  $('empty').hidden = transfers.size > 0;
  $('summary').textContent =
      transfers.size + ' transfers, down ' + rate(down) + ', up ' + rate(up);
}
function applySync(j) {
  if (j.full_update) transfers.clear();
  for (const [id, t] of Object.entries(j.transfers)) transfers.set(id, t);
  for (const id of j.removed) transfers.delete(id);
  rid = j.rid;
  render(j.full_update ? undefined : Object.keys(j.transfers));
  if (detailId && !transfers.has(detailId)) closeDetail();  // removed
  else if (detailId && j.transfers[detailId]) $('d-name').textContent = j.transfers[detailId].name;
}

// ---- live updates: events, else polling
let live = false, events = null, pollTimer = null, retryTimer = null, polling = false;
function showConn(state, text) {
  const c = $('conn');
  c.className = 'conn-' + state;
  c.textContent = text;
}
async function poll() {
  if (polling) return;
  polling = true;
  try {
    const r = await getJson('/api/sync?rid=' + rid);
    if (r.status === 401) { showConn('down', 'not logged in'); return; }
    if (!r.j) throw new Error('no JSON');
    applySync(r.j);
    if (!live) showConn('poll', 'polling');
  } catch (e) {
    if (!live) showConn('down', 'cannot reach the client');
  } finally {
    polling = false;
  }
}
function startPolling() {
  if (!pollTimer) pollTimer = setInterval(poll, 1000);
  poll();
}
function stopPolling() {
  if (pollTimer) clearInterval(pollTimer);
  pollTimer = null;
}
function listen() {
  retryTimer = null;
  if (!window.EventSource) { startPolling(); return; }
  events = new EventSource('/api/events?rid=' + rid);
  events.onopen = () => { live = true; stopPolling(); showConn('live', 'live'); };
  events.addEventListener('sync', (ev) => {
    live = true;
    showConn('live', 'live');
    applySync(JSON.parse(ev.data));
  });
  // Refused (401, 503) or cut: poll meanwhile, listen again in 10 s.
  events.onerror = () => {
    events.close();
    events = null;
    live = false;
    startPolling();
    if (!retryTimer) retryTimer = setTimeout(listen, 10000);
  };
}

// ---- remove, with a question
let removeId = null;
function askRemove(id) {
  const t = transfers.get(id);
  removeId = id;
  $('rm-name').textContent = t ? t.name : id;
  $('rm-data').checked = false;
  $('remove-dialog').showModal();
}
$('rm-cancel').onclick = () => $('remove-dialog').close();
$('rm-ok').onclick = () => {
  $('remove-dialog').close();
  if (removeId === detailId) closeDetail();
  act('remove', removeId, $('rm-data').checked ? '&delete_data=1' : '');
};

// ---- the details of one transfer
let detailId = null, detailTimer = null, detailTab = 'files';
function openDetail(id) {
  detailId = id;
  $('detail').hidden = false;
  $('d-msg').textContent = '';
  const t = transfers.get(id);
  $('d-name').textContent = t ? t.name : id;
  for (const [rid_, row] of rowsById) row.tr.classList.toggle('selected', rid_ === id);
  if (detailTimer) clearInterval(detailTimer);
  detailTimer = setInterval(refreshDetail, 2000);
  refreshDetail();
}
function closeDetail() {
  detailId = null;
  if (detailTimer) clearInterval(detailTimer);
  detailTimer = null;
  $('detail').hidden = true;
  for (const row of rowsById.values()) row.tr.classList.remove('selected');
}
$('d-close').onclick = closeDetail;
for (const b of document.querySelectorAll('#tabs .tab')) {
  b.onclick = () => {
    detailTab = b.dataset.tab;
    for (const o of document.querySelectorAll('#tabs .tab')) o.classList.toggle('active', o === b);
    for (const p of ['files', 'peers', 'trackers']) $('d-' + p).hidden = p !== detailTab;
  };
}
async function refreshDetail() {
  const id = detailId;
  if (!id) return;
  let r;
  try {
    r = await getJson('/api/torrent?id=' + encodeURIComponent(id));
  } catch (e) {
    $('d-msg').textContent = 'cannot reach the client';
    return;
  }
  if (id !== detailId) return;
  if (r.status !== 200 || !r.j) {
    $('d-msg').textContent = (r.j && r.j.detail) || ('no details (HTTP ' + r.status + ')');
    return;
  }
  $('d-msg').textContent = '';
  renderDetail(r.j);
}
function cellsRow(values) {
  const tr = el('tr');
  for (const [cls, text] of values) tr.append(el('td', cls, text));
  return tr;
}
function progressCell(p) {
  const td = el('td', 'progress');
  const bar = el('progress');
  bar.max = 1;
  bar.value = p;
  td.append(bar, ' ', el('span', 'pct', pct(p)));
  return td;
}
function renderDetail(d) {
  const t = d.transfer || {};
  $('d-name').textContent = t.name || detailId;
  $('d-summary').textContent = bytes(t.size || 0) + ', ' + (t.state || '') + ', ' +
      pct(t.progress || 0) + ', ' + d.piece_count + ' pieces of ' + bytes(d.piece_length) +
      ', down ' + rate(t.down_rate || 0) + ', up ' + rate(t.up_rate || 0);
  const have = drawPieces($('pieces'), d.have || '', d.piece_count || 0);
  $('d-pieces').textContent = d.have ? have + ' of ' + d.piece_count + ' pieces'
                                     : 'which pieces we have is not known yet';
  const files = [];
  for (const f of d.files || []) {
    const tr = cellsRow([['path', f.path], ['num', bytes(f.size)]]);
    tr.append(progressCell(f.size ? f.done / f.size : 1));
    tr.append(el('td', f.selected ? 'selected yes' : 'selected no', f.selected ? 'yes' : 'no'));
    files.push(tr);
  }
  if (d.files_omitted) files.push(cellsRow([['more', '... and ' + d.files_omitted + ' more files']]));
  $('d-files').tBodies[0].replaceChildren(...files);
  const peers = [];
  for (const p of d.peers || []) {
    const tr = cellsRow([['address', p.address], ['client', p.client], ['num', rate(p.down_rate)],
                         ['num', rate(p.up_rate)]]);
    tr.append(progressCell(p.progress));
    tr.append(el('td', 'flags', p.flags));
    peers.push(tr);
  }
  if (d.peers_omitted) peers.push(cellsRow([['more', '... and ' + d.peers_omitted + ' more peers']]));
  if (!peers.length) peers.push(cellsRow([['none', 'no peer connected']]));
  $('d-peers').tBodies[0].replaceChildren(...peers);
  const trackers = [];
  for (const k of d.trackers || []) {
    // Not live and never failed: not asked yet (the other one is in use).
    const down = !k.live && (k.failures > 0 || k.last_error);
    trackers.push(cellsRow([['url', k.url], [k.in_use ? 'in-use yes' : 'in-use', k.in_use ? 'in use' : ''],
                            [k.live ? 'live yes' : (down ? 'live no' : 'live'),
                             k.live ? 'live' : (down ? 'down' : 'not asked yet')],
                            ['announce', ago(k.last_announce_ms)], ['num', String(k.failures || 0)],
                            ['err', k.last_error || '']]));
  }
  $('d-trackers').tBodies[0].replaceChildren(...trackers);
}
// The have-bitfield (hex, BEP 3 order: the high bit of the first byte is
// piece 0) on the canvas: one column per piece, or, with more pieces than
// pixels, each pixel column shaded by the share it covers that we have.
// Returns how many pieces we have.
function drawPieces(canvas, hex, count) {
  const w = Math.max(100, canvas.clientWidth | 0);
  if (canvas.width !== w) canvas.width = w;
  const h = canvas.height;
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#e6e6e6';
  ctx.fillRect(0, 0, w, h);
  const bits = new Uint8Array(hex.length >> 1);
  for (let i = 0; i < bits.length; i++) bits[i] = parseInt(hex.substr(i * 2, 2), 16) || 0;
  const has = (i) => (bits[i >> 3] >> (7 - (i & 7))) & 1;
  let total = 0;
  for (let i = 0; i < count; i++) total += has(i);
  canvas.dataset.count = String(count);
  canvas.dataset.have = String(total);
  if (!count || !bits.length) return total;
  ctx.fillStyle = '#2a7';
  if (count <= w) {
    const pw = w / count;
    for (let i = 0; i < count; i++)
      if (has(i)) ctx.fillRect(Math.floor(i * pw), 0, Math.max(1, Math.ceil(pw)), h);
    return total;
  }
  for (let x = 0; x < w; x++) {
    const from = Math.floor(x * count / w), to = Math.max(from + 1, Math.floor((x + 1) * count / w));
    let n = 0;
    for (let i = from; i < to; i++) n += has(i);
    if (!n) continue;
    ctx.globalAlpha = 0.25 + 0.75 * n / (to - from);
    ctx.fillRect(x, 0, 1, h);
  }
  ctx.globalAlpha = 1;
  return total;
}

// ---- the rate graph
async function refreshRates() {
  let r;
  try { r = await getJson('/api/rates'); } catch (e) { return; }
  if (r.status !== 200 || !r.j) return;
  drawRates($('rates'), r.j.samples || [], r.j.interval_ms || 1000);
}
// Down and up as two lines, the newest at the right, over the samples
// there are (up to 10 minutes; at least a minute wide).
function drawRates(canvas, samples, interval) {
  const w = canvas.width, h = canvas.height, top = 14;
  const ctx = canvas.getContext('2d');
  ctx.clearRect(0, 0, w, h);
  let max = 1024;
  for (const [d, u] of samples) max = Math.max(max, d, u);
  ctx.strokeStyle = '#ddd';
  ctx.fillStyle = '#666';
  ctx.font = '11px sans-serif';
  for (const f of [0.5, 1]) {
    const y = h - (h - top) * f;
    ctx.beginPath(); ctx.moveTo(0, y); ctx.lineTo(w, y); ctx.stroke();
    ctx.fillText(rate(max * f), 4, y - 2);
  }
  const span = Math.max(samples.length, 60000 / interval);
  const secs = Math.round(span * interval / 1000);
  ctx.fillText(secs >= 120 ? Math.round(secs / 60) + ' min ago' : secs + ' s ago', 4, h - 3);
  ctx.fillText('now', w - 24, h - 3);
  const x = (i) => w - 1 - (samples.length - 1 - i) * ((w - 1) / (span - 1));
  for (const [k, color] of [[0, '#2a7'], [1, '#37c']]) {
    ctx.strokeStyle = color;
    ctx.lineWidth = 2;
    ctx.beginPath();
    samples.forEach((s, i) => {
      const y = h - 1 - (h - top - 1) * s[k] / max;
      if (i) ctx.lineTo(x(i), y); else ctx.moveTo(x(i), y);
    });
    ctx.stroke();
  }
  ctx.lineWidth = 1;
  canvas.dataset.samples = String(samples.length);
  canvas.dataset.max = String(max);
  const last = samples.length ? samples[samples.length - 1] : [0, 0];
  $('rates-now').textContent = 'now: down ' + rate(last[0]) + ', up ' + rate(last[1]);
}

// ---- the log
async function refreshLog() {
  let r;
  try { r = await getJson('/api/log?n=100'); } catch (e) { return; }
  if (r.status !== 200 || !r.j) return;
  const pre = $('log');
  const atEnd = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
  pre.textContent = (r.j.lines || []).join('\n');
  if (atEnd) pre.scrollTop = pre.scrollHeight;
}

// ---- search and one-click get
async function search() {
  const q = $('search-q').value.trim();
  const msg = $('search-msg');
  if (!q) { msg.textContent = 'type a few words of a name'; return; }
  msg.textContent = 'searching...';
  msg.className = '';
  let r;
  try { r = await getJson('/api/search?q=' + encodeURIComponent(q)); } catch (e) { r = { j: null }; }
  const j = r.j;
  if (!j || !j.ok) {
    msg.textContent = j ? (j.detail || 'search failed') + ' (' + j.error + ')' : 'cannot reach the client';
    msg.className = 'error';
    return;
  }
  msg.textContent = j.hits.length + (j.hits.length === 1 ? ' hit' : ' hits');
  const rows = [];
  for (const hit of j.hits) {
    const tr = cellsRow([['name', hit.name], ['num', bytes(hit.size)], ['num', String(hit.seeders)],
                         ['num', String(hit.leechers)]]);
    const td = el('td');
    const get = el('button', 'get', 'Get');
    get.title = hit.info_hash;
    get.onclick = async () => {
      get.disabled = true;
      const res = await post('/api/add', hit.info_hash);
      get.textContent = res.ok ? 'Added' : 'Get';
      get.disabled = res.ok;
    };
    td.append(get);
    tr.append(td);
    rows.push(tr);
  }
  $('hit-rows').replaceChildren(...rows);
  $('hits').hidden = rows.length === 0;
}
$('search-go').onclick = search;
$('search-q').onkeydown = (e) => { if (e.key === 'Enter') search(); };

// ---- adding
$('add-file').onclick = async () => {
  const f = $('file').files[0];
  if (!f) { say('choose a .mtorrent file first', true); return; }
  await post('/api/add', await f.arrayBuffer());
};
$('add-source').onclick = async () => {
  const s = $('source').value.trim();
  if (!s) { say('paste a magnet link, an info_hash or a path', true); return; }
  const j = await post('/api/add', s);
  if (j.ok) $('source').value = '';
};

listen();
refreshRates();
refreshLog();
setInterval(refreshRates, 5000);
setInterval(refreshLog, 5000);
)JS";

}  // namespace mt::client::web
