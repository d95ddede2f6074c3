// Admin panel: the quarterly pay report (FW-10) with its charts, rejections held for review (FW-4) and
// requesters on hold (FW-24). The report is fetched as HTML from the API and its inline SVG charts and tables
// are moved into the panel, so the page shows exactly what the downloaded report holds.
// Hooks inside section#report-panel: form#report-form with select#report-quarter, #report-status (aria-live),
//   #report-downloads (a[data-format]), #report-view (p.basis, p.totals, svg#chart-distribution, svg#chart-trend,
//   table.countries, table.projects), table#holds-table (tr[data-hold-id] with input.hold-note,
//   button[data-decision]), table#flags-table (tr[data-flag-id] with input.flag-note, button.flag-clear).
import { api, announce, el, microsToDecimal } from '/static/api.js';

/** The current quarter and the seven before it, newest first ("2026Q4"). */
function recentQuarters(now = new Date()) {
  let y = now.getUTCFullYear(), q = Math.floor(now.getUTCMonth() / 3) + 1;
  const out = [];
  for (let i = 0; i < 8; i++) {
    out.push(`${y}Q${q}`);
    if (--q === 0) { q = 4; y--; }
  }
  return out;
}

const reportUrl = (quarter, format) => `/api/v1/reports/pay?quarter=${encodeURIComponent(quarter)}&format=${format}`;

async function showReport(quarter, view, status, downloads) {
  announce(status, `Loading the report for ${quarter}…`);
  view.replaceChildren();
  let res;
  try {
    res = await fetch(reportUrl(quarter, 'html'), { credentials: 'same-origin', cache: 'no-store' });
  } catch {
    announce(status, 'Cannot reach the server. Check your connection and try again.', 'error');
    return;
  }
  const text = await res.text();
  if (!res.ok) {
    let detail = `HTTP ${res.status}`;
    try { detail = JSON.parse(text).detail || detail; } catch { /* not JSON */ }
    announce(status, `The report could not be built: ${detail}`, 'error');
    return;
  }
  // The report is our own server's HTML: take its parts, not its scripts (it has none) or styles.
  const doc = new DOMParser().parseFromString(text, 'text/html');
  for (const part of doc.querySelectorAll('p.basis, p.totals, p.stale, #chart-distribution, #chart-trend, table')) {
    view.append(document.importNode(part, true));
  }
  downloads.replaceChildren(...['json', 'csv', 'html'].map((f) => el('a', {
    href: reportUrl(quarter, f), download: `pay-report-${quarter}.${f}`, class: 'btn btn-ghost btn-small', dataset: { format: f },
  }, f.toUpperCase())));
  const countries = view.querySelectorAll('svg#chart-distribution g.country').length;
  announce(status, countries ? `Report for ${quarter}: ${countries} ${countries === 1 ? 'country' : 'countries'}.`
    : `No approved answers in ${quarter}.`, 'success');
}

function holdRow(h, reload, status) {
  const note = el('input', { type: 'text', class: 'hold-note', 'aria-label': `Note on hold ${h.id}`, placeholder: 'Why (shown to the worker)', required: true });
  const decide = async (decision) => {
    if (!note.value.trim()) {
      announce(status, 'Write a note first: the worker reads it and the audit log keeps it.', 'error');
      note.focus();
      return;
    }
    try {
      await api('POST', `/api/v1/rejection-holds/${h.id}/decide`, { json: { decision, note: note.value.trim() } });
      announce(status, `Hold ${h.id} ${decision === 'uphold' ? 'upheld' : 'overturned'}.`, 'success');
      await reload();
    } catch (err) {
      announce(status, err.detail, 'error');
    }
  };
  return el('tr', { dataset: { holdId: String(h.id) } },
    el('td', {}, `${h.project_name} (answer ${h.assignment_id})`),
    el('td', {}, h.worker_name),
    el('td', {}, `${h.reason_code}: ${h.note}`),
    el('td', {}, h.rule === 'daily' ? `${h.rejections_today} today`
      : `${h.rejections} of ${h.submissions} answers${h.rule === 'share_and_daily' ? `, ${h.rejections_today} today` : ''}`),
    el('td', { class: 'num' }, h.pay_held ? `${microsToDecimal(h.reward_micros)} ${h.currency}` : '–'),
    el('td', {}, note,
      el('button', { type: 'button', class: 'btn btn-small', dataset: { decision: 'uphold' }, onclick: () => decide('uphold') }, 'Uphold'),
      el('button', { type: 'button', class: 'btn btn-ghost btn-small', dataset: { decision: 'overturn' }, onclick: () => decide('overturn') }, 'Overturn')));
}

