// Admin panel: region policy (FW-15). Propose a change of a country's state (422 lists every missing field),
// approve or reject other admins' proposals (the two-person rule: no Approve button on your own, and the server
// refuses it anyway), and a timeline of each country's changes with who proposed and decided them, and when.
// Hooks inside section#regions-panel: form#region-form (#region-country, #region-to, #region-reason,
//   #region-explanation, #region-basis, #region-reference, #region-effective, #region-emergency,
//   #region-emergency-reason), #region-status (aria-live), ul#region-problems, table#region-proposals
//   (tr[data-change-id] with input.region-note, button[data-decision]), #region-timeline (section[data-country]
//   with li[data-change-id][data-state]); the section gets data-ready="true" once the first list is drawn.
import { api, announce, el, readCookie } from '/static/api.js';

const day = (iso) => (iso ? new Date(iso).toISOString().slice(0, 10) : '–');

function field(id, label, input) {
  input.id = id;
  return el('div', { class: 'field' }, el('label', { for: id }, label), input);
}

export async function mount(section) {
  const status = el('p', { id: 'region-status', class: 'status', role: 'status', 'aria-live': 'polite', hidden: true });
  const problems = el('ul', { id: 'region-problems', class: 'field-errors' });
  const opt = (v, t) => el('option', { value: v }, t);
  const form = el('form', { id: 'region-form', novalidate: true },
    el('h2', {}, 'Propose a change'),
    field('region-country', 'Country (ISO code)', el('input', { maxlength: 2, size: 3, required: true })),
    field('region-to', 'New state', el('select', {}, opt('signups_paused', 'Pause new sign-ups'),
      opt('winding_down', 'Wind down (work stops on the effective date)'), opt('open', 'Open (reopen or call off)'))),
    field('region-reason', 'Reason (internal and in the history)', el('textarea', { rows: 2 })),
    field('region-explanation', 'Public explanation (region page, sign-up refusals, notices)', el('textarea', { rows: 2 })),
    field('region-basis', 'Legal basis', el('select', {}, opt('', '– none (reopening only)'), opt('sanctions', 'Sanctions'),
      opt('local_law', 'Local law'), opt('payment_rail', 'Payment rail unavailable'))),
    field('region-reference', 'Reference (list entry, law, provider notice)', el('input', {})),
    field('region-effective', 'Effective date (winding down: at least 30 days after approval)', el('input', { type: 'date' })),
    el('div', { class: 'field' }, el('label', {}, el('input', { type: 'checkbox', id: 'region-emergency' }), ' Emergency: shorten the notice')),
    field('region-emergency-reason', 'Emergency reason', el('input', {})),
    el('button', { class: 'btn', type: 'submit' }, 'Propose'), problems);
  const proposals = el('table', { id: 'region-proposals', class: 'table' });
  const timeline = el('div', { id: 'region-timeline' });
  section.append(status, form, el('h2', {}, 'Waiting for a second admin'), proposals, el('h2', {}, 'Timeline per country'), timeline);

  const val = (id) => section.querySelector(`#${id}`).value.trim();
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    problems.replaceChildren();
    const body = { country: val('region-country').toUpperCase(), to: val('region-to'), reason: val('region-reason'),
      explanation: val('region-explanation') };
    if (val('region-basis')) body.legal_basis = val('region-basis');
    if (val('region-reference')) body.legal_reference = val('region-reference');
    if (val('region-effective')) body.effective_at = val('region-effective');
    if (section.querySelector('#region-emergency').checked) {
      body.emergency = true;
      body.emergency_reason = val('region-emergency-reason');
    }
    // fetch, not api(): the 422 reply's problems list names every missing field, and api() keeps only `field`
    let res, reply = {};
    try {
      res = await fetch('/api/v1/region-changes', { method: 'POST', credentials: 'same-origin', cache: 'no-store',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': readCookie('fl_csrf') }, body: JSON.stringify(body) });
      reply = await res.json();
    } catch {
      announce(status, 'Cannot reach the server. Check your connection and try again.', 'error');
      return;
    }
    if (!res.ok) {
      announce(status, reply.title || `HTTP ${res.status}`, 'error');
      problems.replaceChildren(...(reply.problems || [{ field: reply.field || '', detail: reply.detail }])
        .map((p) => el('li', {}, `${p.field}: ${p.detail}`)));
      return;
    }
    announce(status, `Change ${reply.id} proposed for ${reply.country}; another admin must approve it.`, 'success');
    form.reset();
    await reload();
  });

  async function decide(c, decision, note) {
    try {
      await api('POST', `/api/v1/region-changes/${c.id}/${decision}`, { json: note ? { note } : {} });
      announce(status, `Change ${c.id} ${decision === 'approve' ? 'approved: notices sent' : 'rejected'}.`, 'success');
      await reload();
    } catch (err) {
      announce(status, err.detail, 'error');
    }
  }

  // names of admins for the proposals and the timeline; an id stands in for one not listed
  const names = new Map();
  const who = (id) => names.get(id) || `admin #${id}`;
  const me = await api('GET', '/api/v1/me');

  async function reload() {
    const [{ items }, admins] = await Promise.all([api('GET', '/api/v1/region-changes'),
      api('GET', '/api/v1/users?role=admin&limit=1000')]);
    for (const u of admins.items) names.set(u.id, u.display_name);
    const pending = items.filter((c) => c.state === 'proposed');
    proposals.replaceChildren(
      el('thead', {}, el('tr', {}, ['Country', 'Change', 'Reason and basis', 'Effective', 'Proposed by', ''].map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, pending.length ? pending.map((c) => {
        const note = el('input', { type: 'text', class: 'region-note', 'aria-label': `Note on change ${c.id}`, placeholder: 'Note (needed to reject)' });
        const own = c.proposed_by === me.id;
        return el('tr', { dataset: { changeId: String(c.id) } },
          el('td', {}, c.country), el('td', {}, `${c.from} → ${c.to}${c.emergency ? ' (emergency)' : ''}`),
          el('td', {}, `${c.reason} · ${c.legal_basis || 'no basis'} ${c.legal_reference}`),
          el('td', {}, day(c.effective_at)), el('td', {}, `${who(c.proposed_by)}, ${day(c.created_at)}`),
          el('td', {}, note,
            own ? el('span', { class: 'subtle region-own' }, 'You proposed it: another admin must approve it. ')
              : el('button', { type: 'button', class: 'btn btn-small', dataset: { decision: 'approve' }, onclick: () => decide(c, 'approve', note.value.trim()) }, 'Approve'),
            el('button', { type: 'button', class: 'btn btn-ghost btn-small', dataset: { decision: 'reject' }, onclick: () => decide(c, 'reject', note.value.trim()) },
              own ? 'Withdraw' : 'Reject')));
      }) : el('tr', {}, el('td', { colspan: 6 }, 'No proposals waiting.'))));
    const byCountry = new Map();
    for (const c of items) byCountry.set(c.country, [...(byCountry.get(c.country) || []), c]);
    const step = (c) => {
      const parts = [`${day(c.created_at)} proposed by ${who(c.proposed_by)}`];
      if (c.approved_by) parts.push(`${day(c.decided_at)} approved by ${who(c.approved_by)} (${c.notices} workers notified)`);
      if (c.rejected_by) parts.push(`${day(c.decided_at)} rejected by ${who(c.rejected_by)}: ${c.decision_note}`);
      if (c.applied_at && c.state === 'applied') parts.push(`${day(c.applied_at)} applied`);
      return el('li', { dataset: { changeId: String(c.id), state: c.state } },
        el('strong', {}, `${c.from} → ${c.to}`), ` (${c.state})`, c.effective_at ? `, effective ${day(c.effective_at)}` : '',
        el('ul', {}, parts.map((t) => el('li', {}, t))));
    };
    // oldest first, so the timeline reads in order
    timeline.replaceChildren(...[...byCountry.entries()].sort().map(([cc, list]) => el('section', { dataset: { country: cc } },
      el('h3', {}, cc), el('ol', {}, [...list].reverse().map(step)))));
  }
  await reload();
  section.dataset.ready = 'true';
}
