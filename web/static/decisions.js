// Worker panel for due process, section#due-process of /worker: the written statements of decisions about my work
// or account with an appeal form each (FW-18, FW-20), the terms to acknowledge (FW-14) and the data export (FW-22).
// Hooks: #dp-terms (li[data-version][data-status] with button[data-action="acknowledge"]), #dp-decisions
//   (li[data-decision-id][data-kind][data-state] with .dp-statement, and form[data-role="appeal"] with textarea +
//   button[data-action="appeal"] while the decision can be appealed), #dp-export (a link), #dp-status (aria-live).
import { announce, api, el } from '/static/api.js';

const $ = (id) => document.getElementById(id);
const when = (iso) => (iso ? new Date(iso).toLocaleString() : '');

function termsItem(t) {
  const li = el('li', { dataset: { version: String(t.version), status: t.status } },
    el('p', {}, el('strong', {}, `Version ${t.version}`), `: ${t.summary}`),
    el('p', { class: 'subtle' }, t.status === 'current' ? 'In force for you.'
      : `Takes effect ${when(t.effective_at)}${t.emergency ? ` as an emergency (${t.emergency_reason})` : ''}; `
        + (t.acknowledged_at ? `you acknowledged it ${when(t.acknowledged_at)}.` : 'it applies to you once you acknowledge it.')),
    el('details', {}, el('summary', {}, 'Read the terms'), el('pre', { class: 'dp-terms-body' }, t.body)));
  if (t.status === 'needs_acknowledgement') {
    const b = el('button', { class: 'btn btn-small', type: 'button', dataset: { action: 'acknowledge' } }, 'I acknowledge');
    b.addEventListener('click', async () => {
      b.disabled = true;
      try {
        await api('POST', `/api/v1/terms/${t.version}/acknowledge`, { json: {} });
        announce($('dp-status'), `You acknowledged version ${t.version} of the terms.`, 'success');
      } catch (err) {
        announce($('dp-status'), err.detail || err.message, 'error');
      }
      await refresh();
    });
    li.append(b);
  }
  return li;
}

function appealForm(d) {
  const text = el('textarea', { rows: '3', maxlength: '4000', required: true, 'aria-label': `Why decision ${d.id} is wrong` });
  const b = el('button', { class: 'btn btn-small', type: 'submit', dataset: { action: 'appeal' } }, 'Appeal');
  const form = el('form', { dataset: { role: 'appeal' } }, el('label', {}, 'Your appeal (a person other than the one who decided reads it)', text), b);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    b.disabled = true;
    try {
      const a = await api('POST', d.appeal_url, { json: { statement: text.value.trim() } });
      announce($('dp-status'), `Appeal filed; it is decided by ${when(a.due_at)} at the latest.`, 'success');
    } catch (err) {
      announce($('dp-status'), err.detail || err.message, 'error');
    }
    await refresh();
  });
  return form;
}

const KIND_LABELS = {
  rejection: 'rejection', hold: 'hold', deactivation: 'deactivation', qualification_removal: 'qualification removed',
  pay_refusal: 'pay refused', review_tier: 'every answer reviewed',
};

function decisionItem(d) {
  const a = d.appeal;
  const li = el('li', { dataset: { decisionId: String(d.id), kind: d.kind, state: d.state } },
    el('p', { class: 'decision-head' }, el('span', { class: 'badge' }, KIND_LABELS[d.kind] || d.kind), ' ', when(d.created_at),
      d.state !== 'in_force' ? el('span', { class: 'badge' }, d.state) : null),
    el('p', { class: 'dp-statement' }, d.statement));
  if (a) {
    li.append(el('p', { class: 'subtle' }, `Your appeal (${when(a.created_at)}): ${a.statement} — `,
      a.state === 'open' ? `open, decided by ${when(a.due_at)} at the latest`
        : `${a.state}${a.decided_by ? '' : ' (nobody decided it in 14 days, so it resolved for you)'}${a.note ? `: ${a.note}` : ''}`));
  } else if (Date.parse(d.appeal_deadline) > Date.now()) {
    li.append(appealForm(d));
  }
  return li;
}

async function refresh() {
  const status = $('dp-status');
  try {
    const [terms, decisions] = await Promise.all([api('GET', '/api/v1/terms'), api('GET', '/api/v1/me/decisions')]);
    const t = [...terms.pending, ...(terms.current ? [terms.current] : [])];
    $('dp-terms').replaceChildren(...t.map(termsItem));
    $('dp-terms-empty').hidden = t.length > 0;
    $('dp-decisions').replaceChildren(...decisions.items.map(decisionItem));
    $('dp-decisions-empty').hidden = decisions.items.length > 0;
  } catch (err) {
    if (err.status === 401) return location.replace('/login');
    announce(status, `Could not load your decisions and terms: ${err.message}`, 'error');
  }
}

export function mountDecisions() {
  if (!$('due-process')) return;
  refresh();
}
