// free_text editor: shows data.text and/or data.image (media id or URL) when present (other data as JSON), and a
// textarea with a live code-point count checked against schema.min_chars / schema.max_chars.
// The answer is {"text": "…"} exactly as typed (not trimmed); the count is in Unicode code points.
//
// Hooks:
//   [data-testid="task-text"]      the task's text (when data.text is a string)
//   [data-testid="task-image"]     the task's image (when data.image is present)
//   [data-testid="task-data"]      other task data, as JSON
//   textarea[data-testid="answer-text"], [data-testid="answer-count"] (data-ok="true|false")
//   plus the common hooks (shortcut-help, editor-status), see common.js
import { el } from '/static/api.js';
import { formatNumber, isOne, t } from '/static/i18n.js';
import { cpLength, guardUnsaved, imageUrl, shortcutHelp, statusLine } from './common.js';

let seq = 0;

export function mount(container, { task, project, predictions = null, readOnly = false, onChange = () => {} } = {}) {
  const schema = project?.schema || {};
  const min = Number.isInteger(schema.min_chars) ? schema.min_chars : 1;
  const max = Number.isInteger(schema.max_chars) ? schema.max_chars : null;
  const data = task?.data && typeof task.data === 'object' ? task.data : {};
  const id = `freetext-${++seq}`;
  const status = statusLine();

  const shown = [];
  if (typeof data.text === 'string') shown.push(el('div', { class: 'task-text', 'data-testid': 'task-text' }, data.text));
  const src = imageUrl(data.image);
  if (src) {
    const img = el('img', { src, alt: t('editors.task_image'), class: 'freetext-image', 'data-testid': 'task-image', decoding: 'async' });
    img.addEventListener('error', () => status.say(t('editors.image_failed'), 'error'));
    shown.push(el('a', { href: src, target: '_blank', rel: 'noopener', class: 'freetext-image-link', title: t('editors.image_open') }, img));
  }
  const rest = Object.fromEntries(Object.entries(data).filter(([k]) => k !== 'text' && !(k === 'image' && src)));
  if (Object.keys(rest).length) shown.push(el('pre', { class: 'task-data', 'data-testid': 'task-data' }, JSON.stringify(rest, null, 2)));

  const textarea = el('textarea', {
    id, rows: '6', 'data-testid': 'answer-text', readonly: readOnly, 'aria-describedby': `${id}-count`,
    spellcheck: 'true',
  });
  if (predictions && typeof predictions.text === 'string') textarea.value = predictions.text;
  const initial = textarea.value;
  const count = el('p', { class: 'hint char-count', id: `${id}-count`, 'data-testid': 'answer-count', 'aria-live': 'polite' });

  const update = () => {
    const n = cpLength(textarea.value);
    const ok = n >= min && (max === null || n <= max);
    const vars = { count: formatNumber(n), min: formatNumber(min), max: max === null ? '' : formatNumber(max) };
    const key = max !== null ? (isOne(n) ? 'editors.freetext.count_one_range' : 'editors.freetext.count_range')
      : (isOne(n) ? 'editors.freetext.count_one_min' : 'editors.freetext.count_min');
    count.textContent = t(key, vars);
    count.dataset.ok = String(ok);
    textarea.setAttribute('aria-invalid', String(n > 0 && !ok));
  };
  textarea.addEventListener('input', () => { update(); onChange(); });

  const root = el('div', { class: 'editor editor-freetext', 'data-testid': 'editor-free_text' },
    ...shown,
    el('div', { class: 'field' }, el('label', { for: id }, t('editors.freetext.answer')), textarea, count),
    status.node,
    shortcutHelp([['Ctrl+Enter', t('editors.submit')], ['Ctrl+Z', t('editors.freetext.undo_typing')]]));
  container.append(root);
  update();
  const offGuard = readOnly ? () => {} : guardUnsaved(() => textarea.value !== initial);

  return {
    getAnswer: () => ({ text: textarea.value }),
    validate() {
      const n = cpLength(textarea.value);
      if (!textarea.value.trim()) return t('editors.freetext.empty');
      if (n < min) return t('editors.freetext.too_short', { min: formatNumber(min), count: formatNumber(n) });
      if (max !== null && n > max) return t('editors.freetext.too_long', { max: formatNumber(max), count: formatNumber(n) });
      return null;
    },
    isDirty: () => textarea.value !== initial,
    focus() { if (!readOnly) textarea.focus({ preventScroll: true }); },
    destroy() {
      offGuard();
      root.remove();
    },
  };
}
