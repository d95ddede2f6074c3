// The public region page: every country whose state is not open, with its explanation, reason, legal basis,
// dates and history (GET /api/v1/regions, /api/v1/regions/history), and a lookup for any other country.
import { api, announce, el } from '/static/api.js';
import { formatDay, t } from '/static/i18n.js';
import { mountLanguageSwitch } from '/static/language.js';
import { basisName } from '/static/region-banner.js';

await mountLanguageSwitch();

const STATE_KEYS = {
  open: 'regions.state.open', signups_paused: 'regions.state.signups_paused',
  winding_down: 'regions.state.winding_down', closed: 'regions.state.closed',
};
const stateName = (s) => (Object.hasOwn(STATE_KEYS, s) ? t(STATE_KEYS[s]) : s);
const day = formatDay;
const basis = (b, ref) => (b ? `${basisName(b)} (${ref})` : '–');

function historyList(items) {
  return el('ol', { class: 'region-history' }, items.map((h) => el('li', {},
    `${day(h.decided_at || h.applied_at)}${t('common.colon_sep')}${stateName(h.from)} → ${stateName(h.to)}`,
    h.state === 'cancelled' ? ` (${t('regions.called_off')})` : '',
    `. ${h.reason}. ${t('regions.history_basis', { basis: basis(h.legal_basis, h.legal_reference) })}`,
    h.emergency ? ` ${t('regions.history_emergency', { reason: h.emergency_reason })}` : '',
    h.effective_at ? ` ${t('regions.history_effective', { date: day(h.effective_at) })}` : '')));
}

async function regionCard(r) {
  const hist = await api('GET', `/api/v1/regions/history?country=${r.country}`);
  return el('article', { class: 'region card', id: r.country, dataset: { state: r.state } },
    el('h2', {}, `${r.country}${t('common.colon_sep')}${stateName(r.state)}`),
    el('p', {}, r.explanation),
    el('dl', { class: 'region-facts' },
      el('dt', {}, t('regions.reason')), el('dd', {}, r.reason || '–'),
      el('dt', {}, t('regions.legal_basis')), el('dd', {}, basis(r.legal_basis, r.legal_reference)),
      el('dt', {}, t('regions.notice_given')), el('dd', {}, day(r.notice_at)),
      r.effective_at ? [el('dt', {}, t('regions.work_stops')), el('dd', { class: 'region-when' }, day(r.effective_at))] : null,
      r.payout_deadline ? [el('dt', {}, t('regions.paid_by')), el('dd', {}, day(r.payout_deadline))] : null,
      r.emergency ? [el('dt', {}, t('regions.emergency')), el('dd', {}, r.emergency_reason)] : null),
    el('h3', {}, t('regions.history')), historyList(hist.items));
}

async function load() {
  const status = document.getElementById('regions-status');
  try {
    const all = await api('GET', '/api/v1/regions');
    document.getElementById('regions-default').textContent =
      t('regions.default', { state: stateName(all.default_state).toLocaleLowerCase(), explanation: all.default_explanation });
    const cards = await Promise.all(all.items.filter((r) => r.state !== 'open' || r.change_id).map(regionCard));
    document.getElementById('region-list').replaceChildren(...cards);
    if (location.hash) document.getElementById(location.hash.slice(1))?.scrollIntoView();
  } catch (err) {
    announce(status, t('regions.load_failed', { error: err.detail || err.message }), 'error');
  }
}

document.getElementById('region-lookup').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const out = document.getElementById('lookup-result');
  const cc = document.getElementById('lookup-country').value.trim().toUpperCase();
  try {
    const r = (await api('GET', `/api/v1/regions?country=${encodeURIComponent(cc)}`)).items[0];
    out.textContent = `${cc}${t('common.colon_sep')}${stateName(r.state)}. ${r.explanation}`;
  } catch (err) {
    out.textContent = err.detail;
  }
});

load();
