// Admin risk-score panel, section#risk-panel of /admin: the published rule table and one worker's score.
// Hooks: #risk-rules (tbody, tr[data-rule]), #risk-user (number input), #risk-show (button), #risk-result
//   (dl: score, action, fired rules, signals, effect), #risk-decide (an open proposal's buttons:
//   button[data-step="requalification"|"email"] approve a step-up, button[data-decision="approve"|"dismiss"]),
//   #risk-status (aria-live).
import { announce, api, el } from '/static/api.js';

let section;
const $ = (id) => section.querySelector(`#${id}`);

function ruleRow(r) {
  return el('tr', { dataset: { rule: r.id } },
    el('td', {}, r.id), el('td', {}, r.reads), el('td', {}, r.threshold), el('td', { class: 'num' }, String(r.points)));
}

function showScore(s) {
  const effect = s.effect ? `quality event ${s.effect.quality_event_id} (${s.effect.state})` : 'none';
  const pairs = [
    ['Score', `${s.score} / 100`],
    ['Action', s.action],
    ['Rules that fired', s.fired.length ? s.fired.map((f) => `${f.id} (+${f.points})`).join(', ') : 'none'],
    ['Signals', Object.entries(s.signals || {}).map(([k, v]) => `${k}: ${v}`).join(', ') || 'not evaluated yet'],
    ['Effect', effect],
    ['Evaluated', s.evaluated_at || 'never'],
  ];
  $('risk-result').replaceChildren(...pairs.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
  $('risk-decide').replaceChildren(...(s.effect && s.effect.state === 'open' ? decideButtons(s) : []));
}

// A proposal takes effect only when a human approves it (FW-19); for a step-up the human picks the step (FW-25).
function decideButtons(s) {
  const send = async (body, done) => {
    try {
      await api('POST', `/api/v1/quality-events/${s.effect.quality_event_id}/decide`, { json: body });
      announce($('risk-status'), done, 'success');
      showScore(await api('GET', `/api/v1/users/${s.user_id}/risk`));
    } catch (err) {
      announce($('risk-status'), err.detail || err.message, 'error');
    }
  };
  const button = (label, data, body, done) => {
    const b = el('button', { class: 'btn btn-small', type: 'button', dataset: data }, label);
    b.addEventListener('click', () => send(body, done));
    return b;
  };
  const approve = s.action === 'step_up'
    ? [button('Approve: re-qualification', { step: 'requalification' }, { decision: 'approve', step: 'requalification' },
      'Re-qualification started; a passed test taken away is a decision the worker can appeal.'),
    button('Approve: email re-verification', { step: 'email' }, { decision: 'approve', step: 'email' },
      'Confirmation link emailed; the worker gets no new work until they open it.')]
    : [button('Approve: reviewed tier', { decision: 'approve' }, { decision: 'approve' },
      'Every later answer is reviewed; the worker can appeal the decision.')];
  return [...approve, button('Dismiss', { decision: 'dismiss' }, { decision: 'dismiss' }, 'Dismissed; nothing changes.')];
}

export async function mount(sec) {
  section = sec;
  section.append(
    el('table', { class: 'table' },
      el('thead', {}, el('tr', {}, el('th', {}, 'Rule'), el('th', {}, 'Reads'), el('th', {}, 'Threshold'), el('th', {}, 'Points'))),
      el('tbody', { id: 'risk-rules' })),
    el('p', { class: 'subtle', id: 'risk-actions' }),
    el('div', { class: 'risk-lookup' },
      el('label', { for: 'risk-user' }, 'Worker id '),
      el('input', { id: 'risk-user', type: 'number', min: '1', inputmode: 'numeric' }),
      el('button', { id: 'risk-show', class: 'btn btn-secondary', type: 'button' }, 'Show score')),
    el('dl', { id: 'risk-result', class: 'risk-result' }),
    el('div', { id: 'risk-decide', class: 'risk-decide' }),
    el('p', { id: 'risk-status', class: 'status', 'aria-live': 'polite' }));
  const rules = await api('GET', '/api/v1/risk/rules');
  $('risk-rules').replaceChildren(...rules.rules.map(ruleRow));
  $('risk-actions').textContent = rules.actions.map((a) => `From ${a.at_score}: ${a.action} — ${a.effect}.`).join(' ')
    + ` ${rules.never}.`;
  $('risk-show').addEventListener('click', async () => {
    const id = Number($('risk-user').value);
    if (!Number.isInteger(id) || id < 1) {
      announce($('risk-status'), 'Enter a worker id.', 'error');
      return;
    }
    try {
      showScore(await api('GET', `/api/v1/users/${id}/risk`));
      announce($('risk-status'), '', 'success');
    } catch (err) {
      announce($('risk-status'), err.detail || err.message, 'error');
    }
  });
}
