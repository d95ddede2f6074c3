// llm_comparison editor: the prompt on top, the responses side by side (stacked on phones) rendered from
// Markdown by ./markdown.js (HTML in responses is shown as text), a preference (which response is better, or a
// tie when schema.allow_tie) with a strength from 1 to 7, ratings 1–5 for every criterion × response, and a
// rationale with a live code-point count against schema.rationale_min_chars. A tie is recorded with strength 1
// (the strength scale is disabled for a tie).
//
// Hooks:
//   [data-testid="prompt"]                          the rendered prompt
//   [data-testid="response-<id>"]                   a response card (its body: [data-testid="response-body-<id>"])
//   input[data-testid="choice-<id>"], input[data-testid="choice-tie"]   preference radios (keys A–D, T)
//   input[data-testid="strength-<1..7>"]            strength radios (keys 1–7)
//   input[data-testid="rating-<id>-<criterion>-<1..5>"]  rating radios
//   textarea[data-testid="rationale"], [data-testid="rationale-count"]   rationale and its live count
//   plus the common hooks (shortcut-help, undo, redo, editor-status), see common.js
import { el } from '/static/api.js';
import { formatNumber, t } from '/static/i18n.js';
import { History, cpLength, guardUnsaved, historyButtons, onKeys, shortcutHelp, statusLine } from './common.js';
import { renderMarkdown } from './markdown.js';

const LETTERS = 'ABCD';
const STRENGTH_HINT = { 1: 'editors.compare.slightly', 4: 'editors.compare.clearly', 7: 'editors.compare.much' };

let seq = 0;

