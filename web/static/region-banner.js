// Worker banner: when the worker's country is not open (FW-15, FW-16), says what changes, why, on which date,
// that open tasks can still be submitted and that earnings are paid out within 14 days, with links to the
// public region page and to a ticket. Hooks: div#region-banner with [data-state], .region-when, .region-why.
import { api, el } from '/static/api.js';

const day = (iso) => (iso ? new Date(iso).toISOString().slice(0, 10) : '');

const HEADLINES = {
  signups_paused: (r) => `New sign-ups from ${r.country} are paused. Your account and your work are not affected.`,
  winding_down: (r) => `fairlabel stops offering new work in ${r.country} on ${day(r.effective_at)}.`,
  closed: (r) => `fairlabel no longer offers new work in ${r.country} (since ${day(r.effective_at)}).`,
};

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
    el('h2', {}, (HEADLINES[region.state] || (() => region.state))(region)),
    el('p', { class: 'region-why' }, region.explanation),
    region.reason ? el('p', {}, `Reason: ${region.reason}`, region.legal_basis ? ` (legal basis: ${region.legal_basis.replace('_', ' ')}, ${region.legal_reference})` : '') : null,
    ending ? el('p', { class: 'region-when' },
      `Tasks you already hold can still be submitted. All your pending and available earnings are paid out by ${day(region.payout_deadline)}; `,
      'you can keep signing in to see your earnings, request payouts, export your data and open a ticket.') : null,
    el('p', {},
      el('a', { href: `/regions#${region.country}` }, 'Why, since when, and the history'), ' · ',
      el('a', { href: '#tickets' }, 'Ask a person (open a ticket)')));
  box.hidden = false;
}
