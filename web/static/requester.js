// Requester dashboard: list, create (any kind, with a schema), publish/pause projects; upload media and tasks;
// preview the workers' editor; follow progress; export; the quality view (results.js).
import {
  announce, api, clearFieldErrors, el, formatDuration, formatMoney, hourlyRate, microsToDecimal, parseMicros, requireUser,
  showApiFieldError, showFieldError,
} from '/static/api.js';
import { resultsView } from '/static/results.js';

const $ = (id) => document.getElementById(id);
const list = $('project-list');
const form = $('project-form');
const fields = {
  name: $('project-name'), instructions: $('project-instructions'), labels: $('project-labels'),
  reward_micros: $('project-reward'), currency: $('project-currency'),
  estimated_seconds: $('project-estimated-seconds'), overlap: $('project-overlap'), lease_seconds: $('project-lease-seconds'),
  kind: $('project-kind'), schema: $('project-schema'),
};
const KINDS = {
  text_classification: { editor: 'classification.js', task: { data: { text: 'The delivery was fast.' }, external_id: 'a1' } },
  text_spans: {
    editor: 'spans.js',
    template: { entities: ['PER', 'ORG', 'LOC'], allow_overlap: false, relations: ['works_for'] },
    hint: 'entities: 1–50 names; allow_overlap: nested or overlapping spans allowed; relations: 0–50 names (optional).',
    task: { data: { text: 'Wanjiru works for Safaricom in Nairobi.' }, external_id: 'a1' },
  },
  image_annotation: {
    editor: 'image.js',
    template: {
      classes: [
        { name: 'car', tools: ['bbox', 'polygon'], attributes: [{ name: 'occluded', type: 'bool' }, { name: 'colour', type: 'enum', values: ['red', 'blue', 'other'] }] },
        { name: 'person', tools: ['bbox', 'keypoints'], skeleton: { points: ['head', 'left_hand', 'right_hand', 'left_foot', 'right_foot'], edges: [[0, 1], [0, 2], [0, 3], [0, 4]] } },
      ],
    },
    hint: 'classes: name, tools (bbox, polygon, keypoints), attributes (bool, enum with values, text with max_chars), skeleton {points, edges} for keypoints.',
    task: { data: { image: { media_id: '<media id>' } }, external_id: 'a1' },
  },
  lidar_cuboids: {
    editor: 'lidar.js',
    template: { classes: [{ name: 'Car', attributes: [{ name: 'parked', type: 'bool' }] }, { name: 'Pedestrian' }, { name: 'Cyclist' }] },
    hint: 'classes: name and optional attributes; workers draw 3D boxes (centre, size, yaw) in the point cloud frame.',
    task: { data: { pointcloud: { media_id: '<media id>' } }, external_id: 'a1' },
  },
  llm_comparison: {
    editor: 'compare.js',
    template: { allow_tie: true, criteria: ['helpfulness', 'honesty', 'harmlessness'], rationale_min_chars: 20 },
    hint: 'allow_tie: a tie may be chosen; criteria: 0–20 rated 1–5 per response; rationale_min_chars: minimum explanation length.',
    task: { data: { prompt: 'How do I reverse a list?', responses: [{ id: 'a', text: '…' }, { id: 'b', text: '…' }] }, external_id: 'a1' },
  },
  free_text: {
    editor: 'freetext.js',
    template: { min_chars: 1, max_chars: 5000 },
    hint: 'min_chars / max_chars bound the answer length in characters (code points).',
    task: { data: { text: 'Summarise this paragraph…' }, external_id: 'a1' },
  },
};
const templateText = (kind) => (KINDS[kind]?.template ? JSON.stringify(KINDS[kind].template, null, 2) : '');
const POLL_MS = 5000;

const projects = new Map(); // id → project
let selectedId = null;
let progressSeq = 0;
const quality = resultsView();

const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;

// ---- project list -------------------------------------------------------------------------------

