// The inline stylesheet and script of report.html. Kept apart from the markup generator so each
// stays readable. No external fonts, images or fetches: the report must work offline and as a CI artifact.

export const CSS = `
:root {
  --fg: #1f2328; --muted: #656d76; --line: #d0d7de; --bg: #ffffff; --panel: #f6f8fa;
  --ok-allow-bg: #d7f5dd; --ok-allow-fg: #116329;
  --ok-deny-bg: #eaeef2; --ok-deny-fg: #57606a;
  --fail-bg: #cf222e; --fail-fg: #ffffff;
  --err-bg: #8250df; --err-fg: #ffffff;
  --warn-bg: #fff1b8; --warn-fg: #7d4e00;
  --pass: #1a7f37; --failc: #cf222e; --warnc: #9a6700;
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg);
  font: 14px/1.45 -apple-system, BlinkMacSystemFont, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif; }
main { max-width: 1240px; margin: 0 auto; padding: 12px 20px 40px; }
code, .mono { font-family: ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 12.5px; }
h1 { font-size: 22px; margin: 0; }
h2 { font-size: 17px; margin: 0; }
a { color: inherit; text-decoration: none; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 700;
  letter-spacing: .04em; color: #fff; vertical-align: middle; }
.badge.pass { background: var(--pass); } .badge.fail { background: var(--failc); } .badge.warn { background: var(--warnc); }
header.run { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 16px; padding: 10px 16px;
  border: 1px solid var(--line); border-radius: 8px; background: var(--panel); }
header.run.failed { border-left: 6px solid var(--failc); } header.run.passed { border-left: 6px solid var(--pass); }
header.run .meta { color: var(--muted); flex-basis: 100%; margin-top: -4px; }
.chips { display: flex; flex-wrap: wrap; gap: 6px; flex-basis: 100%; }
.chip { border: 1px solid var(--line); border-radius: 12px; padding: 1px 10px; background: #fff; font-size: 13px; }
.chip b { font-weight: 700; }
.chip.bad { border-color: var(--failc); color: var(--failc); } .chip.err { border-color: var(--err-bg); color: var(--err-bg); }
.chip.warn { border-color: var(--warnc); color: var(--warnc); }
.toolbar { margin-left: auto; color: var(--muted); font-size: 13px; display: flex; gap: 6px; align-items: center; }
.toolbar button { font: inherit; font-size: 12px; border: 1px solid var(--line); background: #fff; border-radius: 4px; padding: 1px 8px; cursor: pointer; }
section.timeline { margin-top: 12px; }
.sechead { display: flex; align-items: baseline; gap: 14px; flex-wrap: wrap; margin-top: 14px; }
.sechead h2 { font-size: 15px; }
.sechead .note { color: var(--muted); font-size: 12.5px; }
.sechead .legend { margin: 0; }
.tl { display: grid; grid-template-columns: 200px 1fr 300px; gap: 0 12px; line-height: 1.35; align-items: center; margin-top: 4px; }
.tl a { display: contents; }
.tl .name { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.tl .track { position: relative; height: 15px; background: var(--panel); border-radius: 3px; }
.tl .bar { position: absolute; top: 2px; height: 11px; border-radius: 3px; min-width: 3px; }
.tl .bar.pass { background: #4ac26b; } .tl .bar.fail { background: var(--failc); } .tl .bar.warn { background: #d4a72c; }
.tl .bar.phase { background: #8c959f; } .tl .bar .distrust { position: absolute; right: 0; top: 0; bottom: 0; background: #d4a72c; opacity: .7; border-radius: 0 3px 3px 0; }
.tl div.phase { display: contents; }
.tl .conv { position: absolute; left: 0; top: 0; bottom: 0; border-radius: 3px 0 0 3px;
  background: repeating-linear-gradient(135deg, rgba(0,0,0,.28) 0 3px, transparent 3px 6px); }
.tl .text { color: var(--muted); font-size: 12.5px; white-space: nowrap; }
.tl a:hover .name { text-decoration: underline; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 14px; color: var(--muted); font-size: 12.5px; margin: 10px 0 0; }
.legend .sw { display: inline-block; width: 20px; height: 16px; line-height: 16px; text-align: center; border-radius: 3px;
  margin-right: 4px; font-size: 12px; vertical-align: -3px; }
details.step { margin-top: 6px; border: 1px solid var(--line); border-left: 5px solid var(--pass); border-radius: 6px; padding: 3px 14px; }
details.step.failed { border-left-color: var(--failc); } details.step.warned { border-left-color: var(--warnc); }
details.step[open] { padding: 8px 14px 12px; }
details.step > summary { list-style: none; cursor: pointer; }
details.step > summary::-webkit-details-marker { display: none; }
.step .head { display: flex; align-items: baseline; gap: 10px; }
.step .head::before { content: "▸"; color: var(--muted); width: 10px; flex: none; }
details.step[open] .head::before { content: "▾"; }
details.step[open] > summary { margin-bottom: 8px; }
.step .head h2 { white-space: nowrap; font-size: 16px; }
.step .desc { color: var(--muted); flex: 1 1 auto; min-width: 0; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.step .counts { color: var(--muted); font-size: 12.5px; white-space: nowrap; flex: none; }
/* The matrix never shrinks to make room for the detail panel: when both do not fit side by side the
   panel wraps below, so every column of the step stays on screen. */
.step .body { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
.gridwrap { overflow-x: auto; flex: 0 0 auto; max-width: 100%; }
table.grid { border-collapse: separate; border-spacing: 2px; }
table.grid th { font-weight: 600; font-size: 12.5px; }
table.grid thead th { text-align: center; padding: 0 2px; vertical-align: bottom; }
table.grid thead tr.dst th { border-bottom: 2px solid var(--line); white-space: nowrap; }
table.grid thead tr.port th { color: var(--muted); font-weight: 500; font-size: 11.5px; line-height: 1.2; padding-bottom: 2px; }
table.grid tbody th { text-align: right; padding-right: 8px; white-space: nowrap; font-weight: 500; }
table.grid tbody th .ns { color: var(--muted); font-weight: 400; }
table.grid tbody th .kind { font-size: 10.5px; color: var(--muted); border: 1px solid var(--line); border-radius: 6px;
  padding: 0 4px; margin-left: 4px; vertical-align: 1px; }
td.c { position: relative; width: 72px; min-width: 56px; height: 27px; text-align: center; border-radius: 4px; cursor: pointer;
  font-size: 15px; font-weight: 600; outline-offset: 1px; }
td.c.allow { background: var(--ok-allow-bg); color: var(--ok-allow-fg); }
td.c.deny { background: var(--ok-deny-bg); color: var(--ok-deny-fg); }
td.c.fail { background: var(--fail-bg); color: var(--fail-fg); }
td.c.err { background: var(--err-bg); color: var(--err-fg); }
td.c.warn { background: var(--warn-bg); color: var(--warn-fg); box-shadow: inset 0 0 0 2px #d4a72c; }
td.self { background: repeating-linear-gradient(135deg, #f6f8fa 0 4px, #e1e4e8 4px 6px); border-radius: 4px; }
td.c small { font-size: 10.5px; font-weight: 500; opacity: .92; }
td.c .r { position: absolute; top: 1px; right: 3px; font-size: 9.5px; font-style: normal; font-weight: 500; opacity: .75; }
td.c:hover, td.c:focus { outline: 2px solid #0969da; }
td.c.sel { outline: 3px solid #0969da; }
body.only-wrong td.c.ok { opacity: .25; }
aside.detail { flex: 1 1 300px; min-width: 280px; max-width: 420px; border: 1px solid var(--line); border-radius: 6px;
  background: var(--panel); padding: 10px 12px; font-size: 13px; align-self: stretch; }
aside.detail .hint { color: var(--muted); }
.cd h3 { font-size: 13.5px; margin: 0 0 4px; word-break: break-word; }
.cd .kinds { margin-bottom: 6px; }
.k { display: inline-block; border-radius: 8px; padding: 0 7px; font-size: 11.5px; font-weight: 600; margin-right: 4px; color: #fff; }
.k.failure { background: var(--fail-bg); } .k.error { background: var(--err-bg); }
.k.authoring, .k.enforcement { background: var(--warn-bg); color: var(--warn-fg); border: 1px solid #d4a72c; }
.k.correct { background: var(--pass); }
.cd table { border-collapse: collapse; margin: 4px 0; }
.cd table th { text-align: left; color: var(--muted); font-weight: 500; padding: 1px 10px 1px 0; vertical-align: top; }
.cd table td { padding: 1px 0; }
.cd .why { margin: 8px 0 2px; }
.cd ul { margin: 2px 0 4px 18px; padding: 0; color: var(--muted); }
.cd .repro { display: flex; gap: 6px; align-items: flex-start; margin-top: 6px; }
.cd .repro code { flex: 1; display: block; background: #fff; border: 1px solid var(--line); border-radius: 4px; padding: 4px 6px;
  word-break: break-all; }
.cd button { font: inherit; font-size: 12px; border: 1px solid var(--line); background: #fff; border-radius: 4px; padding: 2px 8px; cursor: pointer; }
ul.attention { margin: 12px 0 0; padding: 0; list-style: none; }
ul.attention li { border-left: 4px solid var(--failc); background: #fff5f5; padding: 6px 10px; margin-bottom: 6px; border-radius: 0 4px 4px 0; }
ul.attention li.warning { border-left-color: #d4a72c; background: #fffbea; }
ul.attention li.error { border-left-color: var(--err-bg); background: #f8f4ff; }
ul.attention .line { color: var(--muted); }
ul.attention code { word-break: break-all; }
#tip { position: fixed; z-index: 10; max-width: 420px; background: #fff; border: 1px solid var(--line); border-radius: 6px;
  box-shadow: 0 8px 24px rgba(140,149,159,.3); padding: 8px 10px; font-size: 12.5px; pointer-events: none; }
footer { margin-top: 24px; color: var(--muted); font-size: 12px; }
@media print { #tip, .toolbar { display: none; } details.step { break-inside: avoid; } }
`;

