// The login-free contact page (FW-17). Without ?t=: the form (POST /api/v1/contact). With ?t=TOKEN from the
// emailed link: verify it once, keep the ticket-scoped access token in this tab (sessionStorage), show the thread
// and let the person answer. No session cookie is used; the token goes in the Authorization header.
import { announce, el, clearFieldErrors, showApiFieldError, ApiError } from '/static/api.js';
import { filesToAttachments, renderThread, clockText, CATEGORIES, STATES } from '/static/tickets.js';
import { currentLanguage, t } from '/static/i18n.js';
import { mountLanguageSwitch } from '/static/language.js';

await mountLanguageSwitch();

const $ = (id) => document.getElementById(id);
const STORE = 'fl_contact_ticket';

async function call(method, path, { json, token } = {}) {
  const headers = { Accept: 'application/json' };
  if (json !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(path, { method, headers, body: json === undefined ? undefined : JSON.stringify(json), credentials: 'omit' });
  const text = await res.text();
  const data = text ? JSON.parse(text) : null;
  if (!res.ok) throw new ApiError(res.status, data || {}, res.headers.get('Retry-After'));
  return data;
}

async function download(token, a) {
  const res = await fetch(`/api/v1/contact/attachments/${a.id}`, { headers: { Authorization: `Bearer ${token}` }, credentials: 'omit' });
  if (!res.ok) return announce($('contact-reply-status'), t('contact.download_failed', { name: a.name }), 'error');
  const url = URL.createObjectURL(await res.blob());
  const link = el('a', { href: url, download: a.name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

async function showThread(token) {
  const ticket = await call('GET', '/api/v1/contact/ticket', { token });
  $('contact-new').hidden = true;
  $('contact-followup').hidden = false;
  $('contact-thread-title').textContent = t('contact.thread_title_n', { id: ticket.id, subject: ticket.subject });
  $('contact-meta').textContent = `${CATEGORIES[ticket.category] || ticket.category} · ${STATES[ticket.state] || ticket.state} · ${clockText(ticket)}. `
    + t('contact.keep_tab');
  renderThread($('contact-thread'), ticket, { download: (a) => download(token, a) });
}

const form = $('contact-form');
form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  clearFieldErrors(form);
  const status = $('contact-status');
  const fields = { email: $('contact-email'), category: $('contact-category'), subject: $('contact-subject'), message: $('contact-message'), attachments: $('contact-files') };
  const email = fields.email.value.trim();
  if (!email && fields.category.value !== 'safety') {
    fields.email.focus();
    return announce(status, t('contact.email_needed'), 'error');
  }
  $('contact-submit').disabled = true;
  try {
    const attachments = await filesToAttachments(fields.attachments);
    const r = await call('POST', '/api/v1/contact', {
      json: { ...(email ? { email } : {}), category: fields.category.value, subject: fields.subject.value.trim(), message: fields.message.value, attachments, language: currentLanguage() },
    });
    form.reset();
    announce(status, r.detail, 'success');
  } catch (err) {
    if (err.status === 429) announce(status, t('contact.too_many', { minutes: Math.ceil((err.retryAfter || 60) / 60) }), 'error');
    else if (!showApiFieldError(err, fields)) announce(status, err.message, 'error');
  } finally {
    $('contact-submit').disabled = false;
  }
});

// Enabled only now that the handler is attached (an earlier click would submit the form natively).
$('contact-submit').disabled = false;

$('contact-reply-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const token = sessionStorage.getItem(STORE);
  const status = $('contact-reply-status');
  try {
    const attachments = await filesToAttachments($('contact-reply-files'));
    await call('POST', '/api/v1/contact/ticket/messages', { token, json: { body: $('contact-reply').value, attachments } });
    $('contact-reply-form').reset();
    announce(status, t('tickets.answer_sent'), 'success');
    await showThread(token);
  } catch (err) {
    announce(status, err.message, 'error');
  }
});

// Start: follow the emailed link once, then drop it from the address bar (it cannot be used again anyway).
const link = new URLSearchParams(location.search).get('t');
try {
  if (link) {
    const r = await call('POST', '/api/v1/contact/verify', { json: { token: link } });
    sessionStorage.setItem(STORE, r.access_token);
    history.replaceState(null, '', '/contact');
  }
  const token = sessionStorage.getItem(STORE);
  if (token) await showThread(token);
} catch (err) {
  sessionStorage.removeItem(STORE);
  announce($('contact-status'), err.status === 410
    ? t('contact.link_used')
    : err.message, 'error');
}