function rowFor(p) {
  const action = p.status === 'published'
    ? el('button', { type: 'button', class: 'btn btn-secondary btn-small', dataset: { action: 'pause' } }, 'Pause')
    : el('button', { type: 'button', class: 'btn btn-small', dataset: { action: 'publish' } }, 'Publish');
  action.setAttribute('aria-label', `${action.textContent} ${p.name}`);
  return el('li', { class: 'project-row', dataset: { projectId: String(p.id) }, 'aria-current': p.id === selectedId ? 'true' : null },
    el('div', { class: 'project-main' },
      el('button', { type: 'button', class: 'project-name', dataset: { action: 'select' } }, p.name),
      el('div', { class: 'project-meta' },
        el('span', { class: 'badge', dataset: { status: p.status } }, p.status),
        el('span', { dataset: { role: 'counts' } }, `${plural(p.task_count ?? 0, 'task')} · ${plural(p.answer_count ?? 0, 'answer')}`),
        el('span', {}, `${formatMoney(p.reward_micros, p.currency)} per task`))),
    el('div', { class: 'project-actions' }, action));
}

function renderList() {
  const sorted = [...projects.values()].sort((a, b) => b.id - a.id);
  list.replaceChildren(...sorted.map(rowFor));
  $('list-empty').hidden = sorted.length > 0;
}

function replaceRow(p) {
  const old = list.querySelector(`[data-project-id="${p.id}"]`);
  if (old) old.replaceWith(rowFor(p));
  else renderList();
}

async function loadProjects() {
  try {
    const reply = await api('GET', '/api/v1/projects');
    projects.clear();
    for (const p of reply.items || []) projects.set(p.id, p);
    renderList();
    announce($('list-status'), '');
    if (selectedId !== null && !projects.has(selectedId)) select(null);
  } catch (err) {
    announce($('list-status'), `Could not load your projects: ${err.message}`, 'error');
  }
}

list.addEventListener('click', async (ev) => {
  const row = ev.target.closest('[data-project-id]');
  if (!row) return;
  const id = Number(row.dataset.projectId);
  const button = ev.target.closest('button[data-action]');
  const action = button?.dataset.action;
  if (action === 'publish' || action === 'pause') {
    button.disabled = true;
    try {
      const p = await api('POST', `/api/v1/projects/${id}/${action}`);
      projects.set(id, { ...projects.get(id), ...p });
      replaceRow(projects.get(id));
      if (id === selectedId) renderDetail();
      announce($('list-status'), `“${p.name}” is now ${p.status}.`, 'success');
    } catch (err) {
      button.disabled = false;
      announce($('list-status'), `Could not ${action} the project: ${err.message}`, 'error');
    }
    return;
  }
  select(id);
});

// ---- selected project ---------------------------------------------------------------------------

function select(id) {
  selectedId = id;
  for (const row of list.querySelectorAll('[data-project-id]')) {
    if (Number(row.dataset.projectId) === id) row.setAttribute('aria-current', 'true');
    else row.removeAttribute('aria-current');
  }
  announce($('upload-status'), '');
  $('upload-errors').hidden = true;
  $('progress').replaceChildren();
  renderDetail();
  if (id !== null) refreshProgress();
}

function renderDetail() {
  const p = projects.get(selectedId);
  $('detail').hidden = !p;
  $('detail-empty').hidden = !!p;
  if (!p) return quality.hide();
  quality.show(p);
  $('detail-name').textContent = p.name;
  $('detail-status').textContent = p.status;
  $('detail-status').dataset.status = p.status;
  $('detail-meta').textContent = [
    `${formatMoney(p.reward_micros, p.currency)} per task`, `about ${formatDuration(p.estimated_seconds)}`,
    hourlyRate(p.reward_micros, p.estimated_seconds, p.currency), `${plural(p.overlap, 'answer')} per task`,
    `lease ${formatDuration(p.lease_seconds ?? 600)}`,
  ].join(' · ');
  const kind = p.kind || 'text_classification';
  $('detail-kind').textContent = kind.replace(/_/g, ' ');
  $('detail-kind').dataset.kind = kind;
  $('detail-labels').replaceChildren(...schemaChips(p).map((l) => el('span', { class: 'chip' }, l)));
  $('detail-labels').setAttribute('aria-label', kind === 'text_classification' ? 'Labels' : 'Schema');
  $('tasks-hint').textContent = JSON.stringify(KINDS[kind]?.task || KINDS.text_classification.task);
  const exportLink = $('export-link');
  exportLink.href = `/api/v1/projects/${p.id}/export?format=jsonl`;
  exportLink.download = `fairlabel-project-${p.id}.jsonl`;
}

