// Requester dashboard: list, create, publish/pause projects; upload tasks; follow progress; export.
import {
  announce, api, clearFieldErrors, el, formatDuration, formatMoney, hourlyRate, parseMicros, requireUser,
  showApiFieldError, showFieldError,
} from '/static/api.js';

const $ = (id) => document.getElementById(id);
const list = $('project-list');
const form = $('project-form');
const fields = {
  name: $('project-name'), instructions: $('project-instructions'), labels: $('project-labels'),
  reward_micros: $('project-reward'), currency: $('project-currency'),
  estimated_seconds: $('project-estimated-seconds'), overlap: $('project-overlap'), lease_seconds: $('project-lease-seconds'),
};
const POLL_MS = 5000;

const projects = new Map(); // id → project
let selectedId = null;
let progressSeq = 0;

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
  if (!p) return;
  $('detail-name').textContent = p.name;
  $('detail-status').textContent = p.status;
  $('detail-status').dataset.status = p.status;
  $('detail-meta').textContent = [
    `${formatMoney(p.reward_micros, p.currency)} per task`, `about ${formatDuration(p.estimated_seconds)}`,
    hourlyRate(p.reward_micros, p.estimated_seconds, p.currency), `${plural(p.overlap, 'answer')} per task`,
    `lease ${formatDuration(p.lease_seconds ?? 600)}`,
  ].join(' · ');
  $('detail-labels').replaceChildren(...(p.labels || []).map((l) => el('span', { class: 'chip' }, l)));
  const exportLink = $('export-link');
  exportLink.href = `/api/v1/projects/${p.id}/export?format=jsonl`;
  exportLink.download = `fairlabel-project-${p.id}.jsonl`;
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

function readForm() {
  const errors = [];
  const out = {
    name: fields.name.value.trim(), instructions: fields.instructions.value, kind: 'text_classification',
    labels: parseLabels(fields.labels.value), currency: fields.currency.value.trim().toUpperCase(),
  };
  if (!out.name) errors.push(['name', 'Give the project a name.']);
  if (out.labels.length < 2) errors.push(['labels', 'Enter at least two different labels.']);
  else if (out.labels.length > 50) errors.push(['labels', 'Use at most 50 labels.']);
  else if (out.labels.some((l) => l.length > 100)) errors.push(['labels', 'Each label can have at most 100 characters.']);
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
    updateRatePreview();
    announce(status, `Created “${p.name}”. Upload tasks, then publish it.`, 'success');
  } catch (err) {
    if (showApiFieldError(err, fields)) announce(status, 'Please correct the highlighted field.', 'error');
    else announce(status, `Could not create the project: ${err.message}`, 'error');
  } finally {
    button.disabled = false;
  }
});

// ---- start --------------------------------------------------------------------------------------

if (await requireUser(['requester', 'admin'])) {
  await loadProjects();
}
