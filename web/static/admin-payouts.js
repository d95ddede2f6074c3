// Admin payouts panel (FW-9), section#payouts-panel of /admin: the open payouts (requested, in a batch, sent)
// with a confirmation by reference or a failure with a reason for each, a batch per rail and currency, its
// file to download, "sent", and the bank's or provider's confirmation file to upload.
// Hooks: #batch-form (#batch-rail, #batch-currency, #batch-create), #open-payouts-body with
//   tr[data-payout-id][data-state] (input[data-role="reference"], button[data-action="confirm"],
//   input[data-role="reason"], button[data-action="fail"]), #open-payouts-empty, #batches-body with
//   tr[data-batch-id][data-state] (a[data-action="download"], button[data-action="sent"],
//   input[data-role="confirmation"] (a CSV file), button[data-action="upload"]), #payouts-admin-status (aria-live).
import { announce, api, el, formatMoney } from '/static/api.js';

let section;
const status = () => section.querySelector('#payouts-admin-status');

async function act(fn, done) {
  try {
    const r = await fn();
    announce(status(), done(r), 'success');
  } catch (err) {
    announce(status(), err.detail || err.message, 'error');
  }
  await refresh();
}

function payoutRow(p) {
  const ref = el('input', { type: 'text', maxlength: '140', placeholder: 'bank or provider reference', dataset: { role: 'reference' }, 'aria-label': `Reference for ${p.reference}` });
  const reason = el('input', { type: 'text', maxlength: '140', placeholder: 'why it failed', dataset: { role: 'reason' }, 'aria-label': `Failure reason for ${p.reference}` });
  const confirm = el('button', { class: 'btn btn-small', type: 'button', dataset: { action: 'confirm' }, disabled: p.state === 'requested' },
    'Confirm paid');
  const fail = el('button', { class: 'btn btn-secondary btn-small', type: 'button', dataset: { action: 'fail' } }, 'Fail');
  confirm.addEventListener('click', () => act(
    () => api('POST', `/api/v1/payouts/${p.id}/confirm`, { json: { reference: ref.value.trim() } }),
    (r) => `${r.reference} confirmed (${r.provider_reference}).`));
  fail.addEventListener('click', () => act(
    () => api('POST', `/api/v1/payouts/${p.id}/fail`, { json: { reason: reason.value.trim() } }),
    (r) => `${r.reference} failed; ${formatMoney(r.amount_micros, r.currency)} is back in the worker's available balance.`));
  return el('tr', { dataset: { payoutId: String(p.id), state: p.state } },
    el('td', {}, p.reference), el('td', {}, String(p.worker_id)), el('td', {}, formatMoney(p.amount_micros, p.currency)),
    el('td', {}, `${p.rail === 'mobile_money' ? `${p.provider} ` : ''}${p.account} · ${p.holder_name}`),
    el('td', {}, p.state, p.batch_id ? ` (batch ${p.batch_id})` : ''),
    el('td', { class: 'payout-actions' }, ref, confirm, reason, fail));
}

function batchRow(b) {
  const file = el('input', { type: 'file', accept: '.csv,text/csv', dataset: { role: 'confirmation' }, 'aria-label': `Confirmation file for batch ${b.id}` });
  const upload = el('button', { class: 'btn btn-small', type: 'button', dataset: { action: 'upload' } }, 'Upload confirmation');
  const sent = el('button', { class: 'btn btn-secondary btn-small', type: 'button', dataset: { action: 'sent' }, disabled: b.state !== 'created' }, 'Mark sent');
  sent.addEventListener('click', () => act(() => api('POST', `/api/v1/payout-batches/${b.id}/sent`), () => `Batch ${b.id} marked sent.`));
  upload.addEventListener('click', () => act(async () => {
    const f = file.files[0];
    if (!f) throw new Error('Choose the confirmation file first.');
    return api('POST', `/api/v1/payout-batches/${b.id}/confirmation`, { body: await f.text(), contentType: 'text/csv' });
  }, (r) => `Batch ${b.id}: ${r.confirmed} confirmed, ${r.failed} failed and re-credited, ${r.unchanged} already recorded.`));
  return el('tr', { dataset: { batchId: String(b.id), state: b.state } },
    el('td', {}, String(b.id)), el('td', {}, b.rail), el('td', {}, formatMoney(b.total_micros, b.currency)),
    el('td', {}, String(b.payout_count)), el('td', {}, `${b.state} · ${b.confirmed} paid, ${b.failed} failed`),
    el('td', { class: 'payout-actions' },
      el('a', { class: 'btn btn-ghost btn-small', href: `/api/v1/payout-batches/${b.id}/file`, download: `payouts-${b.id}.csv`, dataset: { action: 'download' } }, 'Download file'),
      sent, file, upload));
}

