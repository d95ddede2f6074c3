// Quality views shared by the requester, reviewer and worker pages: short text for any answer, image
// overlays of several answers (consensus and each worker), cuboid lists side by side, and the requester's
// results view (GET /projects/{id}/results, /workers, project.quality). See the hooks in web/requester.html.
import { announce, api, el } from '/static/api.js';
import { colour, imageUrl } from '/static/editors/common.js';

// ---- formatting ---------------------------------------------------------------------------------

const num = (v) => (typeof v === 'number' && Number.isFinite(v) ? String(Math.round(v * 10) / 10) : '?');
const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** 0.951 → "95%", null → "–". */
export const percent = (v) => (typeof v === 'number' && Number.isFinite(v) ? `${Math.round(v * 100)}%` : '–');

/** An ISO time as local date and time, or "–". */
export function when(iso) {
  if (!iso) return '–';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : d.toLocaleString();
}

/** A <time> element showing `iso` in local time. */
export const timeEl = (iso) => el('time', { datetime: iso || null }, when(iso));

function clip(s, n = 160) {
  const cps = Array.from(String(s));
  return cps.length > n ? `${cps.slice(0, n).join('')}…` : cps.join('');
}

function objectText(o) {
  const cls = o?.class ?? '?';
  if (Array.isArray(o?.bbox)) return `${cls} box at (${num(o.bbox[0])}, ${num(o.bbox[1])}) ${num(o.bbox[2])}×${num(o.bbox[3])}`;
  if (Array.isArray(o?.points)) return `${cls} polygon of ${plural(o.points.length, 'point')}`;
  if (Array.isArray(o?.keypoints)) return `${cls} keypoints (${o.keypoints.filter((k) => k?.[2] > 0).length} placed)`;
  if (Array.isArray(o?.center)) {
    return `${cls} cuboid at (${o.center.map(num).join(', ')}) size ${(o.size || []).map(num).join('×')} yaw ${num(o.yaw)}`;
  }
  return cls;
}

/**
 * One line describing an answer of any kind, recognised by its shape (label, labels, spans, objects,
 * preference, text). `data` is the task data, used to quote span text.
 */
export function summarise(answer, data = null) {
  if (answer === null || answer === undefined) return '–';
  if (typeof answer !== 'object') return String(answer);
  if (typeof answer.label === 'string') return answer.label;
  if (Array.isArray(answer.labels)) return answer.labels.length ? answer.labels.join(', ') : '(no label)';
  if (Array.isArray(answer.spans)) {
    const text = Array.from(typeof data?.text === 'string' ? data.text : '');
    const parts = answer.spans.map((s) => {
      const quote = text.length ? ` “${clip(text.slice(s.start, s.end).join(''), 40)}”` : '';
      return `${s.label ?? s.entity ?? '?'} ${s.start}–${s.end}${quote}`;
    });
    const rel = Array.isArray(answer.relations) && answer.relations.length ? `; ${plural(answer.relations.length, 'relation')}` : '';
    return answer.spans.length ? `${parts.join('; ')}${rel}` : '(no spans)';
  }
  if (Array.isArray(answer.objects)) {
    if (!answer.objects.length) return '(no objects)';
    return `${plural(answer.objects.length, 'object')}: ${answer.objects.map(objectText).join('; ')}`;
  }
  if (answer.preference && typeof answer.preference === 'object') {
    const p = answer.preference;
    const pick = p.choice === 'tie' ? 'a tie' : `response ${p.choice}`;
    return `prefers ${pick} (strength ${p.strength ?? '?'})${answer.rationale ? `: ${clip(answer.rationale, 120)}` : ''}`;
  }
  if (typeof answer.text === 'string') return clip(answer.text);
  return clip(JSON.stringify(answer));
}

// ---- image overlays -----------------------------------------------------------------------------

const SVG = 'http://www.w3.org/2000/svg';
function svg(tag, attrs = {}) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined) node.setAttribute(k, String(v));
  return node;
}

/** The consensus is drawn dashed in this colour, gold in GOLD_COLOUR; workers get the editors' palette. */
export const CONSENSUS_COLOUR = '#111827';
const GOLD_COLOUR = '#187a46';

