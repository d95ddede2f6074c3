// Admin panel for due process, section#due-process-panel of /admin: propose restrictions and approve or confirm
// others' (two people, FW-19), decide open appeals (FW-20), publish terms (FW-14) and review recent decisions.
// Hooks: #dp-restrict-form, #dp-restrictions-body (tr[data-restriction-id][data-state] with
//   button[data-action="approve"|"confirm"]), #dp-appeals-body (tr[data-appeal-id] with select[data-role="outcome"],
//   input[data-role="note"], button[data-action="decide"]), #dp-terms-form, #dp-decisions-body, #dp-admin-status.
import { announce, api, el } from '/static/api.js';

let section;
const status = () => section.querySelector('#dp-admin-status');
const when = (iso) => (iso ? new Date(iso).toLocaleString() : '');

async function act(fn, done) {
  try {
    announce(status(), done(await fn()), 'success');
  } catch (err) {
    announce(status(), err.detail || err.message, 'error');
  }
  await refresh();
}

function restrictionRow(r) {
  const actions = el('td', {});
  if (r.state === 'proposed') {
    const b = el('button', { class: 'btn btn-small', type: 'button', dataset: { action: 'approve' } }, 'Approve');
    b.addEventListener('click', () => act(() => api('POST', `/api/v1/restrictions/${r.id}/approve`, { json: {} }),
      (x) => `Restriction ${x.id} is in force${x.confirmed_by ? '' : ' as an emergency hold: it lapses in 7 days unless another admin confirms it'}.`));
    actions.append(b);
  } else if (r.state === 'active' && r.confirmed_by === null) {
    const b = el('button', { class: 'btn btn-small', type: 'button', dataset: { action: 'confirm' } }, 'Confirm');
    b.addEventListener('click', () => act(() => api('POST', `/api/v1/restrictions/${r.id}/confirm`, { json: {} }),
      (x) => `Emergency hold ${x.id} confirmed.`));
    actions.append(b);
  }
  return el('tr', { dataset: { restrictionId: String(r.id), state: r.state } },
    el('td', {}, String(r.id)), el('td', {}, r.user_email), el('td', {}, r.kind, r.emergency ? ' (emergency)' : ''),
    el('td', {}, r.rule), el('td', {}, r.evidence), el('td', {}, r.state),
    el('td', {}, `#${r.proposed_by}`, r.approved_by ? ` / #${r.approved_by}` : ''), actions);
}

function appealRow(a) {
  const outcome = el('select', { dataset: { role: 'outcome' }, 'aria-label': `Outcome of appeal ${a.id}` },
    el('option', { value: 'overturned' }, 'Overturn'), el('option', { value: 'upheld' }, 'Uphold'));
  const note = el('input', { type: 'text', maxlength: '2000', dataset: { role: 'note' }, placeholder: 'why (the worker reads it)', 'aria-label': `Note for appeal ${a.id}` });
  const b = el('button', { class: 'btn btn-small', type: 'button', dataset: { action: 'decide' } }, 'Decide');
  b.addEventListener('click', () => act(
    () => api('POST', `/api/v1/appeals/${a.id}/decide`, { json: { outcome: outcome.value, note: note.value.trim() } }),
    (x) => `Appeal ${x.id} ${x.state}.`));
  return el('tr', { dataset: { appealId: String(a.id) } },
    el('td', {}, String(a.id)), el('td', {}, a.worker_email), el('td', {}, `${a.decision_kind} · ${a.rule}`),
    el('td', {}, a.evidence), el('td', {}, a.statement), el('td', {}, when(a.due_at)), el('td', {}, outcome, note, b));
}

const KIND_LABELS = {
  rejection: 'rejection', hold: 'hold', deactivation: 'deactivation', qualification_removal: 'qualification removal',
  pay_refusal: 'pay refusal', review_tier: 'review tier (risk score)',
};

