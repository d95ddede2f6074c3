// Worker panel section#announcements of /worker (FW-23): announced changes to pay rules, terms and benchmarks,
// with everyone's comments and a comment form while the comment period runs.
// Hooks: #announcement-list (li[data-announcement-id][data-open] each, form[data-role="comment"] while open),
//   #announcements-status (aria-live).
import { announce, api, el } from '/static/api.js';
import { formatDateTime, t } from '/static/i18n.js';

const $ = (id) => document.getElementById(id);
const when = (iso) => (iso ? formatDateTime(iso) : '');
const KINDS = {
  pay_rules: 'announcements.kind.pay_rules', terms: 'announcements.kind.terms',
  benchmarks: 'announcements.kind.benchmarks', other: 'announcements.kind.other',
};

async function item(a) {
  const full = await api('GET', `/api/v1/announcements/${a.id}`);
  const li = el('li', { dataset: { announcementId: String(a.id), open: String(a.comments_open) } },
    el('h3', {}, a.title),
    el('p', { class: 'subtle' }, `${Object.hasOwn(KINDS, a.kind) ? t(KINDS[a.kind]) : a.kind.replace('_', ' ')}`
      + ` · ${t('announcements.applies', { when: when(a.applies_at) })} · `
      + (a.comments_open ? t('announcements.comments_open', { when: when(a.comment_until) })
        : t('announcements.comments_closed', { when: when(a.comment_until) }))
      + (a.short_period_reason ? ` (${t('announcements.short_period', { reason: a.short_period_reason })})` : '')),
    el('p', {}, a.body),
    el('ol', { class: 'announcement-comments' }, full.comments.map((c) => el('li', {},
      el('strong', {}, c.author_name), ` (${when(c.created_at)}): `, c.body))));
  if (a.comments_open) {
    const text = el('textarea', { rows: '2', maxlength: '5000', required: true, 'aria-label': t('announcements.comment_label', { title: a.title }) });
    const form = el('form', { dataset: { role: 'comment' } }, text, el('button', { class: 'btn btn-small', type: 'submit' }, t('announcements.comment')));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      try {
        await api('POST', `/api/v1/announcements/${a.id}/comments`, { json: { body: text.value } });
        announce($('announcements-status'), t('announcements.posted'), 'success');
        await refresh();
      } catch (err) {
        announce($('announcements-status'), err.detail || err.message, 'error');
      }
    });
    li.append(form);
  }
  return li;
}

async function refresh() {
  const list = $('announcement-list');
  if (!list) return;
  try {
    const { items } = await api('GET', '/api/v1/announcements');
    list.replaceChildren(...(await Promise.all(items.slice(0, 20).map(item))));
    announce($('announcements-status'), items.length ? '' : t('announcements.empty'));
  } catch (err) {
    announce($('announcements-status'), err.detail || err.message, 'error');
  }
}

export function mountAnnouncements() { refresh(); }

/** Renders the section again (after a language change). */
export const refreshAnnouncements = () => refresh();
