#include "client/web/web_page.h"

namespace mt::client::web {

const std::string_view kIndexPage = R"HTML(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>mtorrent</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/app.css"></head>
<body>
<header><h1>mtorrent</h1><span id="summary"></span><span id="conn"></span></header>
<section id="add">
  <label>Add a .mtorrent <input type="file" id="file" accept=".mtorrent,.torrent"></label>
  <button id="add-file" type="button">Add file</button>
  <input type="text" id="source" size="60"
         placeholder="magnet link, info_hash, or an absolute path to share">
  <button id="add-source" type="button">Add</button>
  <div id="msg" role="status"></div>
</section>
<table id="transfers">
  <thead><tr><th>Name</th><th>Size</th><th>Progress</th><th>State</th><th>Down</th>
  <th>Up</th><th>Peers</th><th>ETA</th><th>Ratio</th><th></th></tr></thead>
  <tbody id="rows"></tbody>
</table>
<p id="empty">No transfers yet.</p>
<script src="/app.js"></script>
</body></html>
)HTML";

const std::string_view kLoginPage = R"HTML(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>mtorrent: log in</title>
<link rel="stylesheet" href="/app.css"></head>
<body><h1>mtorrent</h1>
<p>Not logged in. Open the address the client printed when it started
(<code>http://127.0.0.1:PORT/?token=...</code>); the token is also in the file
<code>web.token</code> of its state folder.</p>
</body></html>
)HTML";

const std::string_view kAppCss = R"CSS(
body { font-family: system-ui, sans-serif; margin: 1em 2em; color: #222; }
header { display: flex; align-items: baseline; gap: 1.5em; }
h1 { font-size: 1.4em; margin: 0.2em 0; }
#conn { color: #b00; }
#add { margin: 1em 0; padding: 0.6em; background: #f4f4f4; border-radius: 4px; }
#msg { margin-top: 0.4em; min-height: 1.2em; }
#msg.error { color: #b00; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 0.3em 0.6em; border-bottom: 1px solid #ddd;
         white-space: nowrap; }
td.name { white-space: normal; word-break: break-all; max-width: 28em; }
td.num { text-align: right; }
progress { width: 9em; }
td.state-error { color: #b00; }
button { margin-right: 0.2em; }
)CSS";

const std::string_view kAppJs = R"JS('use strict';
// mtorrent's page: polls /api/sync once a second and keeps one table row per
// transfer. Every text from a torrent goes in through textContent.
const transfers = new Map();
const rowsById = new Map();
let rid = 0;

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
  return (i ? n.toFixed(1) : String(n)) + ' ' + u[i];
}
function eta(s) {
  if (s < 0) return '';
  if (s < 60) return s + ' s';
  if (s < 3600) return Math.floor(s / 60) + ' min';
  return Math.floor(s / 3600) + ' h ' + Math.floor((s % 3600) / 60) + ' min';
}
function say(text, isError) {
  const m = document.getElementById('msg');
  m.textContent = text;
  m.className = isError ? 'error' : '';
}
async function post(path, body) {
  const r = await fetch(path, { method: 'POST', body: body, credentials: 'same-origin',
                                headers: { 'X-MTorrent-CSRF': '1' } });
  const j = await r.json();
  if (j.ok) say(j.value + ': ' + j.detail, false);
  else say((j.detail || 'failed') + ' (' + j.error + ')', true);
  sync();
  return j;
}
function act(what, id, extra) {
  return post('/api/' + what, 'id=' + encodeURIComponent(id) + (extra || ''));
}
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
  const remove = el('button', 'remove', 'Remove');
  const removeData = el('button', 'remove-data', 'Remove + data');
  cells.pause.onclick = () => act('pause', id);
  cells.resume.onclick = () => act('resume', id);
  remove.onclick = () => act('remove', id);
  removeData.onclick = () => act('remove', id, '&delete_data=1');
  actions.append(cells.pause, cells.resume, remove, removeData);
  for (const k of ['name', 'size', 'progress', 'state', 'down', 'up', 'peers', 'eta', 'ratio'])
    tr.append(cells[k]);
  tr.append(actions);
  return { tr, cells };
}
function render() {
  const body = document.getElementById('rows');
  for (const [id, row] of rowsById)
    if (!transfers.has(id)) { row.tr.remove(); rowsById.delete(id); }
  let down = 0, up = 0;
  for (const [id, t] of transfers) {
    let row = rowsById.get(id);
    if (!row) { row = makeRow(id); rowsById.set(id, row); body.append(row.tr); }
    const c = row.cells;
    c.name.textContent = t.name;
    c.name.title = t.error || '';
    c.size.textContent = bytes(t.size);
    c.bar.value = t.progress;
    c.pct.textContent = (t.progress * 100).toFixed(1) + '%';
    c.state.textContent = t.state + (t.error ? ': ' + t.error : '');
    c.state.className = 'state state-' + t.state;
    c.down.textContent = bytes(t.down_rate) + '/s';
    c.up.textContent = bytes(t.up_rate) + '/s';
    c.peers.textContent = String(t.peers);
    c.eta.textContent = eta(t.eta);
    c.ratio.textContent = t.ratio.toFixed(2);
    c.pause.hidden = t.state === 'paused' || t.state === 'metainfo';
    c.resume.hidden = t.state !== 'paused';
    down += t.down_rate; up += t.up_rate;
  }
  document.getElementById('empty').hidden = transfers.size > 0;
  document.getElementById('summary').textContent =
      transfers.size + ' transfers, down ' + bytes(down) + '/s, up ' + bytes(up) + '/s';
}
let syncing = false;
async function sync() {
  if (syncing) return;
  syncing = true;
  try {
    const r = await fetch('/api/sync?rid=' + rid, { credentials: 'same-origin' });
    if (r.status === 401) { document.getElementById('conn').textContent = 'not logged in'; return; }
    const j = await r.json();
    if (j.full_update) transfers.clear();
    for (const [id, t] of Object.entries(j.transfers)) transfers.set(id, t);
    for (const id of j.removed) transfers.delete(id);
    rid = j.rid;
    document.getElementById('conn').textContent = '';
    render();
  } catch (e) {
    document.getElementById('conn').textContent = 'cannot reach the client';
  } finally {
    syncing = false;
  }
}
document.getElementById('add-file').onclick = async () => {
  const f = document.getElementById('file').files[0];
  if (!f) { say('choose a .mtorrent file first', true); return; }
  await post('/api/add', await f.arrayBuffer());
};
document.getElementById('add-source').onclick = async () => {
  const s = document.getElementById('source').value.trim();
  if (!s) { say('paste a magnet link, an info_hash or a path', true); return; }
  const j = await post('/api/add', s);
  if (j.ok) document.getElementById('source').value = '';
};
sync();
setInterval(sync, 1000);
)JS";

}  // namespace mt::client::web
