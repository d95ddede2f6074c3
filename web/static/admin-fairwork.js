// Admin panel: the quarterly fairwork self-assessment (FW-27). Each measurable rule's evidence for a quarter
// with its target and a pass / fail mark, read from the same JSON the download links give.
// Hooks inside section#fairwork-panel: form#fairwork-form with select#fairwork-quarter, #fairwork-status
//   (aria-live), #fairwork-downloads (a[data-format]), table#fairwork-table (tr[data-item][data-status]).
import { api, announce, el } from '/static/api.js';

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

const reportUrl = (quarter, format) => `/api/v1/reports/fairwork?quarter=${encodeURIComponent(quarter)}&format=${format}`;
const MARKS = { pass: '✓ pass', fail: '✗ fail', no_data: '– no data', info: 'i info' };

/** A duration in ms as days or hours, for the value column. */
function span(ms) {
  if (ms === null || ms === undefined) return '–';
  const h = ms / 3600000;
  return h >= 48 ? `${(h / 24).toFixed(1)} d` : `${h.toFixed(1)} h`;
}

function valueText(value) {
  return Object.keys(value).sort().map((k) => {
    const v = value[k];
    if (k.endsWith('_ms')) return `${k.slice(0, -3)} ${span(v)}`;
    if (k.endsWith('_ppm')) return `${k.slice(0, -4)} share ${v === null ? '–' : `${(v / 10000).toFixed(1)}%`}`;
    return `${k} ${v}`;
  }).join(', ');
}

async function show(quarter, tbody, status, downloads) {
  announce(status, `Loading the self-assessment for ${quarter}…`);
  tbody.replaceChildren();
  let rep;
  try {
    rep = await api('GET', reportUrl(quarter, 'json'));
  } catch (err) {
    announce(status, `The report could not be built: ${err.detail || err.message}`, 'error');
    return;
  }
  for (const it of rep.items) {
    tbody.append(el('tr', { dataset: { item: it.item, status: it.status }, class: `fw-${it.status}` },
      el('td', {}, it.rule),
      el('td', {}, it.title),
      el('td', {}, valueText(it.value)),
      el('td', {}, it.target),
      el('td', { class: 'fw-mark' }, MARKS[it.status] || it.status)));
  }
  downloads.replaceChildren(...['json', 'csv', 'html'].map((f) => el('a', {
    href: reportUrl(quarter, f), download: `fairwork-${quarter}.${f}`, class: 'btn btn-ghost btn-small', dataset: { format: f },
  }, f.toUpperCase())));
  const s = rep.summary;
  announce(status, `${quarter}: ${s.pass} pass, ${s.fail} fail, ${s.no_data} without data.`, s.fail ? 'error' : 'success');
}

export async function mount(section) {
  const select = el('select', { id: 'fairwork-quarter', name: 'quarter' }, ...recentQuarters().map((q) => el('option', { value: q }, q)));
  const status = el('p', { id: 'fairwork-status', class: 'status', role: 'status', 'aria-live': 'polite', hidden: true });
  const downloads = el('p', { id: 'fairwork-downloads', class: 'report-downloads' });
  const tbody = el('tbody');
  const table = el('table', { id: 'fairwork-table', class: 'report-table' },
    el('thead', {}, el('tr', {}, ...['Rule', 'Evidence', 'Value', 'Target', 'Status'].map((h) => el('th', { scope: 'col' }, h)))),
    tbody);
  const form = el('form', { id: 'fairwork-form', class: 'report-form' },
    el('div', { class: 'field' }, el('label', { for: 'fairwork-quarter' }, 'Quarter'), select),
    el('button', { type: 'submit', class: 'btn' }, 'Show self-assessment'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    show(select.value, tbody, status, downloads);
  });
  section.append(form, status, downloads, table);
  await show(select.value, tbody, status, downloads);
  section.dataset.ready = 'true';
}