async function refresh() {
  try {
    const [restrictions, appeals, decisions] = await Promise.all([
      api('GET', '/api/v1/restrictions'), api('GET', '/api/v1/appeals'), api('GET', '/api/v1/decisions')]);
    section.querySelector('#dp-restrictions-body').replaceChildren(...restrictions.items.map(restrictionRow));
    section.querySelector('#dp-appeals-body').replaceChildren(...appeals.items.map(appealRow));
    section.querySelector('#dp-decisions-body').replaceChildren(...decisions.items.slice(0, 50).map((d) => el('tr', {},
      el('td', {}, String(d.id)), el('td', {}, `#${d.worker_id}`), el('td', {}, KIND_LABELS[d.kind] || d.kind), el('td', {}, d.rule),
      el('td', {}, d.decided_by ? `#${d.decided_by}` : 'automated (no effect until confirmed)'), el('td', {}, d.state),
      el('td', {}, d.appeal ? d.appeal.state : '—'))));
  } catch (err) {
    announce(status(), `Could not load: ${err.message}`, 'error');
  }
}

const field = (label, input) => el('label', {}, label, input);

export async function mount(s) {
  section = s;
  const user = el('input', { type: 'number', min: '1', required: true, name: 'user' });
  const kind = el('select', { name: 'kind' }, ['restriction', 'suspension', 'deactivation'].map((k) => el('option', { value: k }, k)));
  const rule = el('input', { type: 'text', maxlength: '200', required: true, name: 'rule', placeholder: 'account:duplicate_accounts' });
  const evidence = el('textarea', { rows: '2', maxlength: '2000', required: true, name: 'evidence' });
  const emergency = el('input', { type: 'checkbox', name: 'emergency' });
  const rform = el('form', { id: 'dp-restrict-form' }, field('Worker id', user), field('Kind', kind), field('Rule', rule),
    field('Evidence the worker reads', evidence), field('Emergency hold (lapses in 7 days unless a second admin confirms)', emergency),
    el('button', { class: 'btn btn-small', type: 'submit' }, 'Propose'));
  rform.addEventListener('submit', (ev) => {
    ev.preventDefault();
    act(() => api('POST', `/api/v1/users/${user.value}/restrictions`, {
      json: { kind: kind.value, rule: rule.value.trim(), evidence: evidence.value.trim(), emergency: emergency.checked },
    }), (x) => `Restriction ${x.id} proposed; another admin approves it${emergency.checked ? ' (or you, as an emergency hold)' : ''}.`);
  });
  const summary = el('input', { type: 'text', maxlength: '1000', required: true, name: 'summary' });
  const body = el('textarea', { rows: '4', required: true, name: 'body' });
  const days = el('input', { type: 'number', min: '0', max: '3650', value: '30', name: 'notice_days' });
  const reason = el('input', { type: 'text', maxlength: '2000', name: 'emergency_reason', placeholder: 'only for a legal or security emergency' });
  const tform = el('form', { id: 'dp-terms-form' }, field('Summary', summary), field('Text', body), field('Days of notice (30 or more)', days),
    field('Emergency reason', reason), el('button', { class: 'btn btn-small', type: 'submit' }, 'Publish'));
  tform.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const json = { summary: summary.value.trim(), body: body.value, notice_days: Number(days.value) };
    if (reason.value.trim()) json.emergency_reason = reason.value.trim();
    act(() => api('POST', '/api/v1/terms', { json }), (x) => `Version ${x.version} published; it takes effect ${when(x.effective_at)}.`);
  });
  const table = (id, ...heads) => el('div', { class: 'table-wrap' }, el('table', { class: 'data-table' },
    el('thead', {}, el('tr', {}, heads.map((h) => el('th', { scope: 'col' }, h)))), el('tbody', { id })));
  section.append(
    el('h2', {}, 'Restrictions (two people)'), rform,
    table('dp-restrictions-body', 'Id', 'Worker', 'Kind', 'Rule', 'Evidence', 'State', 'Proposed / approved by', ''),
    el('h2', {}, 'Open appeals'), table('dp-appeals-body', 'Id', 'Worker', 'Decision', 'Evidence', 'Appeal', 'Due', 'Decide'),
    el('h2', {}, 'Publish terms'), tform,
    el('h2', {}, 'Recent decisions'), table('dp-decisions-body', 'Id', 'Worker', 'Kind', 'Rule', 'Decided by', 'State', 'Appeal'),
    el('p', { id: 'dp-admin-status', class: 'status', role: 'status', 'aria-live': 'polite', hidden: true }));
  await refresh();
}