/** A legend swatch in a layer's colour: classes and data-colour, since the CSP refuses inline styles. */
function swatch(layer) {
  if (layer.key === 'consensus') return el('span', { class: 'swatch swatch-dashed swatch-consensus', 'aria-hidden': 'true' });
  if (layer.key === 'gold') return el('span', { class: 'swatch swatch-dashed swatch-gold', 'aria-hidden': 'true' });
  return el('span', { class: 'swatch', dataset: { colour: String(layer.index % 12) }, 'aria-hidden': 'true' });
}

function drawObjects(group, objects, size) {
  const r = Math.max(size.w, size.h) / 140;
  for (const o of objects || []) {
    if (Array.isArray(o?.bbox) && o.bbox.length === 4) {
      group.append(svg('rect', { x: o.bbox[0], y: o.bbox[1], width: Math.max(0, o.bbox[2]), height: Math.max(0, o.bbox[3]), 'data-class': o.class }));
    } else if (Array.isArray(o?.points) && o.points.length) {
      group.append(svg('polygon', { points: o.points.map((p) => `${p[0]},${p[1]}`).join(' '), 'data-class': o.class }));
    } else if (Array.isArray(o?.keypoints)) {
      for (const k of o.keypoints) if (Array.isArray(k) && k[2] > 0) group.append(svg('circle', { cx: k[0], cy: k[1], r }));
    }
  }
}

/**
 * The task's image with each layer's objects drawn over it, and a legend whose checkboxes show and hide
 * each layer. layers: [{key ("consensus", "gold" or "answer-<id>"), label, colour, index (palette index of an
 * answer), dashed, objects}]. Hooks: .overlay-figure, svg g[data-layer=key],
 * legend input[data-layer=key].
 */
export function overlayFigure(image, layers, caption) {
  const src = imageUrl(image);
  const size = { w: Number(image?.width) || 0, h: Number(image?.height) || 0 };
  const canvas = svg('svg', { class: 'overlay-svg', preserveAspectRatio: 'none', 'aria-hidden': 'true', focusable: 'false' });
  const groups = layers.map((l) => svg('g', {
    'data-layer': l.key, stroke: l.colour, fill: l.dashed ? 'none' : l.colour, 'fill-opacity': l.dashed ? null : 0.08,
    'stroke-width': l.dashed ? 3 : 2, 'stroke-dasharray': l.dashed ? '7 4' : null, 'vector-effect': 'non-scaling-stroke',
  }));
  const draw = () => {
    canvas.setAttribute('viewBox', `0 0 ${size.w || 1} ${size.h || 1}`);
    groups.forEach((g, i) => {
      g.replaceChildren();
      drawObjects(g, layers[i].objects, size);
      for (const child of g.children) child.setAttribute('vector-effect', 'non-scaling-stroke');
    });
  };
  canvas.append(...groups);
  const img = el('img', { class: 'overlay-img', alt: caption, loading: 'lazy', decoding: 'async' });
  const stage = el('div', { class: 'overlay-stage' }, img, canvas);
  img.addEventListener('load', () => {
    if (!size.w || !size.h) { size.w = img.naturalWidth; size.h = img.naturalHeight; draw(); }
  });
  img.addEventListener('error', () => stage.replaceWith(el('p', { class: 'subtle' }, 'The image could not be loaded.')));
  if (src) img.src = src;
  draw();
  const legend = el('ul', { class: 'overlay-legend', 'aria-label': `Layers of ${caption}` }, layers.map((l, i) => el('li', {},
    el('label', { class: 'check' },
      el('input', {
        type: 'checkbox', checked: true, dataset: { layer: l.key },
        onchange: (ev) => { groups[i].style.display = ev.target.checked ? '' : 'none'; },
      }),
      swatch(l),
      ` ${l.label}`))));
  return el('figure', { class: 'overlay-figure' },
    src ? stage : el('p', { class: 'subtle' }, 'This task has no image.'),
    el('figcaption', {}, legend));
}

