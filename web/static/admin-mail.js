// Admin email outbox panel, section#mail-panel of /admin: whether SMTP is configured, the totals per state, the
// latest messages (filter by state) with their attempts and last error, and a retry for failed ones.
// Hooks: #mail-smtp (the configuration note), #mail-totals, #mail-state (select: all, queued, sent, failed),
//   #mail-refresh, #mail-body with tr[data-mail-id][data-state] (button[data-action="retry"] on failed ones),
//   #mail-empty, #mail-status (aria-live).
import { announce, api, el } from '/static/api.js';
import { timeEl } from '/static/results.js';

let section;
const $ = (id) => section.querySelector(`#${id}`);

function row(m) {
  const retry = m.state === 'failed'
    ? el('button', { class: 'btn btn-secondary btn-small', type: 'button', dataset: { action: 'retry' } }, 'Retry')
    : null;
  retry?.addEventListener('click', async () => {
    retry.disabled = true;
    try {
      await api('POST', `/api/v1/mail/outbox/${m.id}/retry`);
      announce($('mail-status'), `Message ${m.id} is queued again.`, 'success');
    } catch (err) {
      announce($('mail-status'), err.detail || err.message, 'error');
    }
    await refresh();
  });
  return el('tr', { dataset: { mailId: String(m.id), state: m.state } },
    el('td', {}, String(m.id)),
    el('td', {}, m.to_email),
    el('td', {}, m.template_id, ' · ', m.language),
    el('td', {}, m.subject),
    el('td', {}, el('span', { class: 'badge mail-state', dataset: { state: m.state } }, m.state)),
    el('td', { class: 'num' }, String(m.attempts)),
    el('td', {}, m.sent_at ? timeEl(m.sent_at) : m.state === 'queued' ? timeEl(m.next_at) : ''),
    el('td', { class: 'mail-error' }, m.last_error || ''),
    el('td', {}, retry));
}

async function refresh() {
  const state = $('mail-state').value;
  try {
    const r = await api('GET', `/api/v1/mail/outbox?limit=100${state ? `&state=${state}` : ''}`);
    $('mail-smtp').textContent = r.smtp_configured ? 'SMTP is configured: queued messages are being sent.' : r.note;
    $('mail-smtp').dataset.kind = r.smtp_configured ? 'success' : 'error';
    $('mail-totals').textContent = `${r.totals.queued} queued · ${r.totals.sent} sent · ${r.totals.failed} failed`;
    $('mail-body').replaceChildren(...r.items.map(row));
    $('mail-empty').hidden = r.items.length > 0;
  } catch (err) {
    announce($('mail-status'), err.detail || err.message, 'error');
  }
}

export async function mount(s) {
  section = s;
  section.append(
    el('p', { id: 'mail-smtp', class: 'status' }),
    el('p', { id: 'mail-totals', class: 'subtle' }),
    el('div', { class: 'mail-filter' },
      el('label', { for: 'mail-state' }, 'State '),
      el('select', { id: 'mail-state' }, ...['', 'queued', 'sent', 'failed'].map((v) => el('option', { value: v }, v || 'all'))),
      el('button', { id: 'mail-refresh', class: 'btn btn-secondary btn-small', type: 'button' }, 'Refresh')),
    el('p', { id: 'mail-status', class: 'status', role: 'status', 'aria-live': 'polite', hidden: true }),
    el('div', { class: 'table-scroll' },
      el('table', { class: 'data-table', 'aria-labelledby': 'mail-title' },
        el('thead', {}, el('tr', {}, ...['#', 'To', 'Template', 'Subject', 'State', 'Attempts', 'Sent / next try', 'Last error', '']
          .map((h) => el('th', { scope: 'col' }, h)))),
        el('tbody', { id: 'mail-body' }))),
    el('p', { id: 'mail-empty', class: 'empty', hidden: true }, 'No messages.'));
  $('mail-state').addEventListener('change', refresh);
  $('mail-refresh').addEventListener('click', refresh);
  await refresh();
}
