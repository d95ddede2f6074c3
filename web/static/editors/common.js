// Shared pieces of the annotation editors (web/static/editors/*.js).
//
// Editor contract: every editor module exports
//   mount(container, {task, project, predictions, readOnly?, onChange?}) → {getAnswer(), validate(), destroy(), isDirty()}
// where validate() returns an error message (string) or null, getAnswer() the answer JSON of docs/kinds.md,
// onChange() is called after every edit, and destroy() removes everything the editor added (DOM and listeners).
// isDirty() tells whether the answer differs from the initial state; an optional focus() puts the keyboard focus
// where typing starts (the worker page calls it once the task is shown).
//
// Hooks rendered by this module:
//   [data-testid="shortcut-help"]  the on-screen keyboard shortcut list (<details>, "?" toggles it)
//   [data-testid="undo"], [data-testid="redo"]  undo / redo buttons (Ctrl+Z, Ctrl+Shift+Z or Ctrl+Y)
//   [data-testid="editor-status"]  aria-live status line of the editor

import { el } from '/static/api.js';
import { t } from '/static/i18n.js';

// ---- Unicode code points --------------------------------------------------------------------------
// Answers count text in code points, JavaScript strings in UTF-16 units: never mix the two.

/** Number of code points in `s` (an emoji or a CJK extension character counts 1). */
export function cpLength(s) {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

/** The code points of `s` as an array of strings (one element per code point). */
export const codePoints = (s) => Array.from(s);

/** UTF-16 index → code point index. */
export const utf16ToCp = (s, index) => cpLength(s.slice(0, index));

/** Code point index → UTF-16 index. */
export function cpToUtf16(s, cp) {
  let i = 0;
  for (let n = 0; n < cp && i < s.length; n++) {
    const c = s.charCodeAt(i);
    i += (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) ? 2 : 1;
  }
  return i;
}

// ---- undo / redo -----------------------------------------------------------------------------------

/**
 * Snapshot history. `snapshot()` returns the editor's model as a JSON-able value, `restore(value)` puts it back.
 * Call commit() after every completed edit; undo()/redo() move through the snapshots.
 */
export class History {
  constructor(snapshot, restore, onChange = () => {}) {
    this.snapshot = () => JSON.stringify(snapshot());
    this.restore = (s) => restore(JSON.parse(s));
    this.onChange = onChange;
    this.initial = this.snapshot();
    this.stack = [this.initial];
    this.pos = 0;
  }

  /** Records the current state if it differs from the last one. Returns true when something was recorded. */
  commit() {
    const s = this.snapshot();
    if (s === this.stack[this.pos]) return false;
    this.stack.length = this.pos + 1;
    this.stack.push(s);
    if (this.stack.length > 500) this.stack.shift();
    this.pos = this.stack.length - 1;
    this.onChange();
    return true;
  }

  undo() {
    if (this.pos === 0) return false;
    this.pos -= 1;
    this.restore(this.stack[this.pos]);
    this.onChange();
    return true;
  }

  redo() {
    if (this.pos >= this.stack.length - 1) return false;
    this.pos += 1;
    this.restore(this.stack[this.pos]);
    this.onChange();
    return true;
  }

  canUndo() { return this.pos > 0; }
  canRedo() { return this.pos < this.stack.length - 1; }

  /** True while the state differs from the one the editor started with. */
  dirty() { return this.snapshot() !== this.initial; }
}

/** Undo / redo buttons bound to `history`; call the returned update() after each change. */
export function historyButtons(history) {
  const undo = el('button', { type: 'button', class: 'btn btn-secondary btn-small', 'data-testid': 'undo', 'aria-keyshortcuts': 'Control+Z', title: t('editors.undo_title') }, `↶ ${t('editors.undo')}`);
  const redo = el('button', { type: 'button', class: 'btn btn-secondary btn-small', 'data-testid': 'redo', 'aria-keyshortcuts': 'Control+Shift+Z', title: t('editors.redo_title') }, `↷ ${t('editors.redo')}`);
  undo.addEventListener('click', () => history.undo());
  redo.addEventListener('click', () => history.redo());
  const update = () => {
    undo.disabled = !history.canUndo();
    redo.disabled = !history.canRedo();
  };
  update();
  return { node: el('span', { class: 'history-buttons' }, undo, redo), update };
}

// ---- keyboard ----------------------------------------------------------------------------------------

/** True when the event comes from a text field (where keys type text and Ctrl+Z is the field's own undo). */
export function inTextField(ev) {
  const target = ev.target;
  return target instanceof Element && !!target.closest('input:not([type="radio"]):not([type="checkbox"]), textarea, select, [contenteditable="true"]');
}

/**
 * Listens for keydown on the document while the editor is mounted; ignores events while `container` is inert
 * or hidden (the worker page marks it inert while saving). `history` (optional) gets Ctrl+Z / Ctrl+Shift+Z /
 * Ctrl+Y outside text fields. Returns a function that removes the listener.
 */
export function onKeys(container, handler, history = null) {
  const listener = (ev) => {
    if (!container.isConnected || container.closest('[inert]') || container.closest('[hidden]')) return;
    if (history && (ev.ctrlKey || ev.metaKey) && !ev.altKey && !inTextField(ev)) {
      const k = ev.key.toLowerCase();
      if (k === 'z' || k === 'y') {
        ev.preventDefault();
        if (k === 'y' || ev.shiftKey) history.redo(); else history.undo();
        return;
      }
    }
    if (ev.key === '?' && !inTextField(ev)) {
      const help = container.querySelector('[data-testid="shortcut-help"]');
      if (help) { help.open = !help.open; ev.preventDefault(); return; }
    }
    handler(ev);
  };
  document.addEventListener('keydown', listener);
  return () => document.removeEventListener('keydown', listener);
}

// key names that differ by language (French keyboards say Entrée, Maj, Suppr, Espace, Échap)
const KEY_NAMES = {
  Enter: 'editors.key.enter', Shift: 'editors.key.shift', Delete: 'editors.key.delete', Del: 'editors.key.delete',
  Space: 'editors.key.space', Esc: 'editors.key.escape', Escape: 'editors.key.escape', Backspace: 'editors.key.backspace',
  click: 'editors.key.click', 'double-click': 'editors.key.double_click', drag: 'editors.key.drag', wheel: 'editors.key.wheel',
  middle: 'editors.key.middle',
};
const keyName = (k) => k.split('+').map((p) => (Object.hasOwn(KEY_NAMES, p) ? t(KEY_NAMES[p]) : p)).join('+');

/** The on-screen shortcut list: items are [keys, description] with keys like "Ctrl+Z" or "1–9". */
export function shortcutHelp(items, open = false) {
  return el('details', { class: 'shortcut-help', 'data-testid': 'shortcut-help', open },
    el('summary', {}, `${t('editors.shortcuts')} `, el('kbd', {}, '?')),
    el('dl', {}, items.map(([keys, what]) => el('div', {},
      el('dt', {}, keys.split(' ').map((k) => (k === '/' ? ` ${k} ` : k === 'or' ? ` ${t('editors.or')} ` : el('kbd', {}, keyName(k))))),
      el('dd', {}, what)))));
}

// ---- unsaved changes ------------------------------------------------------------------------------

/** Asks before leaving the page while isDirty() is true. Returns a function that removes the guard. */
export function guardUnsaved(isDirty) {
  const listener = (ev) => {
    if (!isDirty()) return;
    ev.preventDefault();
    ev.returnValue = ''; // older browsers
  };
  window.addEventListener('beforeunload', listener);
  return () => window.removeEventListener('beforeunload', listener);
}

// ---- misc --------------------------------------------------------------------------------------------

const PALETTE = ['#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4', '#00a3a3', '#c71585', '#808000',
  '#9a6324', '#1e6091', '#b8860b', '#2f4f4f'];
/** A stable colour per index (labels, classes, entities). */
export const colour = (i) => PALETTE[((i % PALETTE.length) + PALETTE.length) % PALETTE.length];

/** "#rrggbb" + alpha → "rgba(…)". */
export function withAlpha(hex, a) {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${a})`;
}

/** An aria-live status line for the editor. */
export function statusLine() {
  const node = el('p', { class: 'editor-status', role: 'status', 'aria-live': 'polite', 'data-testid': 'editor-status' });
  return {
    node,
    say(msg, kind = 'info') {
      node.textContent = msg || '';
      node.dataset.kind = kind;
    },
  };
}

/** The URL of an image referenced by task data ({media_id} or {url}), or null. */
export function imageUrl(image) {
  if (!image || typeof image !== 'object') return null;
  if (typeof image.media_id === 'string' && /^[0-9a-fA-F]{16,128}$/.test(image.media_id)) return `/api/v1/media/${image.media_id}`;
  if (typeof image.url === 'string' && /^https?:\/\//i.test(image.url)) return image.url;
  return null;
}

/** The schema of a project, falling back to the top-level labels of a classification project. */
export function schemaOf(project) {
  const s = project && typeof project.schema === 'object' && project.schema ? project.schema : {};
  if (project?.kind === 'text_classification' || !project?.kind) {
    return { ...s, labels: Array.isArray(s.labels) && s.labels.length ? s.labels : (project?.labels || []) };
  }
  return s;
}

/** Rounds to 2 decimals (answers store image pixels with 2 decimals). */
export const round2 = (v) => Math.round(v * 100) / 100;

export const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));
