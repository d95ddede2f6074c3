// Tickets (FW-17): the worker page's "Help and tickets" section (mountTickets), and what the support page and the
// login-free contact page share with it: rendering a thread, reading chosen files as attachments, time-left text.
// Hooks in #tickets: #ticket-form (#ticket-category, #ticket-subject, #ticket-message, #ticket-files,
// #ticket-submit), #ticket-list, #tickets-empty, #ticket-view (#ticket-view-title, #ticket-meta, #ticket-thread,
// #ticket-reply-form, #ticket-reply, #ticket-reply-files, #ticket-resolve), #tickets-status (aria-live).
import { announce, api, el, showApiFieldError, clearFieldErrors } from '/static/api.js';

export const ATTACHMENT_MAX = 2 * 1024 * 1024;
export const ATTACHMENTS_MAX = 5;
export const CATEGORIES = {
  pay: 'Pay or payouts', task: 'A task or project', account: 'My account', region: 'My region or country',
  safety: 'Safety or harassment', other: 'Something else',
};
export const STATES = { open: 'Open', waiting_for_worker: 'Waiting for you', resolved: 'Resolved' };

/** The files of an <input type=file> as [{name, content_type, data_base64}]; throws Error on a bound. */
export async function filesToAttachments(input) {
  const files = [...(input?.files || [])];
  if (files.length > ATTACHMENTS_MAX) throw new Error(`At most ${ATTACHMENTS_MAX} files per message.`);
  const out = [];
  for (const f of files) {
    if (f.size > ATTACHMENT_MAX) throw new Error(`${f.name} is larger than 2 MiB.`);
    const bytes = new Uint8Array(await f.arrayBuffer());
    let bin = '';
    for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    const type = /^[A-Za-z0-9.+-]+\/[A-Za-z0-9.+-]+$/.test(f.type) ? f.type : 'application/octet-stream';
    out.push({ name: f.name.replace(/["\\/\x00-\x1f\x7f]/g, '_') || 'file', content_type: type, data_base64: btoa(bin) });
  }
  return out;
}

/** "2 d 5 h left", "3 h 10 min late" from milliseconds. */
export function timeLeft(ms) {
  const late = ms < 0;
  let m = Math.floor(Math.abs(ms) / 60000);
  const d = Math.floor(m / 1440);
  m -= d * 1440;
  const h = Math.floor(m / 60);
  m -= h * 60;
  const text = d ? `${d} d ${h} h` : h ? `${h} h ${m} min` : `${m} min`;
  return late ? `${text} late` : `${text} left`;
}

const when = (iso) => (iso ? new Date(iso).toLocaleString() : '');

/**
 * Fills `list` (an <ol>) with a ticket's messages. attachmentHref(att) gives each attachment's link, or null for
 * a button calling download(att) (the contact page fetches with its bearer token).
 */
export function renderThread(list, ticket, { attachmentHref = null, download = null, staffView = false } = {}) {
  list.replaceChildren(...(ticket.messages || []).map((m) => {
    const person = ticket.source === 'anonymous' ? 'Anonymous reporter'
      : m.author_name || (ticket.source === 'contact' ? 'The person (contact page)' : 'The person');
    const who = m.staff ? `${m.author_name || 'Support'} (support)` : staffView ? person : 'You';
    const atts = (m.attachments || []).map((a) => el('li', {},
      attachmentHref ? el('a', { href: attachmentHref(a), download: a.name }, a.name)
        : el('button', { class: 'btn btn-ghost btn-small', type: 'button', onclick: () => download(a) }, a.name),
      ` (${Math.ceil(a.size / 1024)} KiB)`));
    return el('li', { class: `ticket-msg${m.staff ? ' ticket-msg-staff' : ''}` },
      el('p', { class: 'ticket-msg-head' }, el('strong', {}, who), ' · ', el('time', { datetime: m.created_at }, when(m.created_at))),
      el('p', { class: 'ticket-msg-body' }, m.body),
      atts.length ? el('ul', { class: 'ticket-atts', 'aria-label': 'Attachments' }, atts) : null);
  }));
}

/** One line about a ticket's first-response clock. */
export function clockText(t) {
  if (t.state === 'resolved') return `Resolved ${when(t.resolved_at)}`;
  if (t.first_response_at) return `First answer after ${timeLeft(t.first_response_ms).replace(/ left$/, '')}`;
  if (t.escalated) return `No answer yet: escalated to an admin ${when(t.escalated_at)}`;
  return `A person answers by ${when(t.due_at)} (${timeLeft(t.response_ms_left)})`;
}

/** The worker page's section: open a ticket, follow one's own tickets, answer and resolve. */
export function mountTickets() {
  const $ = (id) => document.getElementById(id);
  const section = $('tickets');
  if (!section) return;
  const status = $('tickets-status');
  const form = $('ticket-form');
  let current = null;

  async function show(id) {
    try {
      const t = await api('GET', `/api/v1/tickets/${id}`);
      current = t;
      $('ticket-view').hidden = false;
      $('ticket-view-title').textContent = `Ticket ${t.id}: ${t.subject}`;
      $('ticket-meta').textContent = `${CATEGORIES[t.category] || t.category} · ${STATES[t.state] || t.state} · ${clockText(t)}`;
      renderThread($('ticket-thread'), t, { attachmentHref: (a) => `/api/v1/ticket-attachments/${a.id}` });
      $('ticket-resolve').textContent = t.state === 'resolved' ? 'Reopen' : 'Mark resolved';
    } catch (err) {
      announce(status, err.message, 'error');
    }
  }

  async function load() {
    try {
      const { items } = await api('GET', '/api/v1/tickets');
      $('tickets-empty').hidden = items.length > 0;
      $('ticket-list').replaceChildren(...items.map((t) => el('li', { id: `ticket-${t.id}` },
        el('button', { class: 'btn btn-ghost ticket-open', type: 'button', onclick: () => show(t.id) },
          `#${t.id} ${t.subject}`),
        el('span', { class: `ticket-state ticket-state-${t.state}` }, STATES[t.state] || t.state),
        el('span', { class: 'subtle' }, ` ${clockText(t)}`))));
      const m = /^#ticket-(\d+)$/.exec(location.hash);
      if (m && !current) show(Number(m[1]));
    } catch (err) {
      announce(status, err.message, 'error');
    }
  }

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearFieldErrors(form);
    const fields = { category: $('ticket-category'), subject: $('ticket-subject'), message: $('ticket-message'), attachments: $('ticket-files') };
    try {
      const attachments = await filesToAttachments($('ticket-files'));
      const t = await api('POST', '/api/v1/tickets', {
        json: { category: fields.category.value, subject: fields.subject.value.trim(), message: fields.message.value, attachments },
      });
      form.reset();
      announce(status, `Ticket ${t.id} opened. A person answers within 72 hours.`, 'success');
      await load();
      show(t.id);
    } catch (err) {
      if (!showApiFieldError(err, fields)) announce(status, err.message, 'error');
    }
  });

  $('ticket-reply-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!current) return;
    try {
      const attachments = await filesToAttachments($('ticket-reply-files'));
      await api('POST', `/api/v1/tickets/${current.id}/messages`, { json: { body: $('ticket-reply').value, attachments } });
      $('ticket-reply-form').reset();
      announce(status, 'Answer sent.', 'success');
      await show(current.id);
      load();
    } catch (err) {
      announce(status, err.message, 'error');
    }
  });

  $('ticket-resolve').addEventListener('click', async () => {
    if (!current) return;
    try {
      await api('POST', `/api/v1/tickets/${current.id}/state`, { json: { state: current.state === 'resolved' ? 'open' : 'resolved' } });
      await show(current.id);
      load();
    } catch (err) {
      announce(status, err.message, 'error');
    }
  });

  load();
}
