// The login-free contact page (FW-17). Without ?t=: the form (POST /api/v1/contact). With ?t=TOKEN from the
// emailed link: verify it once, keep the ticket-scoped access token in this tab (sessionStorage), show the thread
// and let the person answer. No session cookie is used; the token goes in the Authorization header.
import { announce, el, clearFieldErrors, showApiFieldError, ApiError } from '/static/api.js';
import { filesToAttachments, renderThread, clockText, CATEGORIES, STATES } from '/static/tickets.js';

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
  if (!res.ok) return announce($('contact-reply-status'), `Could not download ${a.name}.`, 'error');
  const url = URL.createObjectURL(await res.blob());
  const link = el('a', { href: url, download: a.name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

async function showThread(token) {
  const t = await call('GET', '/api/v1/contact/ticket', { token });
  $('contact-new').hidden = true;
  $('contact-followup').hidden = false;
  $('contact-thread-title').textContent = `Your request ${t.id}: ${t.subject}`;
  $('contact-meta').textContent = `${CATEGORIES[t.category] || t.category} · ${STATES[t.state] || t.state} · ${clockText(t)}. `
    + 'Keep this tab open, or use the link in the next email we send you.';
  renderThread($('contact-thread'), t, { download: (a) => download(token, a) });
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
    return announce(status, 'Give your email so we can answer you. Only a safety report may be sent without one.', 'error');
  }
  $('contact-submit').disabled = true;
  try {
    const attachments = await filesToAttachments(fields.attachments);
    const r = await call('POST', '/api/v1/contact', {
      json: { ...(email ? { email } : {}), category: fields.category.value, subject: fields.subject.value.trim(), message: fields.message.value, attachments, language: document.documentElement.lang === 'fr' ? 'fr' : 'en' },
    });
    form.reset();
    announce(status, r.detail, 'success');
  } catch (err) {
    if (err.status === 429) announce(status, `Too many requests; try again in ${Math.ceil((err.retryAfter || 60) / 60)} minutes.`, 'error');
    else if (!showApiFieldError(err, fields)) announce(status, err.message, 'error');
  } finally {
    $('contact-submit').disabled = false;
  }
});

$('contact-reply-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const token = sessionStorage.getItem(STORE);
  const status = $('contact-reply-status');
  try {
    const attachments = await filesToAttachments($('contact-reply-files'));
    await call('POST', '/api/v1/contact/ticket/messages', { token, json: { body: $('contact-reply').value, attachments } });
    $('contact-reply-form').reset();
    announce(status, 'Answer sent.', 'success');
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
    ? 'This link was already used or has expired. Send the form again to get a new one.'
    : err.message, 'error');
}