/** Cuboids of several answers side by side, one small table each. layers: [{key, label, objects}]. */
export function cuboidTables(layers) {
  const head = el('tr', {}, ['#', 'Class', 'Centre (x, y, z)', 'Size (l × w × h)', 'Yaw'].map((t) => el('th', { scope: 'col' }, t)));
  return el('div', { class: 'cuboid-compare' }, layers.map((l) => el('table', { class: 'data-table cuboid-table', dataset: { layer: l.key } },
    el('caption', {}, l.label),
    el('thead', {}, head.cloneNode(true)),
    el('tbody', {}, (l.objects || []).length
      ? l.objects.map((o, i) => el('tr', {},
        el('td', {}, String(i)), el('td', {}, o.class ?? '?'),
        el('td', {}, (o.center || []).map(num).join(', ')), el('td', {}, (o.size || []).map(num).join(' × ')),
        el('td', {}, num(o.yaw))))
      : el('tr', {}, el('td', { colspan: '5', class: 'subtle' }, 'No cuboids.'))))));
}

// ---- quality settings as text -------------------------------------------------------------------

/** [term, description] pairs describing a project's quality settings (project.quality). */
export function describeQuality(q, project = {}) {
  if (!q || typeof q !== 'object') return [['Quality', 'Default settings.']];
  const out = [];
  out.push(['Answers per task', q.max_overlap && q.max_overlap > (project.overlap ?? 0)
    ? `${project.overlap ?? '?'}, up to ${q.max_overlap} while the confidence is below ${percent(q.target_confidence)}`
    : `${project.overlap ?? q.max_overlap ?? '?'} (target confidence ${percent(q.target_confidence)})`]);
  const agg = q.aggregation || {};
  out.push(['Aggregation', `${agg.method || 'default'}${agg.iou_threshold !== undefined ? `, objects match at IoU ≥ ${agg.iou_threshold}` : ''}`]);
  const g = q.gold || {};
  out.push(['Gold tasks', g.first || g.percent ? `the first ${g.first ?? 0}, then about ${g.percent ?? 0}% of each worker's tasks` : 'none mixed in']);
  const rv = q.review || {};
  const review = { none: 'no answers are reviewed', all: 'every answer is reviewed',
    percent: `about ${rv.percent}% of answers are reviewed`, low_confidence: `answers to tasks with confidence below ${percent(rv.below)} are reviewed` };
  out.push(['Review', review[rv.mode] || String(rv.mode ?? 'none')]);
  const reasons = Array.isArray(q.reject_reasons) ? q.reject_reasons : [];
  out.push(['Reasons to reject', reasons.length ? reasons.map((r) => `${r.title} (${r.code})`).join('; ') : 'none published: answers cannot be rejected']);
  const skills = Object.entries(q.required_skills || {});
  out.push(['Required skills', skills.length ? skills.map(([k, v]) => `${k} ≥ ${v}`).join(', ') : 'none']);
  const qual = q.qualification;
  out.push(['Qualification test', qual ? `pass mark ${percent(qual.pass_mark)}${qual.skill ? `, sets the skill “${qual.skill}”` : ''}` : 'none']);
  const rules = Array.isArray(q.rules) ? q.rules : [];
  out.push(['Automatic rules', rules.length
    ? rules.map((r) => `${r.id}: when ${r.reads}${r.window ? ` over the last ${r.window}` : ''} crosses ${r.threshold} → ${r.action.replace(/_/g, ' ')}`).join('; ')
    : 'none']);
  return out;
}

export function definitionList(pairs, cls = 'kv') {
  return el('dl', { class: cls }, pairs.map(([t, d]) => el('div', {}, el('dt', {}, t), el('dd', {}, d))));
}

// ---- the requester's results view ---------------------------------------------------------------

const STATE_TEXT = { none: 'not reviewed', pending: 'awaiting review', accepted: 'accepted', rejected: 'rejected', fixed: 'fixed by a reviewer' };
const GEOMETRY_KINDS = new Set(['image_annotation', 'lidar_cuboids']);
const PAGE = 50;

/**
 * Drives the results view of web/requester.html (#quality-panel) for one project at a time.
 * show(project) loads it; hide() clears it. Replies for a project no longer shown are dropped.
 */
