// The public region page: every country whose state is not open, with its explanation, reason, legal basis,
// dates and history (GET /api/v1/regions, /api/v1/regions/history), and a lookup for any other country.
import { api, announce, el } from '/static/api.js';

const STATES = {
  open: 'Open',
  signups_paused: 'New sign-ups paused',
  winding_down: 'Winding down: work stops on the effective date',
  closed: 'Closed to new work',
};
const day = (iso) => (iso ? new Date(iso).toISOString().slice(0, 10) : '–');
const basis = (b, ref) => (b ? `${b.replace('_', ' ')} (${ref})` : '–');

function historyList(items) {
  return el('ol', { class: 'region-history' }, items.map((h) => el('li', {},
    `${day(h.decided_at || h.applied_at)}: ${STATES[h.from] || h.from} → ${STATES[h.to] || h.to}`,
    h.state === 'cancelled' ? ' (called off)' : '',
    `. ${h.reason}. Legal basis: ${basis(h.legal_basis, h.legal_reference)}.`,
    h.emergency ? ` Emergency notice: ${h.emergency_reason}.` : '',
    h.effective_at ? ` Effective ${day(h.effective_at)}.` : '')));
}

async function regionCard(r) {
  const hist = await api('GET', `/api/v1/regions/history?country=${r.country}`);
  return el('article', { class: 'region card', id: r.country, dataset: { state: r.state } },
    el('h2', {}, `${r.country}: ${STATES[r.state] || r.state}`),
    el('p', {}, r.explanation),
    el('dl', { class: 'region-facts' },
      el('dt', {}, 'Reason'), el('dd', {}, r.reason || '–'),
      el('dt', {}, 'Legal basis'), el('dd', {}, basis(r.legal_basis, r.legal_reference)),
      el('dt', {}, 'Notice given'), el('dd', {}, day(r.notice_at)),
      r.effective_at ? [el('dt', {}, 'Work stops'), el('dd', { class: 'region-when' }, day(r.effective_at))] : null,
      r.payout_deadline ? [el('dt', {}, 'Everything paid out by'), el('dd', {}, day(r.payout_deadline))] : null,
      r.emergency ? [el('dt', {}, 'Emergency (shortened notice)'), el('dd', {}, r.emergency_reason)] : null),
    el('h3', {}, 'History'), historyList(hist.items));
}

async function load() {
  const status = document.getElementById('regions-status');
  try {
    const all = await api('GET', '/api/v1/regions');
    document.getElementById('regions-default').textContent =
      `Every country not listed below is ${all.default_state}: ${all.default_explanation}`;
    const cards = await Promise.all(all.items.filter((r) => r.state !== 'open' || r.change_id).map(regionCard));
    document.getElementById('region-list').replaceChildren(...cards);
    if (location.hash) document.getElementById(location.hash.slice(1))?.scrollIntoView();
  } catch (err) {
    announce(status, `The regions could not load: ${err.detail}`, 'error');
  }
}

document.getElementById('region-lookup').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const out = document.getElementById('lookup-result');
  const cc = document.getElementById('lookup-country').value.trim().toUpperCase();
  try {
    const r = (await api('GET', `/api/v1/regions?country=${encodeURIComponent(cc)}`)).items[0];
    out.textContent = `${cc}: ${STATES[r.state] || r.state}. ${r.explanation}`;
  } catch (err) {
    out.textContent = err.detail;
  }
});

load();