export function mount(container, { task, project, predictions = null, readOnly = false, onChange = () => {} } = {}) {
  const schema = project?.schema || {};
  const criteria = Array.isArray(schema.criteria) ? schema.criteria : [];
  const allowTie = schema.allow_tie === true;
  const minChars = Number.isInteger(schema.rationale_min_chars) ? schema.rationale_min_chars : 0;
  const data = task?.data || {};
  const responses = Array.isArray(data.responses) ? data.responses.slice(0, 4) : [];
  const uid = `cmp${++seq}`;

  // ---- model ----
  let model = { choice: null, strength: null, ratings: {} };
  if (predictions && typeof predictions === 'object') {
    const p = predictions.preference || {};
    if (responses.some((r) => r.id === p.choice) || (allowTie && p.choice === 'tie')) model.choice = p.choice;
    if (Number.isInteger(p.strength) && p.strength >= 1 && p.strength <= 7) model.strength = p.strength;
    if (predictions.ratings && typeof predictions.ratings === 'object') model.ratings = JSON.parse(JSON.stringify(predictions.ratings));
  }

  // ---- DOM ----
  const status = statusLine();
  const md = (text, attrs) => {
    const node = el('div', { class: 'md', ...attrs });
    node.append(renderMarkdown(typeof text === 'string' ? text : ''));
    return node;
  };
  const letter = (i) => LETTERS[i] || String(i + 1);
  const respName = (r, i) => t('editors.compare.response', { letter: letter(i) });

  const promptBox = el('section', { class: 'cmp-prompt', 'aria-labelledby': `${uid}-prompt` },
    el('h3', { id: `${uid}-prompt` }, t('editors.compare.prompt')), md(data.prompt, { 'data-testid': 'prompt' }));
  const respGrid = el('div', { class: 'cmp-responses', dataset: { count: String(responses.length) } },
    responses.map((r, i) => el('section', { class: 'cmp-response', 'data-testid': `response-${r.id}`, 'aria-labelledby': `${uid}-r${i}` },
      el('h3', { id: `${uid}-r${i}` }, el('kbd', {}, letter(i)), ` ${respName(r, i)}`),
      md(r.text, { 'data-testid': `response-body-${r.id}` }))));

  const radio = (name, value, testid, label, extra = {}) => {
    const id = `${uid}-${name}-${value}`.replace(/[^\w-]/g, '_');
    return el('label', { class: 'radio', for: id },
      el('input', { type: 'radio', id, name: `${uid}-${name}`, value: String(value), 'data-testid': testid, disabled: readOnly, ...extra }),
      el('span', {}, label));
  };

  const choiceSet = el('fieldset', { class: 'cmp-choice' },
    el('legend', {}, t('editors.compare.which')),
    el('div', { class: 'radio-row' },
      responses.map((r, i) => radio('choice', r.id, `choice-${r.id}`, [el('kbd', {}, letter(i)), ` ${respName(r, i)}`])),
      allowTie ? radio('choice', 'tie', 'choice-tie', [el('kbd', {}, 'T'), ` ${t('editors.compare.tie')}`]) : null));
  const strengthSet = el('fieldset', { class: 'cmp-strength' },
    el('legend', {}, t('editors.compare.strength_question')),
    el('div', { class: 'radio-row strength-row' },
      [1, 2, 3, 4, 5, 6, 7].map((n) => radio('strength', n, `strength-${n}`, [el('strong', {}, String(n)), STRENGTH_HINT[n] ? el('small', {}, t(STRENGTH_HINT[n])) : null]))),
    el('p', { class: 'hint', hidden: true, dataset: { role: 'tie-hint' } }, t('editors.compare.tie_hint')));

  const ratingTable = criteria.length ? el('div', { class: 'cmp-ratings-wrap' }, el('table', { class: 'cmp-ratings' },
    el('caption', {}, t('editors.compare.rate_caption')),
    el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, t('editors.compare.criterion')), responses.map((r, i) => el('th', { scope: 'col' }, respName(r, i))))),
    el('tbody', {}, criteria.map((c) => el('tr', {},
      el('th', { scope: 'row' }, c),
      responses.map((r, i) => el('td', { 'data-label': respName(r, i) },
        el('div', { class: 'rating-cell', role: 'radiogroup', 'aria-label': `${c}, ${respName(r, i)}` },
          [1, 2, 3, 4, 5].map((n) => radio(`rate-${r.id}-${c}`, n, `rating-${r.id}-${c}-${n}`, String(n), { dataset: { resp: r.id, crit: c } })))))))))) : null;

  const rationale = el('textarea', {
    id: `${uid}-rationale`, rows: '4', 'data-testid': 'rationale', readonly: readOnly,
    'aria-describedby': `${uid}-rationale-count`,
  });
  if (predictions && typeof predictions.rationale === 'string') rationale.value = predictions.rationale;
  const initialRationale = rationale.value;
  const count = el('p', { class: 'hint char-count', id: `${uid}-rationale-count`, 'data-testid': 'rationale-count', 'aria-live': 'polite' });
  const rationaleBox = el('div', { class: 'field' },
    el('label', { for: rationale.id }, t('editors.compare.why')), rationale, count);

  const history = new History(() => model, (v) => { model = v; syncInputs(); }, () => { buttons.update(); onChange(); });
  const buttons = historyButtons(history);
  const help = shortcutHelp([
    ['A–D', t('editors.compare.key_choose')], ...(allowTie ? [['T', t('editors.compare.key_tie')]] : []), ['1–7', t('editors.compare.key_strength')],
    ['Ctrl+Z / Ctrl+Shift+Z', t('editors.undo_redo_outside')], ['Ctrl+Enter', t('editors.submit')],
  ]);

  const root = el('div', { class: 'editor editor-compare', 'data-testid': 'editor-llm_comparison' },
    promptBox, respGrid,
    el('div', { class: 'cmp-form' }, choiceSet, strengthSet, ratingTable, rationaleBox),
    el('div', { class: 'editor-toolbar' }, status.node, readOnly ? null : buttons.node), help);
  container.append(root);

  // ---- syncing ----
  function syncInputs() {
    for (const input of root.querySelectorAll('input[type="radio"]')) {
      const name = input.name.slice(uid.length + 1);
      if (name === 'choice') input.checked = model.choice === input.value;
      else if (name === 'strength') {
        input.checked = model.choice !== 'tie' && model.strength === Number(input.value);
        input.disabled = readOnly || model.choice === 'tie';
      } else if (input.dataset.resp) input.checked = model.ratings[input.dataset.resp]?.[input.dataset.crit] === Number(input.value);
    }
    strengthSet.querySelector('[data-role="tie-hint"]').hidden = model.choice !== 'tie';
    strengthSet.classList.toggle('is-disabled', model.choice === 'tie');
  }

  function updateCount() {
    const n = cpLength(rationale.value.trim());
    count.textContent = minChars ? `${t('editors.compare.count_min', { count: formatNumber(n), min: formatNumber(minChars) })}${n >= minChars ? ' ✓' : ''}`
      : t('editors.compare.count', { count: formatNumber(n) });
    count.dataset.ok = String(n >= minChars);
  }

  root.addEventListener('change', (ev) => {
    const input = ev.target;
    if (!(input instanceof HTMLInputElement) || input.type !== 'radio') return;
    const name = input.name.slice(uid.length + 1);
    if (name === 'choice') model.choice = input.value;
    else if (name === 'strength') model.strength = Number(input.value);
    else if (input.dataset.resp) {
      model.ratings[input.dataset.resp] = { ...(model.ratings[input.dataset.resp] || {}), [input.dataset.crit]: Number(input.value) };
    }
    syncInputs();
    history.commit();
  });
  rationale.addEventListener('input', () => { updateCount(); onChange(); });

  const offKeys = onKeys(container, (ev) => {
    if (readOnly || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const target = ev.target;
    if (target instanceof Element && target.closest('textarea, input[type="text"], select')) return;
    const k = ev.key.toUpperCase();
    const i = LETTERS.indexOf(k);
    if (i >= 0 && i < responses.length && k.length === 1) { model.choice = responses[i].id; }
    else if (k === 'T' && allowTie) { model.choice = 'tie'; }
    else if (/^[1-7]$/.test(k) && model.choice !== 'tie') { model.strength = Number(k); }
    else return;
    ev.preventDefault();
    syncInputs();
    history.commit();
  }, history);
  const offGuard = readOnly ? () => {} : guardUnsaved(() => history.dirty() || rationale.value !== initialRationale);

  syncInputs();
  updateCount();

  return {
    getAnswer() {
      const ratings = {};
      for (const r of responses) {
        ratings[r.id] = {};
        for (const c of criteria) ratings[r.id][c] = model.ratings[r.id]?.[c] ?? null;
      }
      return {
        preference: { choice: model.choice, strength: model.choice === 'tie' ? 1 : model.strength },
        ratings,
        rationale: rationale.value.trim(),
      };
    },
    validate() {
      if (responses.length < 2) return t('editors.compare.too_few');
      if (!model.choice) return allowTie ? t('editors.compare.need_choice_tie') : t('editors.compare.need_choice');
      if (model.choice !== 'tie' && !model.strength) return t('editors.compare.need_strength');
      for (const [i, r] of responses.entries()) {
        for (const c of criteria) {
          if (!model.ratings[r.id]?.[c]) return t('editors.compare.need_rating', { criterion: c, response: respName(r, i) });
        }
      }
      const n = cpLength(rationale.value.trim());
      if (n < minChars) return t('editors.compare.need_rationale', { min: formatNumber(minChars), count: formatNumber(n) });
      return null;
    },
    isDirty: () => history.dirty() || rationale.value !== initialRationale,
    destroy() {
      offKeys();
      offGuard();
      root.remove();
    },
  };
}
