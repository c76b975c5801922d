/** The live page: running and finished ingestions, updated through one EventSource. Pure. */
import type { IngestionState } from './ingestions.js';

/** `<` and `&` escaped for a JSON island in a script element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/&/g, '\\u0026');
}

/**
 * The page, with the current ingestions rendered in and the event id they correspond to: the
 * EventSource resumes right after it, so no change falls between the snapshot and the stream.
 */
export function renderPage(states: readonly IngestionState[], lastEventId: number): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Trips · ingestions</title>
<style>
body{font:14px system-ui,sans-serif;margin:2rem;color:#222}
table{border-collapse:collapse;min-width:50rem}th,td{padding:.35rem .6rem;border-bottom:1px solid #ddd;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}.running{color:#b60}.done{color:#070}.failed{color:#b00}
progress{width:8rem}#conn{color:#777;font-size:12px}
</style></head>
<body>
<h1>Ingestions</h1>
<p id="conn">connecting…</p>
<table><thead><tr><th>file</th><th>state</th><th>progress</th><th>read</th><th>persisted</th><th>rejected</th><th>duplicates</th><th>started</th></tr></thead>
<tbody id="rows"></tbody></table>
<script>
const states = new Map(${scriptJson(states.map((s) => [s.id, s]))});
const rows = document.getElementById('rows');
function cell(text, cls) { const td = document.createElement('td'); td.textContent = text; if (cls) td.className = cls; return td; }
function render() {
  rows.replaceChildren(...[...states.values()].sort((a, b) => b.startedAt.localeCompare(a.startedAt)).map((s) => {
    const tr = document.createElement('tr');
    tr.id = 'ingestion-' + s.id;
    tr.dataset.state = s.state;
    const bar = document.createElement('td'); const p = document.createElement('progress'); p.max = 100; p.value = s.percent; bar.append(p, ' ' + s.percent + '%');
    const c = s.counts;
    tr.append(cell(s.file), cell(s.state + (s.error ? ': ' + s.error : ''), s.state), bar, cell(String(c ? c.read : s.rows), 'n'),
      cell(c ? String(c.persisted) : '', 'n'), cell(c ? String(c.rejected) : '', 'n'), cell(c ? String(c.duplicates) : '', 'n'), cell(s.startedAt.replace('T', ' ').slice(0, 19)));
    return tr;
  }));
}
render();
const source = new EventSource('/ingestions/events?lastEventId=${lastEventId}');
source.addEventListener('open', () => { document.getElementById('conn').textContent = 'live'; });
source.addEventListener('error', () => { document.getElementById('conn').textContent = 'reconnecting…'; });
source.addEventListener('ingestion', (message) => { const s = JSON.parse(message.data); states.set(s.id, s); render(); });
</script>
</body></html>`;
}
