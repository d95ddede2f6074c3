// The support queue (web/support.html, FW-17): support staff and admins see every ticket sorted by its
// first-response clock (escalated unanswered ones first), with live timers; they take, answer and resolve tickets.
import { announce, api, el, requireUser } from '/static/api.js';
import { filesToAttachments, renderThread, timeLeft, clockText, CATEGORIES } from '/static/tickets.js';

const $ = (id) => document.getElementById(id);
const STATES = { open: 'Open', waiting_for_worker: 'Waiting for the person', resolved: 'Resolved' };
let me = null;
let current = null;

function slaCell(t) {
  if (t.first_response_at) return el('td', {}, `after ${timeLeft(t.first_response_ms).replace(/ left$/, '')}`);
  if (!t.due_at) return el('td', {}, '—');
  const due = Date.now() + t.response_ms_left; // the server's clock may be moved in tests: count from its figure
  return el('td', {}, el('span', { class: `sla-timer${t.overdue ? ' sla-late' : ''}`, dataset: { dueMs: String(due) } }, timeLeft(t.response_ms_left)),
    t.escalated ? el('span', { class: 'badge badge-escalated' }, ' escalated') : null);
}

function tick() {
  for (const s of document.querySelectorAll('.sla-timer')) {
    const left = Number(s.dataset.dueMs) - Date.now();
    s.textContent = timeLeft(left);
    s.classList.toggle('sla-late', left < 0);
  }
}

async function loadQueue() {
  const q = new URLSearchParams();
  if ($('queue-filter').value) q.set('state', $('queue-filter').value);
  if ($('queue-mine').checked) q.set('assignee', 'me');
  try {
    const { items } = await api('GET', `/api/v1/support/tickets${q.size ? `?${q}` : ''}`);
    $('queue-empty').hidden = items.length > 0;
    $('queue-body').replaceChildren(...items.map((t) => el('tr', { dataset: { ticketId: String(t.id) }, class: t.escalated && !t.first_response_at ? 'row-escalated' : null },
      el('td', {}, `#${t.id} ${t.subject}`),
      el('td', {}, CATEGORIES[t.category] || t.category),
      el('td', {}, t.source === 'anonymous' ? 'anonymous' : t.user_name || t.contact_email || '—'),
      el('td', {}, STATES[t.state] || t.state),
      slaCell(t),
      el('td', {}, t.assignee_name || '—'),
      el('td', {}, el('button', { class: 'btn btn-small', type: 'button', dataset: { action: 'open' }, onclick: () => openTicket(t.id) }, 'Open')))));
  } catch (err) {
    announce($('queue-status'), err.message, 'error');
  }
}

async function openTicket(id) {
  try {
    const t = await api('GET', `/api/v1/tickets/${id}`);
    current = t;
    $('ticket-panel').hidden = false;
    $('ticket-panel').dataset.ticketId = String(t.id);
    $('ticket-title').textContent = `#${t.id} ${t.subject}`;
    const from = t.source === 'anonymous' ? 'anonymous safety report (no follow-up possible)'
      : t.source === 'contact' ? `contact page, ${t.contact_email}${t.user_name ? ` (account ${t.user_name})` : ''}` : `${t.user_name} (signed in)`;
    $('ticket-meta').textContent = `${CATEGORIES[t.category] || t.category} · ${STATES[t.state] || t.state} · from ${from} · `
      + `${clockText(t)} · assigned to ${t.assignee_name || 'nobody'}`;
    $('ticket-assign').hidden = t.assignee_id === me;
    renderThread($('ticket-thread'), t, { attachmentHref: (a) => `/api/v1/ticket-attachments/${a.id}`, staffView: true });
    $('reply-form').hidden = t.source === 'anonymous';
    $('state-only').hidden = false;
    location.hash = `ticket-${t.id}`;
  } catch (err) {
    announce($('ticket-status'), err.message, 'error');
  }
}

$('ticket-assign').addEventListener('click', async () => {
  try {
    await api('POST', `/api/v1/tickets/${current.id}/assign`, { json: {} });
    await openTicket(current.id);
    loadQueue();
  } catch (err) {
    announce($('ticket-status'), err.message, 'error');
  }
});

$('reply-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  try {
    const attachments = await filesToAttachments($('reply-files'));
    await api('POST', `/api/v1/tickets/${current.id}/messages`, { json: { body: $('reply-body').value, attachments, state: $('reply-state').value } });
    $('reply-form').reset();
    announce($('ticket-status'), 'Answer sent; the person is told.', 'success');
    await openTicket(current.id);
    loadQueue();
  } catch (err) {
    announce($('ticket-status'), err.message, 'error');
  }
});

$('state-only').addEventListener('click', async () => {
  try {
    await api('POST', `/api/v1/tickets/${current.id}/state`, { json: { state: $('reply-state').value } });
    await openTicket(current.id);
    loadQueue();
  } catch (err) {
    announce($('ticket-status'), err.message, 'error');
  }
});

$('queue-filter').addEventListener('change', loadQueue);
$('queue-mine').addEventListener('change', loadQueue);
$('queue-refresh').addEventListener('click', loadQueue);

const user = await requireUser(['support', 'admin']);
if (user) {
  me = user.id;
  await loadQueue();
  const m = /^#ticket-(\d+)$/.exec(location.hash);
  if (m) openTicket(Number(m[1]));
  setInterval(tick, 30000);
  setInterval(loadQueue, 120000);
}
