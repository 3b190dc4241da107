// The page's HTML and CSS (its script is in web_page_js.cpp).
#include "client/web/web_page.h"

namespace mt::client::web {

const std::string_view kIndexPage = R"HTML(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>mtorrent</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/app.css"></head>
<body>
<header><h1>mtorrent</h1><span id="summary"></span>
  <span id="conn" class="conn-wait" title="live: the client pushes changes (Server-Sent Events); polling: the page asks every second">connecting</span></header>
<section id="add" class="box">
  <label>Add a .mtorrent <input type="file" id="file" accept=".mtorrent,.torrent"></label>
  <button id="add-file" type="button">Add file</button>
  <input type="text" id="source" size="60"
         placeholder="magnet link, info_hash, or an absolute path to share">
  <button id="add-source" type="button">Add</button>
  <div id="msg" role="status"></div>
</section>
<section id="search" class="box">
  <input type="search" id="search-q" size="40" placeholder="search the torrents published on the trackers">
  <button id="search-go" type="button">Search</button>
  <span id="search-msg" role="status"></span>
  <table id="hits" hidden>
    <thead><tr><th>Name</th><th>Size</th><th>Seeders</th><th>Leechers</th><th></th></tr></thead>
    <tbody id="hit-rows"></tbody>
  </table>
</section>
<table id="transfers">
  <thead><tr><th>Name</th><th>Size</th><th>Progress</th><th>State</th><th>Down</th>
  <th>Up</th><th>Peers</th><th>ETA</th><th>Ratio</th><th></th></tr></thead>
  <tbody id="rows"></tbody>
</table>
<p id="empty">No transfers yet.</p>
<section id="detail" class="box" hidden>
  <div class="detail-head"><h2 id="d-name"></h2>
    <button id="d-close" type="button" title="close the details">Close</button></div>
  <div id="d-summary"></div>
  <canvas id="pieces" width="1000" height="22" title="the pieces we have"></canvas>
  <div id="d-pieces"></div>
  <nav id="tabs">
    <button type="button" class="tab active" data-tab="files">Files</button>
    <button type="button" class="tab" data-tab="peers">Peers</button>
    <button type="button" class="tab" data-tab="trackers">Trackers</button>
  </nav>
  <table id="d-files" class="pane">
    <thead><tr><th>Path</th><th>Size</th><th>Progress</th><th>Selected</th></tr></thead>
    <tbody></tbody></table>
  <table id="d-peers" class="pane" hidden>
    <thead><tr><th>Address</th><th>Client</th><th>Down</th><th>Up</th><th>Progress</th>
    <th title="D: sends us data, U: we send it data, i: interested, c: we choke it, I: it connected to us, S: has every piece">Flags</th></tr></thead>
    <tbody></tbody></table>
  <table id="d-trackers" class="pane" hidden>
    <thead><tr><th>URL</th><th>In use</th><th>Live</th><th>Last announce</th>
    <th>Failures</th><th>Last error</th></tr></thead>
    <tbody></tbody></table>
  <p id="d-msg" role="status"></p>
</section>
<div id="bottom">
  <section id="graph" class="box">
    <h2>Total rates</h2>
    <canvas id="rates" width="600" height="150"></canvas>
    <div class="legend"><span class="down">down</span> <span class="up">up</span>
      <span id="rates-now"></span></div>
  </section>
  <section id="log-box" class="box">
    <h2>Log</h2>
    <pre id="log"></pre>
  </section>
</div>
<dialog id="remove-dialog">
  <p>Remove <strong id="rm-name"></strong>?</p>
  <label><input type="checkbox" id="rm-data"> also delete the downloaded data</label>
  <div class="dialog-buttons">
    <button type="button" id="rm-cancel">Cancel</button>
    <button type="button" id="rm-ok">Remove</button>
  </div>
</dialog>
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
h2 { font-size: 1.05em; margin: 0.2em 0 0.4em; }
#conn { padding: 0 0.5em; border-radius: 3px; }
#conn.conn-live { background: #2a7; color: #fff; }
#conn.conn-poll { background: #e8c34a; }
#conn.conn-wait { color: #666; }
#conn.conn-down { background: #b00; color: #fff; }
.box { margin: 1em 0; padding: 0.6em; background: #f4f4f4; border-radius: 4px; }
#msg { margin-top: 0.4em; min-height: 1.2em; }
.error { color: #b00; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 0.3em 0.6em; border-bottom: 1px solid #ddd;
         white-space: nowrap; }
td.name, td.path, td.url, td.err { white-space: normal; word-break: break-all; max-width: 28em; }
td.num { text-align: right; }
progress { width: 9em; }
td.state-error { color: #b00; }
button { margin-right: 0.2em; }
#rows tr { cursor: pointer; }
#rows tr:hover { background: #f7f7ff; }
#rows tr.selected { background: #e8eeff; }
#hits { margin-top: 0.5em; background: #fff; }
#detail { background: #fbfbfb; border: 1px solid #ccd; }
.detail-head { display: flex; justify-content: space-between; align-items: baseline; }
#d-name { word-break: break-all; }
#pieces { width: 100%; height: 22px; border: 1px solid #bbb; background: #e6e6e6;
          display: block; margin: 0.5em 0 0.2em; }
#d-pieces { color: #555; font-size: 0.9em; }
#tabs { margin: 0.8em 0 0.3em; }
.tab { border: 1px solid #bbb; background: #eee; padding: 0.3em 1em; }
.tab.active { background: #fff; border-bottom-color: #fff; font-weight: bold; }
td.yes { color: #2a7; }
td.no { color: #b00; }
#bottom { display: flex; gap: 1em; align-items: stretch; }
#graph { flex: 0 0 auto; }
#rates { width: 600px; height: 150px; background: #fff; border: 1px solid #ccc; display: block; }
.legend .down { color: #2a7; font-weight: bold; }
.legend .up { color: #37c; font-weight: bold; }
#log-box { flex: 1 1 auto; min-width: 0; }
#log { height: 170px; overflow: auto; margin: 0; background: #fff; border: 1px solid #ccc;
       font-size: 0.8em; padding: 0.3em; white-space: pre-wrap; word-break: break-all; }
dialog { border: 1px solid #888; border-radius: 4px; }
.dialog-buttons { margin-top: 1em; text-align: right; }
)CSS";

}  // namespace mt::client::web
