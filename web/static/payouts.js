// Worker payouts (FW-9), inside the Earnings section of /worker: the payout method, a withdrawal with the
// minimum and the available balance, the weekly option, and the list of payouts with their states.
// Hooks (web/worker.html, #payouts): #payout-method-form (#payout-rail, #payout-holder, #payout-iban,
//   #payout-account-number, #payout-bank-code in #payout-bank-fields; #payout-phone, #payout-provider in
//   #payout-mobile-fields; #payout-method-current, #payout-method-status), #payout-form (#payout-currency,
//   #payout-amount, #payout-available, #payout-minimum, #payout-all, #payout-submit, #payout-weekly,
//   #payout-status), #payouts-body with tr[data-payout-id][data-state] ([data-role="reason"] on failed ones),
//   #payouts-empty. Field errors from the API are shown under the input they name.
import { announce, api, clearFieldErrors, el, microsToDecimal, parseMicros, showFieldError } from '/static/api.js';
import { currentLanguage, formatMoney, t, timeEl } from '/static/i18n.js';

const $ = (id) => document.getElementById(id);
const STATE_TEXT = {
  requested: 'payouts.state.requested', in_batch: 'payouts.state.in_batch', sent: 'payouts.state.sent',
  confirmed: 'payouts.state.confirmed', failed: 'payouts.state.failed',
};
const FIELD_INPUT = {
  '/rail': 'payout-rail', '/holder_name': 'payout-holder', '/iban': 'payout-iban', '/account_number': 'payout-account-number',
  '/bank_code': 'payout-bank-code', '/phone': 'payout-phone', '/provider': 'payout-provider',
  '/amount_micros': 'payout-amount', '/currency': 'payout-currency',
};
let state = null; // the last GET /me/payouts
// randomUUID exists only in secure contexts; a server reached over plain http on a LAN address is not one
const newKey = () => (crypto.randomUUID ? crypto.randomUUID()
  : Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join(''));

function showRail() {
  const mobile = $('payout-rail').value === 'mobile_money';
  $('payout-bank-fields').hidden = mobile;
  $('payout-mobile-fields').hidden = !mobile;
}

function methodText(m) {
  if (!m) return t('payouts.no_method');
  const where = m.rail === 'mobile_money' ? `${m.provider} ${m.account}` : `${m.account}${m.bank_code ? ` (${m.bank_code})` : ''}`;
  return t('payouts.method_current', { holder: m.holder_name, where });
}

function problem(node, form, err) {
  const input = err.field && FIELD_INPUT[err.field] ? $(FIELD_INPUT[err.field]) : null;
  if (input && form.contains(input)) showFieldError(input, err.detail);
  announce(node, err.detail || err.message, 'error');
}

function fillLimits() {
  const cur = $('payout-currency').value;
  const b = state?.balances?.[cur];
  $('payout-available').textContent = b ? t('payouts.available', { amount: formatMoney(b.available_micros, cur) }) : t('payouts.nothing_available');
  $('payout-minimum').textContent = b && b.minimum_micros !== null
    ? t('payouts.minimum', { amount: formatMoney(b.minimum_micros, cur) })
    : t('payouts.minimum_usd', { amount: formatMoney(state?.minimum_usd_micros ?? 5000000, 'USD') });
}

export async function loadPayouts() {
  try {
    state = await api('GET', '/api/v1/me/payouts');
  } catch (err) {
    if (err.status === 401) return;
    announce($('payout-status'), t('payouts.load_failed', { error: err.message }), 'error');
    return;
  }
  const m = state.method;
  $('payout-method-current').textContent = methodText(m);
  if (m && !$('payout-method-form').dataset.edited) {
    $('payout-rail').value = m.rail;
    $('payout-holder').value = m.holder_name;
    if (m.rail === 'mobile_money') {
      $('payout-phone').value = m.account;
      $('payout-provider').value = m.provider;
    } else if (/^[A-Z]{2}\d\d/.test(m.account)) {
      $('payout-iban').value = m.account;
      $('payout-bank-code').value = m.bank_code;
    } else {
      $('payout-account-number').value = m.account;
      $('payout-bank-code').value = m.bank_code;
    }
    showRail();
  }
  $('payout-weekly').checked = state.weekly;
  $('payout-weekly').disabled = !m;
  const chosen = $('payout-currency').value;
  const currencies = Object.keys(state.balances);
  $('payout-currency').replaceChildren(...(currencies.length ? currencies : ['USD']).map((c) => el('option', { value: c }, c)));
  if (currencies.includes(chosen)) $('payout-currency').value = chosen;
  fillLimits();
  $('payouts-body').replaceChildren(...state.items.map((p) => el('tr', { dataset: { payoutId: String(p.id), state: p.state } },
    el('td', {}, timeEl(p.created_at)),
    el('td', {}, p.reference),
    el('td', {}, formatMoney(p.amount_micros, p.currency)),
    el('td', {}, p.rail === 'mobile_money' ? `${p.provider} ${p.account}` : p.account),
    el('td', {}, el('span', { class: 'badge payout-state', dataset: { state: p.state } }, Object.hasOwn(STATE_TEXT, p.state) ? t(STATE_TEXT[p.state]) : p.state)),
    el('td', {}, p.state === 'failed'
      ? el('span', { dataset: { role: 'reason' } }, p.failure_reason)
      : [p.provider_reference ? t('payouts.paid_reference', { reference: p.provider_reference }) : '',
        p.batch_id ? ` (${t('payouts.batch', { batch: p.batch_id })})` : '', p.origin === 'weekly' ? ` · ${t('payouts.weekly_origin')}` : '']))));
  $('payouts-empty').hidden = state.items.length > 0;
}