/** Short chips describing a project's schema (labels, entities, classes, criteria, bounds). */
function schemaChips(p) {
  const sc = p.schema && typeof p.schema === 'object' ? p.schema : {};
  switch (p.kind || 'text_classification') {
    case 'text_classification': return [...(p.labels || sc.labels || []), ...(sc.multiple ? ['(several per task)'] : [])];
    case 'text_spans': return [...(sc.entities || []), ...(sc.relations || []).map((r) => `→ ${r}`)];
    case 'image_annotation': return (sc.classes || []).map((c) => `${c.name}: ${(c.tools || []).join(', ')}`);
    case 'lidar_cuboids': return (sc.classes || []).map((c) => c.name);
    case 'llm_comparison': return [...(sc.criteria || []), sc.allow_tie ? 'ties allowed' : 'no ties', `rationale ≥ ${sc.rationale_min_chars ?? 0}`];
    case 'free_text': return [`${sc.min_chars ?? 1}–${sc.max_chars ?? '∞'} characters`];
    default: return [];
  }
}

function renderProgress(pr) {
  const total = pr.tasks_total;
  $('progress-bar').max = Math.max(total, 1);
  $('progress-bar').value = pr.tasks_complete;
  const stat = (label, value) => el('div', {}, el('dt', {}, label), el('dd', {}, String(value)));
  $('progress').replaceChildren(
    el('p', { class: 'progress-summary' },
      `${plural(pr.answers_submitted, 'answer')} · ${pr.tasks_complete} of ${plural(total, 'task')} complete`),
    el('dl', { class: 'stats' },
      stat('Open', pr.tasks_open), stat('In progress', pr.tasks_in_progress),
      stat('Complete', pr.tasks_complete), stat('Active leases', pr.leases_active)));
  const p = projects.get(pr.project_id);
  if (p && (p.task_count !== total || p.answer_count !== pr.answers_submitted)) {
    p.task_count = total;
    p.answer_count = pr.answers_submitted;
    const counts = list.querySelector(`[data-project-id="${p.id}"] [data-role="counts"]`);
    if (counts) counts.textContent = `${plural(total, 'task')} · ${plural(pr.answers_submitted, 'answer')}`;
  }
}

async function refreshProgress() {
  const id = selectedId;
  if (id === null) return;
  const seq = ++progressSeq;
  try {
    const pr = await api('GET', `/api/v1/projects/${id}/progress`);
    if (seq === progressSeq && id === selectedId) renderProgress(pr);
  } catch (err) {
    if (seq === progressSeq && id === selectedId) {
      $('progress').replaceChildren(el('p', { class: 'status', dataset: { kind: 'error' } }, `Progress unavailable: ${err.message}`));
    }
  }
}

setInterval(() => { if (!document.hidden) refreshProgress(); }, POLL_MS);
document.addEventListener('visibilitychange', () => { if (!document.hidden) refreshProgress(); });

// ---- task upload --------------------------------------------------------------------------------

$('tasks-upload').addEventListener('click', async () => {
  const status = $('upload-status');
  const errors = $('upload-errors');
  const file = $('tasks-file').files[0];
  const id = selectedId;
  errors.hidden = true;
  if (id === null) return announce(status, 'Select a project first.', 'error');
  if (!file) return announce(status, 'Choose a JSONL file first.', 'error');
  const button = $('tasks-upload');
  button.disabled = true;
  announce(status, `Uploading ${file.name}…`);
  try {
    const text = await file.text();
    const reply = await api('POST', `/api/v1/projects/${id}/tasks`, { body: text, contentType: 'application/x-ndjson' });
    announce(status, `Imported ${plural(reply.imported, 'task')} from ${file.name}.`, 'success');
    $('tasks-file').value = '';
    try {
      projects.set(id, await api('GET', `/api/v1/projects/${id}`));
      replaceRow(projects.get(id));
    } catch { /* the progress refresh below still updates the counts */ }
    refreshProgress();
  } catch (err) {
    if (err.errors.length) {
      announce(status, `Nothing was imported: ${plural(err.errorCount, 'line')} with errors. Fix them and upload again.`, 'error');
      errors.replaceChildren(...err.errors.map((e) =>
        el('li', {}, `Line ${e.line}${e.field ? ` (${e.field})` : ''}: ${e.detail}`)));
      if (err.errorCount > err.errors.length) errors.append(el('li', {}, `…and ${err.errorCount - err.errors.length} more`));
      errors.hidden = false;
    } else {
      announce(status, `Upload failed: ${err.message}`, 'error');
    }
  } finally {
    button.disabled = false;
  }
});

