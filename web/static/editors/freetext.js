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
    const img = el('img', { src, alt: 'Task image', class: 'freetext-image', 'data-testid': 'task-image', decoding: 'async' });
    img.addEventListener('error', () => status.say('The image could not be loaded.', 'error'));
    shown.push(el('a', { href: src, target: '_blank', rel: 'noopener', class: 'freetext-image-link', title: 'Open the image in full size' }, img));
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
    count.textContent = `${n} character${n === 1 ? '' : 's'}` + (max !== null ? ` of ${min}–${max}` : ` (at least ${min})`);
    count.dataset.ok = String(ok);
    textarea.setAttribute('aria-invalid', String(n > 0 && !ok));
  };
  textarea.addEventListener('input', () => { update(); onChange(); });

  const root = el('div', { class: 'editor editor-freetext', 'data-testid': 'editor-free_text' },
    ...shown,
    el('div', { class: 'field' }, el('label', { for: id }, 'Your answer'), textarea, count),
    status.node,
    shortcutHelp([['Ctrl+Enter', 'submit'], ['Ctrl+Z', 'undo typing (in the text box)']]));
  container.append(root);
  update();
  const offGuard = readOnly ? () => {} : guardUnsaved(() => textarea.value !== initial);

  return {
    getAnswer: () => ({ text: textarea.value }),
    validate() {
      const n = cpLength(textarea.value);
      if (!textarea.value.trim()) return 'Write your answer first.';
      if (n < min) return `Write at least ${min} characters (${n} so far).`;
      if (max !== null && n > max) return `Shorten your answer to at most ${max} characters (${n} now).`;
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
