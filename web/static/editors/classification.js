// text_classification editor: the text, one button per label (keys 1–9). Single choice by default; with
// schema.multiple the buttons toggle and the answer is {"labels":[…]} instead of {"label":"…"}.
//
// Hooks:
//   #task-text, [data-testid="task-text"]          the text to classify
//   #labels, [data-testid="labels"]                 the label group
//   button[data-label="<label>"], [data-testid="label-<index>"]  one per label; aria-pressed="true" and class
//                                                   "selected" when chosen
//   plus the common hooks (shortcut-help, undo, redo, editor-status), see common.js
import { el } from '/static/api.js';
import { t } from '/static/i18n.js';
import { History, historyButtons, guardUnsaved, onKeys, schemaOf, shortcutHelp } from './common.js';

export function mount(container, { task, project, predictions = null, readOnly = false, onChange = () => {} } = {}) {
  const schema = schemaOf(project);
  const labels = schema.labels || [];
  const multiple = schema.multiple === true;
  const data = task?.data || {};

  let chosen = new Set();
  if (predictions && typeof predictions === 'object') {
    if (multiple && Array.isArray(predictions.labels)) chosen = new Set(predictions.labels.filter((l) => labels.includes(l)));
    else if (typeof predictions.label === 'string' && labels.includes(predictions.label)) chosen = new Set([predictions.label]);
  }

  const text = el('div', { id: 'task-text', class: 'task-text', 'data-testid': 'task-text' },
    typeof data.text === 'string' ? data.text : JSON.stringify(data, null, 2));
  const group = el('div', {
    id: 'labels', class: 'label-grid', role: 'group', 'data-testid': 'labels',
    'aria-label': multiple ? t('editors.classification.group_multiple') : t('editors.classification.group'),
  }, labels.map((label, i) => el('button', {
    type: 'button', class: 'label-btn', dataset: { label }, 'data-testid': `label-${i}`, 'aria-pressed': 'false',
    'aria-keyshortcuts': i < 9 ? String(i + 1) : null, disabled: readOnly,
  }, i < 9 ? el('kbd', {}, String(i + 1)) : null, el('span', {}, label))));

  let history;
  const render = () => {
    for (const b of group.querySelectorAll('[data-label]')) {
      const on = chosen.has(b.dataset.label);
      b.setAttribute('aria-pressed', String(on));
      b.classList.toggle('selected', on);
    }
  };
  history = new History(() => [...chosen], (v) => { chosen = new Set(v); render(); }, () => { buttons.update(); onChange(); });
  const buttons = historyButtons(history);

  function choose(label) {
    if (readOnly) return;
    if (multiple) {
      if (chosen.has(label)) chosen.delete(label); else chosen.add(label);
    } else {
      chosen = new Set([label]);
    }
    render();
    if (!history.commit()) onChange();
  }

  group.addEventListener('click', (ev) => {
    const b = ev.target.closest('[data-label]');
    if (b) choose(b.dataset.label);
  });

  const help = shortcutHelp([
    ['1–9', multiple ? t('editors.classification.toggle') : t('editors.classification.choose')],
    ['Enter', t('editors.submit')],
    ['Ctrl+Z / Ctrl+Shift+Z', t('editors.undo_redo')],
  ]);
  const toolbar = el('div', { class: 'editor-toolbar' }, multiple ? el('span', { class: 'subtle' }, t('editors.classification.several')) : null,
    readOnly ? null : buttons.node);
  const root = el('div', { class: 'editor editor-classification', 'data-testid': 'editor-text_classification' }, text, group, toolbar, help);
  container.append(root);
  render();

  const offKeys = onKeys(container, (ev) => {
    if (readOnly || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const target = ev.target;
    if (target instanceof Element && target.closest('input, textarea, select, [contenteditable="true"]')) return;
    if (/^[1-9]$/.test(ev.key)) {
      const b = group.querySelectorAll('[data-label]')[Number(ev.key) - 1];
      if (b) {
        ev.preventDefault();
        choose(b.dataset.label);
      }
    }
  }, history);
  const offGuard = readOnly ? () => {} : guardUnsaved(() => history.dirty());

  return {
    getAnswer() {
      return multiple ? { labels: labels.filter((l) => chosen.has(l)) } : { label: [...chosen][0] ?? null };
    },
    validate() {
      if (chosen.size === 0) return multiple ? t('editors.classification.need_one') : t('editors.classification.need_label');
      return null;
    },
    isDirty: () => history.dirty(),
    destroy() {
      offKeys();
      offGuard();
      root.remove();
    },
  };
}