// ---- create project -----------------------------------------------------------------------------

function parseLabels(text) {
  const parts = text.split(text.includes('\n') ? /\r?\n/ : /,/).map((s) => s.trim()).filter(Boolean);
  return [...new Set(parts)];
}

function updateRatePreview() {
  let text = '';
  try {
    const micros = parseMicros(fields.reward_micros.value);
    const secs = Number(fields.estimated_seconds.value);
    const cur = fields.currency.value.trim().toUpperCase() || 'USD';
    if (Number.isInteger(secs) && secs > 0) text = `Workers earn about ${hourlyRate(micros, secs, cur)} at the estimated time.`;
  } catch { /* incomplete input */ }
  $('rate-preview').textContent = text;
}
for (const f of [fields.reward_micros, fields.estimated_seconds, fields.currency]) f.addEventListener('input', updateRatePreview);

// FW-5: the pay check per country, live while typing (POST /pay-check), and from the create reply.
const hourlyCents = (micros) => microsToDecimal(Math.round(micros / 10000) * 10000);
function renderPayCheck(pc) {
  const box = $('pay-check');
  if (!pc) { box.hidden = true; return; }
  box.hidden = false;
  announce($('pay-check-warning'), pc.warning || '', 'warn');
  $('pay-check-summary').textContent = pc.rate_known
    ? `Offered to workers in ${pc.offered_to} of ${pc.countries.length} countries${pc.min_reward_micros !== null ? `; a reward of ${formatMoney(pc.min_reward_micros, pc.currency)} meets every floor at this estimate` : ''}.`
    : '';
  $('pay-check-table').tBodies[0].replaceChildren(...pc.countries.map((c) => el('tr', { class: c.meets_floor ? '' : 'pay-below', dataset: { country: c.country } },
    el('th', { scope: 'row' }, `${c.name} (${c.country})`),
    el('td', {}, `${hourlyCents(c.rate_micros_per_hour)} ${c.currency} (${hourlyCents(c.rate_usd_micros_per_hour)} USD)`),
    el('td', {}, `${hourlyCents(c.floor_micros_per_hour)} ${c.currency}`, c.meets_floor ? '' : ' — below the floor: not offered',
      c.floor_basis === 'legal_minimum' ? el('span', { class: 'subtle' }, ' (legal minimum)') : '',
      c.minimum_stale ? el('span', { class: 'badge wage-stale' }, 'stale') : ''),
    el('td', {}, c.living_micros_per_hour === null ? '–' : `${hourlyCents(c.living_micros_per_hour)} ${c.currency}${c.meets_living ? '' : ' — below'}`,
      c.living_stale ? el('span', { class: 'badge wage-stale' }, 'stale') : ''),
    el('td', {}, formatMoney(c.min_reward_micros, pc.currency)))));
}
let payCheckTimer = null;
let payCheckSeq = 0;
function schedulePayCheck() {
  clearTimeout(payCheckTimer);
  payCheckTimer = setTimeout(async () => {
    let body;
    try {
      body = { reward_micros: parseMicros(fields.reward_micros.value), currency: fields.currency.value.trim().toUpperCase(),
        estimated_seconds: Number(fields.estimated_seconds.value) };
    } catch { return renderPayCheck(null); }
    if (!/^[A-Z]{3}$/.test(body.currency) || !Number.isInteger(body.estimated_seconds) || body.estimated_seconds < 1) return renderPayCheck(null);
    const seq = ++payCheckSeq;
    try {
      const pc = await api('POST', '/api/v1/pay-check', { json: body });
      if (seq === payCheckSeq) renderPayCheck(pc);
    } catch { if (seq === payCheckSeq) renderPayCheck(null); }
  }, 300);
}
for (const f of [fields.reward_micros, fields.estimated_seconds, fields.currency]) f.addEventListener('input', schedulePayCheck);

