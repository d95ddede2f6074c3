// Worker banner: when the worker's country is not open (FW-15, FW-16), says what changes, why, on which date,
// that open tasks can still be submitted and that earnings are paid out within 14 days, with links to the
// public region page and to a ticket. Hooks: div#region-banner with [data-state], .region-when, .region-why.
import { api, el } from '/static/api.js';
import { formatDay, t } from '/static/i18n.js';

const day = (iso) => (iso ? formatDay(iso) : '');

const HEADLINES = {
  signups_paused: 'region_banner.signups_paused', winding_down: 'region_banner.winding_down', closed: 'region_banner.closed',
};
const BASES = { sanctions: 'regions.basis.sanctions', local_law: 'regions.basis.local_law', payment_rail: 'regions.basis.payment_rail' };
export const basisName = (b) => (Object.hasOwn(BASES, b) ? t(BASES[b]) : String(b).replace('_', ' '));

export async function mountRegionBanner() {
  const box = document.getElementById('region-banner');
  if (!box) return;
  let region;
  try {
    const me = await api('GET', '/api/v1/me');
    region = (await api('GET', `/api/v1/regions?country=${encodeURIComponent(me.country)}`)).items[0];
  } catch {
    return; // the page shows its own errors; the banner is extra
  }
  if (!region || region.state === 'open') {
    box.hidden = true;
    return;
  }
  const ending = region.state === 'winding_down' || region.state === 'closed';
  box.dataset.state = region.state;
  box.replaceChildren(
    el('h2', {}, Object.hasOwn(HEADLINES, region.state)
      ? t(HEADLINES[region.state], { country: region.country, date: day(region.effective_at) }) : region.state),
    el('p', { class: 'region-why' }, region.explanation),
    region.reason ? el('p', {}, t('region_banner.reason', { reason: region.reason }), region.legal_basis
      ? ` (${t('region_banner.legal_basis', { basis: basisName(region.legal_basis), reference: region.legal_reference })})` : '') : null,
    ending ? el('p', { class: 'region-when' }, t('region_banner.ending', { date: day(region.payout_deadline) })) : null,
    el('p', {},
      el('a', { href: `/regions#${region.country}` }, t('region_banner.why_link')), ' · ',
      el('a', { href: '#tickets' }, t('region_banner.ticket_link'))));
  box.hidden = false;
}