async function refresh() {
  try {
    const [req, inBatch, sent, batches] = await Promise.all([
      api('GET', '/api/v1/payouts?state=requested&limit=500'), api('GET', '/api/v1/payouts?state=in_batch&limit=500'),
      api('GET', '/api/v1/payouts?state=sent&limit=500'), api('GET', '/api/v1/payout-batches'),
    ]);
    const open = [...req.items, ...inBatch.items, ...sent.items];
    section.querySelector('#open-payouts-body').replaceChildren(...open.map(payoutRow));
    section.querySelector('#open-payouts-empty').hidden = open.length > 0;
    section.querySelector('#batches-body').replaceChildren(...batches.items.map(batchRow));
  } catch (err) {
    announce(status(), `Could not load payouts: ${err.message}`, 'error');
  }
}

function table(caption, heads, bodyId) {
  return el('div', { class: 'table-wrap' }, el('table', { class: 'data-table' }, el('caption', {}, caption),
    el('thead', {}, el('tr', {}, heads.map((h) => el('th', { scope: 'col' }, h)))), el('tbody', { id: bodyId })));
}

export async function mount(sec) {
  section = sec;
  const rail = el('select', { id: 'batch-rail' }, el('option', { value: 'bank_transfer' }, 'Bank transfer'),
    el('option', { value: 'mobile_money' }, 'Mobile money'));
  const currency = el('input', { id: 'batch-currency', type: 'text', maxlength: '3', value: 'USD', autocomplete: 'off' });
  const form = el('form', { id: 'batch-form', class: 'batch-form' },
    el('div', { class: 'field' }, el('label', { for: 'batch-rail' }, 'Rail'), rail),
    el('div', { class: 'field' }, el('label', { for: 'batch-currency' }, 'Currency'), currency),
    el('div', { class: 'form-actions' }, el('button', { id: 'batch-create', class: 'btn', type: 'submit' }, 'Create batch')));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    act(() => api('POST', '/api/v1/payout-batches', { json: { rail: rail.value, currency: currency.value.trim().toUpperCase() } }),
      (b) => `Batch ${b.id}: ${b.payout_count} payouts, ${formatMoney(b.total_micros, b.currency)}. Download its file and send it.`);
  });
  sec.append(
    el('p', { class: 'hint' }, 'Workers ask for payouts of their available money. A batch takes every requested payout of a rail and '
      + 'currency into one bulk-payment file for the bank or mobile-money provider. Nothing is paid until a confirmation '
      + 'file row or a reference entered here says so; a failure returns the money to the worker with the reason.'),
    el('h2', {}, 'Open payouts'),
    table('Payouts requested, in a batch or sent', ['Reference', 'Worker', 'Amount', 'To', 'State', 'Confirm or fail'], 'open-payouts-body'),
    el('p', { id: 'open-payouts-empty', class: 'empty', hidden: true }, 'No open payouts.'),
    el('h2', {}, 'Batches'), form,
    table('Payout batches, newest first', ['Batch', 'Rail', 'Total', 'Payouts', 'State', 'File and confirmation'], 'batches-body'),
    el('p', { id: 'payouts-admin-status', class: 'status', role: 'status', 'aria-live': 'polite', hidden: true }));
  await refresh();
  sec.dataset.ready = 'true';
}
