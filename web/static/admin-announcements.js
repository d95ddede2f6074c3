// Admin panel section#announcements-panel (FW-23): announce a change with a comment period of at least 14 days
// (shorter only with a recorded reason), and read every announcement with its comments.
// Hooks: form#announce-form (#announce-kind, #announce-title, #announce-body, #announce-until, #announce-applies,
//   #announce-reason, #announce-rule), #announce-status (aria-live), ol#announce-list (li[data-announcement-id]).
import { announce, api, el } from '/static/api.js';

const when = (iso) => (iso ? new Date(iso).toLocaleString() : '');
const field = (id, label, input) => {
  input.id = id;
  return el('div', { class: 'field' }, el('label', { for: id }, label), input);
};

export async function mount(section) {
  const status = el('p', { id: 'announce-status', class: 'status', role: 'status', 'aria-live': 'polite' });
  const list = el('ol', { id: 'announce-list', class: 'announcement-list' });
  const opt = (v, t) => el('option', { value: v }, t);
  const inDays = (n) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);
  const form = el('form', { id: 'announce-form', novalidate: true },
    field('announce-kind', 'Kind', el('select', {}, opt('pay_rules', 'Pay rules'), opt('terms', 'Terms'),
      opt('benchmarks', 'Benchmarks'), opt('other', 'Other'))),
    field('announce-title', 'Title', el('input', { maxlength: 200 })),
    field('announce-body', 'What changes and why', el('textarea', { rows: 3 })),
    field('announce-until', 'Comments until (at least 14 days)', el('input', { type: 'date', value: inDays(15) })),
    field('announce-applies', 'Applies from', el('input', { type: 'date', value: inDays(30) })),
    field('announce-reason', 'Why the comment period is shorter (only if it is)', el('input', {})),
    field('announce-rule', 'Rule id it changes (optional, see /transparency)', el('input', {})),
    el('button', { class: 'btn', type: 'submit' }, 'Announce to every worker'));
  const v = (id) => form.querySelector(`#${id}`).value.trim();
  async function refresh() {
    const { items } = await api('GET', '/api/v1/announcements');
    list.replaceChildren(...(await Promise.all(items.slice(0, 20).map(async (a) => {
      const full = await api('GET', `/api/v1/announcements/${a.id}`);
      return el('li', { dataset: { announcementId: String(a.id) } }, el('strong', {}, a.title),
        ` (${a.kind}, ${a.source}; comments ${a.comments_open ? 'open' : 'closed'} until ${when(a.comment_until)})`,
        el('ol', {}, full.comments.map((c) => el('li', {}, `${c.author_name}: ${c.body}`))));
    }))));
  }
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const json = { kind: v('announce-kind'), title: v('announce-title'), body: v('announce-body'),
      comment_until: v('announce-until'), applies_at: v('announce-applies') };
    if (v('announce-reason')) json.short_period_reason = v('announce-reason');
    if (v('announce-rule')) json.rule_id = v('announce-rule');
    try {
      const a = await api('POST', '/api/v1/announcements', { json });
      announce(status, `Announcement ${a.id} sent to every worker.`, 'success');
      await refresh();
    } catch (err) {
      announce(status, err.detail || err.message, 'error');
    }
  });
  section.append(form, status, el('h2', {}, 'Announcements'), list);
  await refresh();
}