function readForm() {
  const errors = [];
  const kind = fields.kind.value || 'text_classification';
  const out = {
    name: fields.name.value.trim(), instructions: fields.instructions.value, kind,
    currency: fields.currency.value.trim().toUpperCase(),
  };
  if (!out.name) errors.push(['name', 'Give the project a name.']);
  if (kind === 'text_classification') {
    out.labels = parseLabels(fields.labels.value);
    if (out.labels.length < 2) errors.push(['labels', 'Enter at least two different labels.']);
    else if (out.labels.length > 50) errors.push(['labels', 'Use at most 50 labels.']);
    else if (out.labels.some((l) => l.length > 100)) errors.push(['labels', 'Each label can have at most 100 characters.']);
    if ($('project-multiple').checked) out.schema = { labels: out.labels, multiple: true };
  } else {
    try {
      out.schema = JSON.parse(fields.schema.value);
      if (!out.schema || typeof out.schema !== 'object' || Array.isArray(out.schema)) throw new Error('The schema must be a JSON object.');
    } catch (e) {
      errors.push(['schema', e instanceof SyntaxError ? `Not valid JSON: ${e.message}` : e.message]);
    }
  }
  try { out.reward_micros = parseMicros(fields.reward_micros.value); } catch (e) { errors.push(['reward_micros', e.message]); }
  if (!/^[A-Z]{3}$/.test(out.currency)) errors.push(['currency', 'Use a 3-letter ISO 4217 code such as USD.']);
  for (const [key, min, max] of [['estimated_seconds', 1, 86400], ['overlap', 1, 15], ['lease_seconds', 2, 86400]]) {
    const raw = fields[key].value.trim();
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || n < min || n > max) errors.push([key, `Enter a whole number from ${min} to ${max}.`]);
    out[key] = n;
  }
  return { out, errors };
}

form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  clearFieldErrors(form);
  const status = $('create-status');
  announce(status, '');
  const { out, errors } = readForm();
  if (errors.length) {
    for (const [key, msg] of errors) showFieldError(fields[key], msg);
    fields[errors[0][0]].focus();
    return announce(status, 'Please correct the highlighted fields.', 'error');
  }
  const button = $('project-create');
  button.disabled = true;
  try {
    const p = await api('POST', '/api/v1/projects', { json: out });
    projects.set(p.id, p);
    renderList();
    select(p.id);
    form.reset();
    kindChanged(true);
    updateRatePreview();
    renderPayCheck(null);
    announce(status, p.pay_check?.warning ? `Created “${p.name}”. Warning: it ${p.pay_check.warning}.`
      : `Created “${p.name}”. Upload tasks, then publish it.`, p.pay_check?.warning ? 'error' : 'success');
  } catch (err) {
    if (showApiFieldError(err, fields)) announce(status, 'Please correct the highlighted field.', 'error');
    else announce(status, `Could not create the project: ${err.message}`, 'error');
  } finally {
    button.disabled = false;
  }
});

// ---- kind and schema ----------------------------------------------------------------------------

function kindChanged(force = false) {
  const kind = fields.kind.value || 'text_classification';
  const classification = kind === 'text_classification';
  $('labels-field').hidden = !classification;
  fields.labels.required = classification;
  $('schema-field').hidden = classification;
  const current = fields.schema.value.trim();
  const isTemplate = !current || Object.keys(KINDS).some((k) => current === templateText(k));
  if (force || isTemplate) fields.schema.value = templateText(kind);
  $('schema-hint').textContent = KINDS[kind]?.hint || '';
}
fields.kind.addEventListener('change', () => { clearFieldErrors(form); kindChanged(); });
$('schema-template').addEventListener('click', () => { fields.schema.value = templateText(fields.kind.value); fields.schema.focus(); });
kindChanged(true);

// ---- media upload -------------------------------------------------------------------------------