/** Reads the embedded cell data, shows a tooltip on hover and pins details in the step's panel on click. */
export const JS = `
(function () {
  var data = JSON.parse(document.getElementById('nph-data').textContent);
  function esc(s) { return String(s).replace(/[\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069]/g, function (c) { return '\\\\u' + ('000' + c.charCodeAt(0).toString(16)).slice(-4); }).replace(/[&<>"']/g, function (c) { return '&#' + c.charCodeAt(0) + ';'; }); }
  function cellOf(td) { return data.steps[+td.dataset.s].cells[+td.dataset.c]; }
  function render(c, withCopy) {
    var kinds = c.kinds.length ? c.kinds.map(function (k) { return '<span class="k ' + k + '">' + k + '</span>'; }).join('')
      : '<span class="k correct">correct</span>';
    var rows = [['expected', esc(c.exp) + (c.origin ? ' <small>(' + esc(c.origin) + ')</small>' : '')]];
    if (c.sim) rows.push(['simulated', esc(c.sim)]);
    rows.push(['observed', esc(c.obs) + (c.cls ? ' <small>(' + esc(c.cls) + ')</small>' : '')]);
    if (c.att !== null) rows.push(['attempts', esc(c.att)]);
    if (c.lat) rows.push(['latency', esc(c.lat)]);
    if (c.detail) rows.push(['detail', esc(c.detail)]);
    var h = '<div class="cd"><h3>' + esc(c.src) + ' &rarr; ' + esc(c.col) + '</h3><div class="kinds">' + kinds + '</div><table>' +
      rows.map(function (r) { return '<tr><th>' + r[0] + '</th><td>' + r[1] + '</td></tr>'; }).join('') + '</table>';
    // The repro command comes before the explanation: it is what a reader acts on first.
    if (c.repro) h += '<div class="repro"><code>' + esc(c.repro) + '</code>' + (withCopy ? '<button type="button" data-copy>copy</button>' : '') + '</div>';
    if (c.why) h += '<div class="why">' + esc(c.why) + '</div>';
    if (c.whyD && c.whyD.length) h += '<ul>' + c.whyD.map(function (d) { return '<li>' + esc(d) + '</li>'; }).join('') + '</ul>';
    return h + '</div>';
  }
  var tip = document.getElementById('tip');
  function hideTip() { tip.hidden = true; }
  document.addEventListener('mouseover', function (e) {
    var td = e.target.closest && e.target.closest('td.c');
    if (!td) { hideTip(); return; }
    tip.innerHTML = render(cellOf(td), false);
    tip.hidden = false;
    var r = td.getBoundingClientRect(), w = tip.offsetWidth, h = tip.offsetHeight;
    var x = Math.min(r.left, window.innerWidth - w - 8), y = r.bottom + 6;
    if (y + h > window.innerHeight - 8) y = Math.max(8, r.top - h - 6);
    tip.style.left = Math.max(8, x) + 'px'; tip.style.top = y + 'px';
  });
  document.addEventListener('scroll', hideTip, true);
  function pin(td) {
    var step = td.closest('details.step');
    step.querySelectorAll('td.sel').forEach(function (x) { x.classList.remove('sel'); });
    td.classList.add('sel');
    step.querySelector('aside.detail').innerHTML = render(cellOf(td), true);
  }
  document.addEventListener('click', function (e) {
    var b = e.target.closest && e.target.closest('button[data-copy]');
    if (b) {
      var text = b.parentNode.querySelector('code').textContent;
      if (navigator.clipboard) navigator.clipboard.writeText(text).then(function () { b.textContent = 'copied'; }, function () {});
      return;
    }
    var td = e.target.closest && e.target.closest('td.c');
    if (td) pin(td);
  });
  document.addEventListener('keydown', function (e) {
    if ((e.key === 'Enter' || e.key === ' ') && e.target.matches && e.target.matches('td.c')) { e.preventDefault(); pin(e.target); }
  });
  function setAll(open) { document.querySelectorAll('details.step').forEach(function (d) { d.open = open; }); }
  document.getElementById('expand-all').addEventListener('click', function () { setAll(true); });
  document.getElementById('collapse-all').addEventListener('click', function () { setAll(false); });
  // A timeline link opens the step it points at.
  document.querySelectorAll('.tl a').forEach(function (a) {
    a.addEventListener('click', function () { var d = document.querySelector(a.getAttribute('href')); if (d) d.open = true; });
  });
  var only = document.getElementById('only-wrong');
  if (only) only.addEventListener('change', function () { document.body.classList.toggle('only-wrong', only.checked); });
  // Open each step that needs attention on its worst cell, so the panel shows why without a click.
  document.querySelectorAll('td.c[data-pin]').forEach(pin);
})();
`;
