// text_spans editor: the text as one element per Unicode code point. Select with the mouse (drag, Shift+click
// to extend, double-click for a word) or from the caret with Shift+←/→ (focus the text first), then press 1–9
// or click an entity to create a span. Click a span to select it (click again to cycle through nested spans),
// Delete removes it, 1–9 relabels it. Relations (when schema.relations is non-empty): select a span, press R,
// click the target span, pick the relation (1–9 or click). Offsets in the answer are code points.
//
// Hooks:
//   [data-testid="span-text"]            the text (focusable); each grapheme is span.ch[data-i="<code point index of its
//                                        start>"][data-len="<code points>"]; the end position is .ch-end[data-i="<n>"]
//   [data-testid="entity-<i>"]           entity buttons (button[data-entity="<name>"], keys 1–9)
//   [data-testid="span-list"]            list of spans in answer order; [data-testid="span-<i>"] a row (click selects,
//                                        aria-current="true" when selected), [data-testid="span-delete-<i>"]
//   [data-testid="relation-start"]       "Relation (R)" button, enabled when a span is selected
//   [data-testid="relation-choice-<i>"]  relation label buttons while choosing (also keys 1–9)
//   [data-testid="relation-list"]        [data-testid="relation-<i>"], [data-testid="relation-delete-<i>"]
//   [data-testid="selection-info"]       the current selection's code point range
//   plus the common hooks (shortcut-help, undo, redo, editor-status), see common.js
import { el } from '/static/api.js';
import { isOne, t } from '/static/i18n.js';
import {
  History, codePoints, colour, guardUnsaved, historyButtons, onKeys, shortcutHelp, statusLine, withAlpha,
} from './common.js';