export function resultsView() {
  const $ = (id) => document.getElementById(id);
  const panel = $('quality-panel');
  const filter = $('results-filter');
  const below = $('results-below');
  const status = $('results-status');
  const body = $('results-body');
  const more = $('results-more');
  let project = null;
  let seq = 0;
  let nextAfter = null;
  let names = new Map(); // worker id → display name

  const workerName = (id) => names.get(id) || `Worker #${id}`;

  function syncBelow() {
    $('results-below-field').hidden = filter.value !== 'low_confidence';
  }

  function layersOf(task) {
    const layers = [];
    if (task.result) layers.push({ key: 'consensus', label: 'Consensus', colour: CONSENSUS_COLOUR, dashed: true, objects: task.result.objects });
    if (task.gold_answer) layers.push({ key: 'gold', label: 'Expected (gold)', colour: GOLD_COLOUR, dashed: true, objects: task.gold_answer.objects });
    task.answers.forEach((a, i) => layers.push({
      key: `answer-${a.assignment_id}`, label: `${workerName(a.worker_id)} (${STATE_TEXT[a.review_state] || a.review_state})`,
      colour: colour(i), index: i, objects: a.answer?.objects,
    }));
    return layers;
  }

  /** The task's row, and for image and lidar kinds a second, full-width row drawing every answer. */
  function rowsFor(task) {
    const kind = project.kind;
    const consensus = el('td', { dataset: { role: 'consensus' } },
      el('p', { class: 'result-text' }, task.result ? summarise(task.result, task.data) : 'No consensus yet.'));
    if (task.gold) consensus.append(el('p', { class: 'subtle' }, `Expected: ${summarise(task.gold_answer, task.data)}`));
    const caption = `task ${task.external_id || task.id}`;
    let figure = null;
    if (kind === 'image_annotation' && task.data?.image) figure = overlayFigure(task.data.image, layersOf(task), caption);
    if (kind === 'lidar_cuboids') figure = cuboidTables(layersOf(task));
    const answers = el('ol', { class: 'answer-list', 'aria-label': `Answers to ${caption}` }, task.answers.map((a, i) => el('li', {
      dataset: { assignmentId: String(a.assignment_id), reviewState: a.review_state, workerId: String(a.worker_id) },
    },
    GEOMETRY_KINDS.has(kind) ? swatch({ index: i }) : null,
    el('strong', {}, workerName(a.worker_id)), ' ',
    el('span', { class: 'badge', dataset: { state: a.review_state } }, STATE_TEXT[a.review_state] || a.review_state),
    a.gold_score !== null && a.gold_score !== undefined ? el('span', { class: 'subtle' }, ` gold score ${percent(a.gold_score)}`) : null,
    el('div', { class: 'answer-text' }, summarise(a.answer, task.data)))));
    if (!task.answers.length) answers.append(el('li', { class: 'subtle' }, 'No answers yet.'));
    const row = el('tr', { dataset: { taskId: String(task.id), externalId: task.external_id || '' } },
      el('th', { scope: 'row' }, el('span', {}, task.external_id || `#${task.id}`),
        task.gold ? el('span', { class: 'badge badge-gold' }, 'gold') : null,
        el('div', { class: 'subtle' }, `${task.submitted ?? task.answers.length} of ${task.overlap ?? '?'} answers`)),
      consensus,
      el('td', { dataset: { role: 'confidence' } }, task.result ? percent(task.confidence) : '–'),
      el('td', { dataset: { role: 'method' } }, task.method ? task.method.replace(/_/g, ' ') : '–'),
      el('td', { dataset: { role: 'final' } }, task.final ? 'Final' : 'Not final'),
      el('td', { dataset: { role: 'answers' } }, answers));
    if (!figure) return [row];
    row.classList.add('has-figure');
    return [row, el('tr', { class: 'result-figure', dataset: { figureFor: String(task.id) } },
      el('td', {}), el('td', { colspan: '5' }, figure))];
  }

  async function loadWorkers(p, mySeq) {
    const wbody = $('workers-body');
    try {
      const reply = await api('GET', `/api/v1/projects/${p.id}/workers`);
      if (mySeq !== seq) return;
      names = new Map((reply.items || []).map((w) => [w.worker_id, w.display_name]));
      wbody.replaceChildren(...(reply.items || []).map((w) => el('tr', { dataset: { workerId: String(w.worker_id) } },
        el('th', { scope: 'row' }, w.display_name || `Worker #${w.worker_id}`), el('td', {}, w.country || '–'),
        el('td', {}, String(w.answers)), el('td', {}, String(w.rejected)), el('td', {}, String(w.gold_answered)),
        el('td', {}, percent(w.gold_accuracy)), el('td', {}, percent(w.estimated_accuracy)),
        el('td', {}, num(w.weight)), el('td', {}, String(w.tier)))));
      $('workers-empty').hidden = (reply.items || []).length > 0;
      announce($('workers-status'), '');
    } catch (err) {
      if (mySeq === seq) announce($('workers-status'), `Could not load the workers: ${err.message}`, 'error');
    }
  }

  async function loadResults(append = false) {
    const p = project;
    if (!p) return;
    const mySeq = seq;
    const params = new URLSearchParams({ filter: filter.value, limit: String(PAGE) });
    if (filter.value === 'low_confidence') {
      const b = Number(below.value);
      if (below.value.trim() === '' || !(b >= 0 && b <= 1)) {
        announce(status, 'Enter a confidence threshold from 0 to 1, such as 0.7.', 'error');
        below.focus();
        return;
      }
      params.set('below', String(b));
    }
    if (append && nextAfter !== null) params.set('after', String(nextAfter));
    more.disabled = true;
    announce(status, 'Loading results…');
    try {
      const reply = await api('GET', `/api/v1/projects/${p.id}/results?${params}`);
      if (mySeq !== seq) return;
      const rows = (reply.items || []).flatMap(rowsFor);
      if (append) body.append(...rows); else body.replaceChildren(...rows);
      nextAfter = reply.next_after ?? null;
      more.hidden = nextAfter === null;
      const shown = body.querySelectorAll('tr[data-task-id]').length;
      const what = { all: 'task', low_confidence: 'low-confidence task', gold: 'gold task', disagreement: 'task with disagreement' }[filter.value];
      announce(status, shown ? `Showing ${plural(shown, what)}${nextAfter !== null ? ' (more available)' : ''}.` : `No ${what}s to show.`, 'info');
    } catch (err) {
      if (mySeq === seq) announce(status, `Could not load the results: ${err.message}`, 'error');
    } finally {
      more.disabled = false;
    }
  }

  /** Agreement between workers (GET /projects/{id}/agreement): alpha and kappa, or mean pairwise IoU. */
  async function loadAgreement(p, mySeq) {
    const out = $('agreement');
    const f3 = (v) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(3) : '–');
    try {
      const a = await api('GET', `/api/v1/projects/${p.id}/agreement`);
      if (mySeq !== seq) return;
      const parts = [];
      if ('krippendorff_alpha' in a) parts.push(`Krippendorff's alpha ${f3(a.krippendorff_alpha)}`, `Fleiss' kappa ${f3(a.fleiss_kappa)}`);
      if ('mean_pairwise_iou' in a) parts.push(`mean pairwise IoU ${f3(a.mean_pairwise_iou)} over ${a.tasks_compared} tasks`);
      out.textContent = parts.length ? `Agreement: ${parts.join(', ')}.` : (a.note ? `Agreement: ${a.note}.` : '');
    } catch (err) {
      if (mySeq === seq) out.textContent = `Could not load the agreement: ${err.message}`;
    }
  }

  async function refresh() {
    const p = project;
    if (!p) return;
    const mySeq = seq;
    await loadWorkers(p, mySeq); // names first, so answers show who gave them
    if (mySeq === seq) await loadAgreement(p, mySeq);
    if (mySeq === seq) await loadResults(false);
  }

  $('results-form').addEventListener('submit', (ev) => { ev.preventDefault(); loadResults(false); });
  filter.addEventListener('change', () => { syncBelow(); loadResults(false); });
  more.addEventListener('click', () => loadResults(true));
  $('workers-refresh').addEventListener('click', () => refresh());
  syncBelow();

  return {
    show(p) {
      const changed = !project || project.id !== p.id;
      project = p;
      panel.hidden = false;
      $('quality-project-name').textContent = p.name;
      $('quality-settings').replaceChildren(definitionList(describeQuality(p.quality, p)));
      if (!changed) return;
      seq += 1;
      nextAfter = null;
      names = new Map();
      body.replaceChildren();
      $('workers-body').replaceChildren();
      more.hidden = true;
      refresh();
    },
    hide() {
      seq += 1;
      project = null;
      panel.hidden = true;
    },
  };
}