function flagRow(f, reload, status) {
  const note = el('input', { type: 'text', class: 'flag-note', 'aria-label': `Note on flag ${f.id}`, placeholder: 'Why it is cleared', required: true });
  const r = f.reasons || {};
  const why = [];
  if ((r.rules || []).includes('rejection_rate')) why.push(`rejects ${(r.rejection_rate_ppm / 1e4).toFixed(1)}% of ${r.decisions} (bound ${(r.rejection_bound_ppm / 1e4).toFixed(1)}%)`);
  if ((r.rules || []).includes('underpay')) why.push(`median ${microsToDecimal(r.median_hourly_usd_micros)} USD/h under the floor of ${microsToDecimal(r.platform_floor_usd_micros_per_hour)}`);
  const clear = async () => {
    if (!note.value.trim()) {
      announce(status, 'Write a note first: the audit log keeps it.', 'error');
      note.focus();
      return;
    }
    try {
      await api('POST', `/api/v1/requester-flags/${f.id}/clear`, { json: { note: note.value.trim() } });
      announce(status, `${f.requester_name} may publish again.`, 'success');
      await reload();
    } catch (err) {
      announce(status, err.detail, 'error');
    }
  };
  return el('tr', { dataset: { flagId: String(f.id) } },
    el('td', {}, f.requester_name), el('td', {}, why.join('; ')), el('td', {}, new Date(f.created_at).toLocaleString()),
    el('td', {}, note, el('button', { type: 'button', class: 'btn btn-small flag-clear', onclick: clear }, 'Clear')));
}

async function listInto(table, path, row, empty, status) {
  const reload = () => listInto(table, path, row, empty, status);
  try {
    const { items } = await api('GET', path);
    const body = items.length ? items.map((x) => row(x, reload, status))
      : [el('tr', {}, el('td', { colspan: '6', class: 'subtle' }, empty))];
    table.tBodies[0].replaceChildren(...body);
  } catch (err) {
    announce(status, err.detail, 'error');
  }
}

export async function mount(section) {
  const quarters = recentQuarters();
  const select = el('select', { id: 'report-quarter', name: 'quarter' }, ...quarters.map((q) => el('option', { value: q }, q)));
  const status = el('p', { id: 'report-status', class: 'status', role: 'status', 'aria-live': 'polite', hidden: true });
  const downloads = el('p', { id: 'report-downloads', class: 'report-downloads' });
  const view = el('div', { id: 'report-view', class: 'report-view' });
  const form = el('form', { id: 'report-form', class: 'report-form' },
    el('div', { class: 'field' }, el('label', { for: 'report-quarter' }, 'Quarter'), select),
    el('button', { type: 'submit', class: 'btn' }, 'Show report'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    showReport(select.value, view, status, downloads);
  });
  const holdStatus = el('p', { class: 'status', role: 'status', 'aria-live': 'polite', hidden: true });
  const holds = el('table', { id: 'holds-table', class: 'report-table' },
    el('thead', {}, el('tr', {}, ...['Answer', 'Worker', 'Reason', 'Over the bound', 'Reward held', 'Decision'].map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody'));
  const flags = el('table', { id: 'flags-table', class: 'report-table' },
    el('thead', {}, el('tr', {}, ...['Requester', 'Why', 'Since', 'Clear'].map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody'));
  section.append(form, status, downloads, view,
    el('h2', {}, 'Rejections held for review (FW-4)'), holdStatus, holds,
    el('h2', {}, 'Requesters on hold (FW-24)'), flags);
  await Promise.all([
    showReport(select.value, view, status, downloads),
    listInto(holds, '/api/v1/rejection-holds', holdRow, 'No rejection is waiting for a decision.', holdStatus),
    listInto(flags, '/api/v1/requester-flags', flagRow, 'No requester is on hold.', holdStatus),
  ]);
  section.dataset.ready = 'true';
}