/** The earnings table above shows the payout lines too. */
const refreshEarnings = () => $('refresh-earnings')?.click();

async function saveMethod(ev) {
  ev.preventDefault();
  const form = $('payout-method-form');
  const status = $('payout-method-status');
  clearFieldErrors(form);
  const rail = $('payout-rail').value;
  const body = { rail, holder_name: $('payout-holder').value.trim() };
  const put = (k, id) => { const v = $(id).value.trim(); if (v) body[k] = v; };
  if (rail === 'mobile_money') {
    put('phone', 'payout-phone');
    put('provider', 'payout-provider');
  } else {
    put('iban', 'payout-iban');
    put('account_number', 'payout-account-number');
    put('bank_code', 'payout-bank-code');
  }
  $('payout-method-save').disabled = true;
  try {
    await api('PUT', '/api/v1/me/payout-method', { json: body });
    delete form.dataset.edited;
    announce(status, t('payouts.method_saved'), 'success');
    await loadPayouts();
  } catch (err) {
    problem(status, form, err);
  } finally {
    $('payout-method-save').disabled = false;
  }
}

async function withdraw(ev) {
  ev.preventDefault();
  const form = $('payout-form');
  const status = $('payout-status');
  clearFieldErrors(form);
  let micros;
  try {
    micros = parseMicros($('payout-amount').value);
  } catch (err) {
    // parseMicros speaks English only
    showFieldError($('payout-amount'), currentLanguage() === 'en' ? err.message : t('payouts.amount_invalid'));
    return;
  }
  $('payout-submit').disabled = true;
  // one key per click: a retried request (a lost reply) is the same payout, never a second one
  const key = form.dataset.key || (form.dataset.key = newKey());
  try {
    const p = await api('POST', '/api/v1/me/payouts', {
      json: { amount_micros: micros, currency: $('payout-currency').value, idempotency_key: key },
    });
    delete form.dataset.key;
    $('payout-amount').value = '';
    announce(status, t('payouts.requested', { reference: p.reference, amount: formatMoney(p.amount_micros, p.currency) }), 'success');
    await loadPayouts();
    refreshEarnings();
  } catch (err) {
    if (err.status && err.status < 500) delete form.dataset.key;
    problem(status, form, err);
  } finally {
    $('payout-submit').disabled = false;
  }
}

async function setWeekly() {
  const box = $('payout-weekly');
  try {
    const r = await api('PUT', '/api/v1/me/payout-schedule', { json: { weekly: box.checked } });
    announce($('payout-status'), r.weekly ? t('payouts.weekly_on') : t('payouts.weekly_off'), 'success');
  } catch (err) {
    box.checked = !box.checked;
    announce($('payout-status'), err.message, 'error');
  }
}

export function mountPayouts() {
  if (!$('payouts')) return;
  $('payout-rail').addEventListener('change', showRail);
  $('payout-method-form').addEventListener('input', () => { $('payout-method-form').dataset.edited = '1'; });
  $('payout-method-form').addEventListener('submit', saveMethod);
  $('payout-form').addEventListener('submit', withdraw);
  $('payout-currency').addEventListener('change', fillLimits);
  $('payout-all').addEventListener('click', () => {
    const cur = $('payout-currency').value;
    const avail = state?.balances?.[cur]?.available_micros ?? 0;
    $('payout-amount').value = microsToDecimal(Math.floor(avail / 10000) * 10000);
  });
  $('payout-weekly').addEventListener('change', setWeekly);
  $('refresh-earnings')?.addEventListener('click', () => loadPayouts());
  showRail();
  return loadPayouts();
}