const mediaLine = (id, type) => JSON.stringify({ data: /^image\//.test(type) ? { image: { media_id: id } } : { pointcloud: { media_id: id } } });

$('media-upload').addEventListener('click', async () => {
  const status = $('media-status');
  const files = [...$('media-file').files];
  if (!files.length) return announce(status, 'Choose one or more files first.', 'error');
  const button = $('media-upload');
  button.disabled = true;
  let ok = 0;
  try {
    for (const [i, file] of files.entries()) {
      announce(status, `Uploading ${file.name} (${i + 1} of ${files.length})…`);
      try {
        const reply = await api('POST', '/api/v1/media', { body: file, contentType: file.type || 'application/octet-stream' });
        const id = reply.media_id;
        const line = mediaLine(id, reply.content_type || file.type);
        $('media-list').prepend(el('li', { dataset: { mediaId: id } },
          el('div', { class: 'media-name' }, el('strong', {}, file.name), el('span', { class: 'subtle' }, ` ${file.type || 'unknown type'}`)),
          el('code', { class: 'media-id' }, id),
          el('button', { type: 'button', class: 'btn btn-ghost btn-small', dataset: { action: 'copy', line }, 'aria-label': `Copy a task line for ${file.name}` }, 'Copy task line')));
        ok += 1;
      } catch (err) {
        announce(status, `${file.name} failed: ${err.message}`, 'error');
        return;
      }
    }
    announce(status, `Uploaded ${plural(ok, 'file')}.`, 'success');
    $('media-file').value = '';
  } finally {
    button.disabled = false;
  }
});

$('media-list').addEventListener('click', async (ev) => {
  const b = ev.target.closest('[data-action="copy"]');
  if (!b) return;
  try {
    await navigator.clipboard.writeText(b.dataset.line);
    announce($('media-status'), 'Copied a task line for that file.', 'success');
  } catch {
    const code = b.parentElement.querySelector('.media-id');
    getSelection().selectAllChildren(code);
    announce($('media-status'), `Copy it by hand: ${b.dataset.line}`, 'info');
  }
});

// ---- preview ------------------------------------------------------------------------------------

let preview = null; // the mounted editor

async function firstTask(p) {
  const file = $('tasks-file').files[0];
  if (file) {
    const line = (await file.text()).split(/\r?\n/).find((l) => l.trim());
    if (!line) throw new Error(`${file.name} has no task lines.`);
    try { return { task: JSON.parse(line), source: `the first line of ${file.name}` }; } catch (e) { throw new Error(`The first line of ${file.name} is not JSON: ${e.message}`); }
  }
  const res = await fetch(`/api/v1/projects/${p.id}/export?format=jsonl`, { credentials: 'same-origin', cache: 'no-store' });
  if (!res.ok) throw new Error(`Could not read the project's tasks (HTTP ${res.status}).`);
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (value) text += decoder.decode(value, { stream: true });
    const nl = text.indexOf('\n');
    if (nl >= 0 || done) {
      reader.cancel().catch(() => {});
      const line = (nl >= 0 ? text.slice(0, nl) : text).trim();
      if (!line) throw new Error('This project has no tasks yet: choose a tasks file or upload tasks first.');
      return { task: JSON.parse(line), source: 'the project\'s first task' };
    }
  }
}

function closePreview() {
  if (preview) { try { preview.destroy(); } catch { /* ignore */ } }
  preview = null;
  $('preview-editor').replaceChildren();
  if ($('preview-dialog').open) $('preview-dialog').close();
}

$('preview-open').addEventListener('click', async () => {
  const p = projects.get(selectedId);
  if (!p) return;
  const status = $('preview-status');
  const button = $('preview-open');
  button.disabled = true;
  closePreview();
  $('preview-answer').hidden = true;
  try {
    const { task, source } = await firstTask(p);
    const kind = p.kind || 'text_classification';
    const module = await import(`/static/editors/${KINDS[kind]?.editor || 'missing.js'}`).catch((err) => {
      throw new Error(`The ${kind.replace(/_/g, ' ')} editor could not be loaded (${err.message}).`);
    });
    $('preview-title').textContent = `Preview: ${p.name}`;
    $('preview-dialog').showModal();
    preview = module.mount($('preview-editor'), {
      task: { id: task.task_id ?? task.id ?? null, data: task.data || {} }, project: p, predictions: task.predictions ?? null,
    });
    announce(status, `Showing ${source}. Answer it as a worker would; nothing is submitted.`);
  } catch (err) {
    announce($('upload-status'), `Preview failed: ${err.message}`, 'error');
  } finally {
    button.disabled = false;
  }
});
$('preview-close').addEventListener('click', closePreview);
$('preview-dialog').addEventListener('close', () => { if (preview) closePreview(); });
$('preview-check').addEventListener('click', () => {
  if (!preview) return;
  const problem = preview.validate();
  announce($('preview-status'), problem ? `A worker would be told: ${problem}` : 'This answer would be accepted by the editor.', problem ? 'warn' : 'success');
  $('preview-answer').textContent = JSON.stringify(preview.getAnswer(), null, 2);
  $('preview-answer').hidden = false;
});

// ---- start --------------------------------------------------------------------------------------

if (await requireUser(['requester', 'admin'])) {
  await loadProjects();
}