export function mount(container, { task, project, predictions = null, readOnly = false, onChange = () => {} } = {}) {
  const schema = project?.schema || {};
  const entities = Array.isArray(schema.entities) ? schema.entities : [];
  const relLabels = Array.isArray(schema.relations) ? schema.relations : [];
  const allowOverlap = schema.allow_overlap === true;
  const text = typeof task?.data?.text === 'string' ? task.data.text : '';
  const chars = codePoints(text);
  const n = chars.length;
  const entityColour = (label) => colour(Math.max(0, entities.indexOf(label)));

  // ---- model ----
  let uidSeq = 0;
  let spans = []; // {uid, id?, start, end, label}, kept sorted by (start, end, label)
  let relations = []; // {from: uid, to: uid, label}
  let selected = null; // uid of the selected span
  let anchor = 0; // text selection: between anchor and caret (positions 0..n)
  let caret = 0;
  let relSource = null; // uid while choosing a relation target
  let relTarget = null; // uid while choosing a relation label

  const sortSpans = () => spans.sort((a, b) => a.start - b.start || a.end - b.end || a.label.localeCompare(b.label));
  const byUid = (uid) => spans.find((s) => s.uid === uid);
  const overlaps = (a, b) => a.start < b.end && b.start < a.end;

  if (predictions && Array.isArray(predictions.spans)) {
    const idx = [];
    for (const p of predictions.spans) {
      const ok = p && Number.isInteger(p.start) && Number.isInteger(p.end) && p.start >= 0 && p.start < p.end
        && p.end <= n && entities.includes(p.label);
      const s = ok ? { uid: ++uidSeq, start: p.start, end: p.end, label: p.label } : null;
      if (s && p.id !== undefined) s.id = p.id;
      if (s) spans.push(s);
      idx.push(s);
    }
    if (Array.isArray(predictions.relations)) {
      for (const r of predictions.relations) {
        const a = idx[r?.from];
        const b = idx[r?.to];
        if (a && b && a !== b && relLabels.includes(r.label)) relations.push({ from: a.uid, to: b.uid, label: r.label });
      }
    }
    sortSpans();
  }

  // ---- DOM ----
  const status = statusLine();
  const textBox = el('div', {
    class: 'task-text span-text', tabindex: '0', 'data-testid': 'span-text', role: 'group',
    'aria-label': t('editors.spans.text_label'),
  });
  // One element per grapheme (an emoji with skin tone, a flag, a letter with combining marks stays whole and
  // cannot be split by a selection); charNodes maps every code point index to its grapheme's element.
  const graphemes = [];
  if (typeof Intl.Segmenter === 'function') {
    let pos = 0;
    for (const g of new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(text)) {
      const len = codePoints(g.segment).length;
      graphemes.push({ start: pos, len, text: g.segment });
      pos += len;
    }
  } else {
    chars.forEach((c, i) => graphemes.push({ start: i, len: 1, text: c }));
  }
  const charNodes = new Array(n);
  const graphemeNodes = graphemes.map((g) => {
    const node = el('span', { class: 'ch', dataset: { i: String(g.start), len: String(g.len) } }, g.text);
    for (let k = 0; k < g.len; k++) charNodes[g.start + k] = node;
    return node;
  });
  const boundaries = [...graphemes.map((g) => g.start), n];
  const glen = (i) => (i < n ? Number(charNodes[i].dataset.len) : 0);
  /** The next grapheme boundary after (d > 0) or before (d < 0) position `pos`. */
  const step = (pos, d) => (d > 0 ? boundaries.find((b) => b > pos) ?? n : [...boundaries].reverse().find((b) => b < pos) ?? 0);
  textBox.append(...graphemeNodes);
  const caretEnd = el('span', { class: 'ch ch-end', dataset: { i: String(n) }, 'aria-hidden': 'true' }, '\u200b');
  textBox.append(caretEnd);

  const entityBar = el('div', { class: 'entity-bar', role: 'group', 'aria-label': t('editors.spans.entities') },
    entities.map((name, i) => el('button', {
      type: 'button', class: 'label-btn entity-btn', dataset: { entity: name }, 'data-testid': `entity-${i}`,
      'aria-keyshortcuts': i < 9 ? String(i + 1) : null, disabled: readOnly,
    }, el('span', { class: 'swatch', dataset: { colour: String(i % 12) } }), i < 9 ? el('kbd', {}, String(i + 1)) : null, el('span', {}, name))));
  const selInfo = el('span', { class: 'subtle', 'data-testid': 'selection-info', 'aria-live': 'polite' });
  const relButton = relLabels.length ? el('button', {
    type: 'button', class: 'btn btn-secondary btn-small', 'data-testid': 'relation-start', 'aria-keyshortcuts': 'R', disabled: true,
  }, `${t('editors.spans.relation')} `, el('kbd', {}, 'R')) : null;
  const relChooser = el('div', { class: 'relation-chooser', role: 'group', 'aria-label': t('editors.spans.relation_label'), hidden: true });
  const spanList = el('ol', { class: 'span-list', 'data-testid': 'span-list', 'aria-label': t('editors.spans.spans'), start: '0' });
  const relList = el('ol', { class: 'span-list', 'data-testid': 'relation-list', 'aria-label': t('editors.spans.relations'), start: '0' });

  const history = new History(
    () => ({ spans, relations, uidSeq }),
    (v) => { spans = v.spans; relations = v.relations; uidSeq = v.uidSeq; if (selected && !byUid(selected)) selected = null; render(); },
    () => { buttons.update(); onChange(); });
  const buttons = historyButtons(history);

  const help = shortcutHelp([
    ['drag / Shift+click', t('editors.spans.key_select')], ['Shift+← Shift+→', t('editors.spans.key_extend')],
    ['1–9', t('editors.spans.key_create')], ['click', t('editors.spans.key_click')],
    ['Delete', t('editors.spans.key_delete')], ...(relLabels.length ? [['R', t('editors.spans.key_relation')]] : []),
    ['Esc', t('editors.cancel_lower')], ['Ctrl+Z / Ctrl+Shift+Z', t('editors.undo_redo')], ['Ctrl+Enter', t('editors.submit')],
  ]);

  const root = el('div', { class: 'editor editor-spans', 'data-testid': 'editor-text_spans' },
    entityBar,
    el('div', { class: 'editor-toolbar' }, selInfo, relButton, readOnly ? null : buttons.node),
    relChooser, textBox, status.node,
    el('div', { class: 'span-lists' },
      el('section', {}, el('h3', {}, t('editors.spans.spans')), spanList),
      relLabels.length ? el('section', {}, el('h3', {}, t('editors.spans.relations')), relList) : null),
    help);
  container.append(root);

  // ---- rendering ----
  let prevMarked = new Set();
  function render() {
    renderText();
    renderLists();
  }

  function renderText() {
    const selStart = Math.min(anchor, caret);
    const selEnd = Math.max(anchor, caret);
    // Reset only what was marked last time (keeps big texts fast).
    for (const i of prevMarked) {
      const c = charNodes[i];
      c.className = 'ch';
      c.style.removeProperty('--span-bg');
      c.style.removeProperty('--span-line');
      c.removeAttribute('title');
    }
    for (const tag of textBox.querySelectorAll('.span-tag')) tag.remove();
    const marked = new Set();
    const cover = new Map(); // char index → spans covering it
    for (const s of spans) {
      for (let i = s.start; i < s.end; i++) {
        if (!cover.has(i)) cover.set(i, []);
        cover.get(i).push(s);
      }
    }
    for (const [i, list] of cover) {
      const c = charNodes[i];
      const inner = list.reduce((a, b) => (b.end - b.start < a.end - a.start ? b : a));
      const outer = list.reduce((a, b) => (b.end - b.start > a.end - a.start ? b : a));
      c.classList.add('in-span');
      c.style.setProperty('--span-bg', withAlpha(entityColour(inner.label), 0.25));
      c.style.setProperty('--span-line', entityColour(outer.label));
      if (list.length > 1) c.classList.add('nested');
      if (list.some((s) => s.uid === selected)) c.classList.add('span-selected');
      if (list.some((s) => s.uid === relSource)) c.classList.add('rel-source');
      c.title = list.map((s) => s.label).join(' › ');
      marked.add(i);
    }
    for (let i = selStart; i < selEnd; i++) { charNodes[i].classList.add('sel'); marked.add(i); }
    caretEnd.className = 'ch ch-end';
    if (document.activeElement === textBox || selStart !== selEnd) {
      if (caret < n) { charNodes[caret].classList.add('caret'); marked.add(caret); } else caretEnd.classList.add('caret');
    }
    prevMarked = marked;
    // Label tags after each span's last character.
    for (const s of spans) {
      const tag = el('span', { class: 'span-tag', 'aria-hidden': 'true', dataset: { colour: String(Math.max(0, entities.indexOf(s.label)) % 12) } }, s.label);
      charNodes[s.end - 1].after(tag);
    }

    selInfo.textContent = selEnd > selStart
      ? t(isOne(selEnd - selStart) ? 'editors.spans.selected_one' : 'editors.spans.selected', { count: selEnd - selStart, start: selStart, end: selEnd })
      : (selected ? t(relLabels.length ? 'editors.spans.span_selected_rel' : 'editors.spans.span_selected') : t('editors.spans.caret', { at: caret }));
    if (relButton) relButton.disabled = readOnly || !selected;
  }

  // The lists are rebuilt only on real changes (not on focus changes, which would eat the click on a row).
  function renderLists() {
    spanList.replaceChildren(...spans.map((s, i) => el('li', { 'data-testid': `span-${i}`, 'aria-current': s.uid === selected ? 'true' : null },
      el('button', { type: 'button', class: 'span-row', dataset: { uid: String(s.uid) } },
        el('span', { class: 'chip', dataset: { colour: String(Math.max(0, entities.indexOf(s.label)) % 12) } }, s.label),
        el('span', { class: 'span-excerpt' }, `“${chars.slice(s.start, s.end).join('')}”`),
        el('span', { class: 'subtle' }, ` ${s.start}–${s.end}`)),
      readOnly ? null : el('button', { type: 'button', class: 'btn btn-ghost btn-small', 'data-testid': `span-delete-${i}`, dataset: { deleteUid: String(s.uid) }, 'aria-label': t('editors.spans.delete_span', { label: s.label, start: s.start, end: s.end }) }, '✕'))));
    if (!spans.length) spanList.append(el('li', { class: 'subtle' }, t('editors.spans.no_spans')));
    const idx = (uid) => spans.findIndex((s) => s.uid === uid);
    const spanText = (uid) => { const s = byUid(uid); return s ? `${s.label} “${chars.slice(s.start, s.end).join('')}”` : '?'; };
    relList.replaceChildren(...relations.map((r, i) => el('li', { 'data-testid': `relation-${i}` },
      el('span', {}, `${spanText(r.from)} (${idx(r.from)}) → `, el('strong', {}, r.label), ` → ${spanText(r.to)} (${idx(r.to)})`),
      readOnly ? null : el('button', { type: 'button', class: 'btn btn-ghost btn-small', 'data-testid': `relation-delete-${i}`, dataset: { deleteRel: String(i) }, 'aria-label': t('editors.spans.delete_relation', { label: r.label }) }, '✕'))));
    if (!relations.length) relList.append(el('li', { class: 'subtle' }, t('editors.spans.no_relations')));

    relChooser.hidden = relTarget === null;
    if (relTarget !== null) {
      relChooser.replaceChildren(el('span', {}, `${t('editors.spans.relation')}${t('common.colon_sep')}`), ...relLabels.map((r, i) => el('button', {
        type: 'button', class: 'btn btn-secondary btn-small', 'data-testid': `relation-choice-${i}`, dataset: { relation: r },
      }, i < 9 ? el('kbd', {}, String(i + 1)) : null, ` ${r}`)), el('button', { type: 'button', class: 'btn btn-ghost btn-small', dataset: { relation: '' } }, t('editors.cancel')));
    }
  }

  // ---- editing ----
  function setSelection(a, c) {
    anchor = Math.max(0, Math.min(n, a));
    caret = Math.max(0, Math.min(n, c));
  }

  function createSpan(label) {
    const start = Math.min(anchor, caret);
    const end = Math.max(anchor, caret);
    if (end <= start) return status.say(t('editors.spans.select_first'), 'warn');
    const s = { uid: uidSeq + 1, start, end, label };
    if (spans.some((o) => o.start === start && o.end === end && o.label === label)) return status.say(t('editors.spans.span_exists'), 'warn');
    if (!allowOverlap && spans.some((o) => overlaps(o, s))) return status.say(t('editors.spans.no_overlap'), 'warn');
    uidSeq += 1;
    spans.push(s);
    sortSpans();
    selected = null;
    setSelection(end, end);
    status.say(t('editors.spans.added', { label, start, end }), 'success');
    render();
    history.commit();
  }

  function relabel(label) {
    const s = byUid(selected);
    if (!s || s.label === label) return;
    s.label = label;
    sortSpans();
    status.say(t('editors.spans.changed', { label }));
    render();
    history.commit();
  }

  function deleteSpan(uid) {
    const s = byUid(uid);
    if (!s) return;
    spans = spans.filter((o) => o.uid !== uid);
    relations = relations.filter((r) => r.from !== uid && r.to !== uid);
    if (selected === uid) selected = null;
    status.say(t('editors.spans.removed', { label: s.label, start: s.start, end: s.end }));
    render();
    history.commit();
  }

  function addRelation(label) {
    if (relSource === null || relTarget === null) return;
    if (relations.some((r) => r.from === relSource && r.to === relTarget && r.label === label)) status.say(t('editors.spans.relation_exists'), 'warn');
    else {
      relations.push({ from: relSource, to: relTarget, label });
      status.say(t('editors.spans.relation_added', { label }), 'success');
    }
    relSource = null;
    relTarget = null;
    render();
    history.commit();
  }

  function cancel() {
    relSource = null;
    relTarget = null;
    selected = null;
    setSelection(caret, caret);
    status.say('');
    render();
  }

  function startRelation() {
    if (!relLabels.length || selected === null) return;
    relSource = selected;
    relTarget = null;
    status.say(t('editors.spans.click_target'));
    render();
  }

  function pickSpanAt(i, uid = null) {
    const covering = spans.filter((s) => s.start <= i && i < s.end).sort((a, b) => (a.end - a.start) - (b.end - b.start));
    if (!covering.length && uid === null) return false;
    let s = uid !== null ? byUid(uid) : covering[0];
    if (uid === null && covering.some((c) => c.uid === selected)) { // cycle through nested spans
      s = covering[(covering.findIndex((c) => c.uid === selected) + 1) % covering.length];
    }
    if (!s) return false;
    if (relSource !== null) {
      if (s.uid === relSource) { status.say(t('editors.spans.other_target'), 'warn'); return true; }
      relTarget = s.uid;
      if (relLabels.length === 1) addRelation(relLabels[0]);
      else { status.say(t('editors.spans.choose_relation')); render(); relChooser.querySelector('button')?.focus(); }
      return true;
    }
    selected = s.uid;
    setSelection(s.end, s.end);
    status.say(t('editors.spans.selected_span', { label: s.label, start: s.start, end: s.end }));
    render();
    return true;
  }

  // ---- mouse ----
  let drag = null; // {start: char index, moved}
  const charIndex = (target) => {
    const c = target instanceof Element ? target.closest('.ch') : null;
    return c && textBox.contains(c) ? Number(c.dataset.i) : null;
  };
  textBox.addEventListener('pointerdown', (ev) => {
    if (readOnly || ev.button !== 0) return;
    const i = charIndex(ev.target);
    if (i === null) return;
    ev.preventDefault();
    textBox.focus({ preventScroll: true });
    if (ev.shiftKey && i < n) {
      setSelection(anchor, i >= anchor ? i + glen(i) : i);
      selected = null;
      render();
      return;
    }
    drag = { start: Math.min(i, n), moved: false };
    textBox.setPointerCapture?.(ev.pointerId);
  });
  textBox.addEventListener('pointermove', (ev) => {
    if (!drag) return;
    const hit = document.elementFromPoint(ev.clientX, ev.clientY);
    const i = charIndex(hit);
    if (i === null || (i === drag.start && !drag.moved)) return;
    drag.moved = true;
    selected = null;
    if (i >= drag.start) setSelection(drag.start, Math.min(n, i + glen(i)));
    else setSelection(drag.start + glen(drag.start), i);
    render();
  });
  textBox.addEventListener('pointerup', () => {
    if (!drag) return;
    const { start, moved } = drag;
    drag = null;
    if (moved) return;
    if (pickSpanAt(start)) return;
    if (relSource !== null) return;
    selected = null;
    if (start < n) setSelection(start, start + glen(start)); // a click selects one character
    else setSelection(n, n);
    render();
  });
  textBox.addEventListener('dblclick', (ev) => {
    const i = charIndex(ev.target);
    if (readOnly || i === null || i >= n || typeof Intl.Segmenter !== 'function') return;
    const seg = new Intl.Segmenter(undefined, { granularity: 'word' });
    let pos = 0;
    for (const part of seg.segment(text)) {
      const len = codePoints(part.segment).length;
      if (i < pos + len) {
        if (part.isWordLike) { selected = null; setSelection(pos, pos + len); render(); }
        break;
      }
      pos += len;
    }
  });
  textBox.addEventListener('focus', renderText);
  textBox.addEventListener('blur', renderText);

  entityBar.addEventListener('click', (ev) => {
    const b = ev.target.closest('[data-entity]');
    if (!b) return;
    if (Math.min(anchor, caret) !== Math.max(anchor, caret)) createSpan(b.dataset.entity);
    else if (selected !== null) relabel(b.dataset.entity);
    else status.say(t('editors.spans.select_first'), 'warn');
  });
  spanList.addEventListener('click', (ev) => {
    const del = ev.target.closest('[data-delete-uid]');
    if (del) return deleteSpan(Number(del.dataset.deleteUid));
    const row = ev.target.closest('[data-uid]');
    if (row) {
      const s = byUid(Number(row.dataset.uid));
      if (s) pickSpanAt(s.start, s.uid);
    }
  });
  relList.addEventListener('click', (ev) => {
    const del = ev.target.closest('[data-delete-rel]');
    if (!del) return;
    relations.splice(Number(del.dataset.deleteRel), 1);
    render();
    history.commit();
  });
  relButton?.addEventListener('click', startRelation);
  relChooser.addEventListener('click', (ev) => {
    const b = ev.target.closest('[data-relation]');
    if (!b) return;
    if (b.dataset.relation) addRelation(b.dataset.relation); else cancel();
  });

  // ---- keyboard ----
  const offKeys = onKeys(container, (ev) => {
    if (readOnly || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const target = ev.target;
    if (target instanceof Element && target.closest('input, textarea, select')) return;
    if (/^[1-9]$/.test(ev.key)) {
      const k = Number(ev.key) - 1;
      ev.preventDefault();
      if (relTarget !== null) { if (relLabels[k]) addRelation(relLabels[k]); return; }
      if (!entities[k]) return;
      if (Math.min(anchor, caret) !== Math.max(anchor, caret)) createSpan(entities[k]);
      else if (selected !== null) relabel(entities[k]);
      else status.say(t('editors.spans.select_first'), 'warn');
    } else if ((ev.key === 'Delete' || ev.key === 'Backspace') && selected !== null) {
      ev.preventDefault();
      deleteSpan(selected);
    } else if ((ev.key === 'r' || ev.key === 'R') && relLabels.length) {
      ev.preventDefault();
      startRelation();
    } else if (ev.key === 'Escape') {
      cancel();
    } else if ((ev.key === 'ArrowLeft' || ev.key === 'ArrowRight') && document.activeElement === textBox) {
      ev.preventDefault();
      const d = ev.key === 'ArrowLeft' ? -1 : 1;
      selected = null;
      if (ev.shiftKey) setSelection(anchor, step(caret, d));
      else {
        const lo = Math.min(anchor, caret);
        const hi = Math.max(anchor, caret);
        const to = lo !== hi ? (d < 0 ? lo : hi) : step(caret, d);
        setSelection(to, to);
      }
      render();
    } else if ((ev.key === 'Home' || ev.key === 'End') && document.activeElement === textBox) {
      ev.preventDefault();
      const to = ev.key === 'Home' ? 0 : n;
      setSelection(ev.shiftKey ? anchor : to, to);
      render();
    }
  }, history);
  const offGuard = readOnly ? () => {} : guardUnsaved(() => history.dirty());

  render();

  return {
    getAnswer() {
      const index = new Map(spans.map((s, i) => [s.uid, i]));
      return {
        spans: spans.map((s) => (s.id !== undefined ? { id: s.id, start: s.start, end: s.end, label: s.label } : { start: s.start, end: s.end, label: s.label })),
        relations: relations.filter((r) => index.has(r.from) && index.has(r.to))
          .map((r) => ({ from: index.get(r.from), to: index.get(r.to), label: r.label })),
      };
    },
    validate() {
      if (!n) return t('editors.spans.no_text');
      for (const s of spans) if (!(s.start >= 0 && s.start < s.end && s.end <= n)) return t('editors.spans.outside');
      if (!allowOverlap) {
        let maxEnd = 0;
        for (const s of spans) {
          if (s.start < maxEnd) return t('editors.spans.overlap');
          maxEnd = Math.max(maxEnd, s.end);
        }
      }
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
