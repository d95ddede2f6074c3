// Tickets (FW-17): the worker page's "Help and tickets" section (mountTickets), and what the support page and the
// login-free contact page share with it: rendering a thread, reading chosen files as attachments, time-left text.
// Hooks in #tickets: #ticket-form (#ticket-category, #ticket-subject, #ticket-message, #ticket-files,
// #ticket-submit), #ticket-list, #tickets-empty, #ticket-view (#ticket-view-title, #ticket-meta, #ticket-thread,
// #ticket-reply-form, #ticket-reply, #ticket-reply-files, #ticket-resolve), #tickets-status (aria-live).
import { announce, api, el, showApiFieldError, clearFieldErrors } from '/static/api.js';
import { formatDateTime, formatNumber, t } from '/static/i18n.js';

export const ATTACHMENT_MAX = 2 * 1024 * 1024;
export const ATTACHMENTS_MAX = 5;
const CATEGORY_KEYS = {
  pay: 'tickets.category.pay', task: 'tickets.category.task', account: 'tickets.category.account',
  region: 'tickets.category.region', safety: 'tickets.category.safety', other: 'tickets.category.other',
};
const STATE_KEYS = { open: 'tickets.state.open', waiting_for_worker: 'tickets.state.waiting_for_worker', resolved: 'tickets.state.resolved' };
// Read at use, in the page's language: {code: text}.
const translated = (keys) => new Proxy(keys, { get: (o, k) => (Object.hasOwn(o, k) ? t(o[k]) : undefined) });
export const CATEGORIES = translated(CATEGORY_KEYS);
export const STATES = translated(STATE_KEYS);

/** The files of an <input type=file> as [{name, content_type, data_base64}]; throws Error on a bound. */
export async function filesToAttachments(input) {
  const files = [...(input?.files || [])];
  if (files.length > ATTACHMENTS_MAX) throw new Error(t('tickets.too_many_files', { max: ATTACHMENTS_MAX }));
  const out = [];
  for (const f of files) {
    if (f.size > ATTACHMENT_MAX) throw new Error(t('tickets.file_too_large', { name: f.name }));
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
  const text = durationText(Math.abs(ms));
  return late ? t('tickets.late', { time: text }) : t('tickets.left', { time: text });
}

/** "2 d 5 h", "3 h 10 min", "4 min" from milliseconds. */
function durationText(ms) {
  let m = Math.floor(ms / 60000);
  const d = Math.floor(m / 1440);
  m -= d * 1440;
  const h = Math.floor(m / 60);
  m -= h * 60;
  const n = formatNumber;
  return d ? t('tickets.duration_dh', { d: n(d), h: n(h) }) : h ? `${n(h)} h ${n(m)} min` : `${n(m)} min`;
}

const when = (iso) => (iso ? formatDateTime(iso) : '');

/**
 * Fills `list` (an <ol>) with a ticket's messages. attachmentHref(att) gives each attachment's link, or null for
 * a button calling download(att) (the contact page fetches with its bearer token).
 */
export function renderThread(list, ticket, { attachmentHref = null, download = null, staffView = false } = {}) {
  list.replaceChildren(...(ticket.messages || []).map((m) => {
    const person = ticket.source === 'anonymous' ? t('tickets.anonymous')
      : m.author_name || (ticket.source === 'contact' ? t('tickets.person_contact') : t('tickets.person'));
    const who = m.staff ? t('tickets.staff', { name: m.author_name || t('tickets.support') }) : staffView ? person : t('tickets.you');
    const atts = (m.attachments || []).map((a) => el('li', {},
      attachmentHref ? el('a', { href: attachmentHref(a), download: a.name }, a.name)
        : el('button', { class: 'btn btn-ghost btn-small', type: 'button', onclick: () => download(a) }, a.name),
      ` (${t('tickets.kib', { size: formatNumber(Math.ceil(a.size / 1024)) })})`));
    return el('li', { class: `ticket-msg${m.staff ? ' ticket-msg-staff' : ''}` },
      el('p', { class: 'ticket-msg-head' }, el('strong', {}, who), ' · ', el('time', { datetime: m.created_at }, when(m.created_at))),
      el('p', { class: 'ticket-msg-body' }, m.body),
      atts.length ? el('ul', { class: 'ticket-atts', 'aria-label': t('tickets.attachments') }, atts) : null);
  }));
}

/** One line about a ticket's first-response clock. */
export function clockText(ticket) {
  if (ticket.state === 'resolved') return t('tickets.clock_resolved', { when: when(ticket.resolved_at) });
  if (ticket.first_response_at) return t('tickets.clock_answered', { time: durationText(Math.abs(ticket.first_response_ms)) });
  if (ticket.escalated) return t('tickets.clock_escalated', { when: when(ticket.escalated_at) });
  return t('tickets.clock_due', { when: when(ticket.due_at), left: timeLeft(ticket.response_ms_left) });
}

let reload = async () => {};
/** Renders the worker page's section again (after a language change). */
export const refreshTickets = () => reload();

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
      const ticket = await api('GET', `/api/v1/tickets/${id}`);
      current = ticket;
      $('ticket-view').hidden = false;
      $('ticket-view-title').textContent = t('tickets.view_title', { id: ticket.id, subject: ticket.subject });
      $('ticket-meta').textContent = `${CATEGORIES[ticket.category] || ticket.category} · ${STATES[ticket.state] || ticket.state} · ${clockText(ticket)}`;
      renderThread($('ticket-thread'), ticket, { attachmentHref: (a) => `/api/v1/ticket-attachments/${a.id}` });
      $('ticket-resolve').textContent = ticket.state === 'resolved' ? t('tickets.reopen') : t('tickets.resolve');
    } catch (err) {
      announce(status, err.message, 'error');
    }
  }

  async function load() {
    try {
      const { items } = await api('GET', '/api/v1/tickets');
      $('tickets-empty').hidden = items.length > 0;
      $('ticket-list').replaceChildren(...items.map((ticket) => el('li', { id: `ticket-${ticket.id}` },
        el('button', { class: 'btn btn-ghost ticket-open', type: 'button', onclick: () => show(ticket.id) },
          `#${ticket.id} ${ticket.subject}`),
        el('span', { class: `ticket-state ticket-state-${ticket.state}` }, STATES[ticket.state] || ticket.state),
        el('span', { class: 'subtle' }, ` ${clockText(ticket)}`))));
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
      const ticket = await api('POST', '/api/v1/tickets', {
        json: { category: fields.category.value, subject: fields.subject.value.trim(), message: fields.message.value, attachments },
      });
      form.reset();
      announce(status, t('tickets.opened', { id: ticket.id }), 'success');
      await load();
      show(ticket.id);
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
      announce(status, t('tickets.answer_sent'), 'success');
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

  reload = async () => {
    await load();
    if (current) await show(current.id);
  };
  load();
}
