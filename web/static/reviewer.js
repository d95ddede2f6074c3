// Reviewer page: pick a project, take the next answer waiting for review (GET …/review/next), see it in the
// project's editor and accept it, reject it with a published reason and a note (FW-3), or fix it by editing
// (POST /assignments/{id}/review); then the next one.
import {
  announce, api, clearFieldErrors, el, requireUser, showApiFieldError, showFieldError,
} from '/static/api.js';
import { percent, summarise, when } from '/static/results.js';

const $ = (id) => document.getElementById(id);
const list = $('project-list');
const status = $('review-status');
const reason = $('reject-reason');
const note = $('reject-note');
const editorHost = $('review-editor');
const rejectForm = $('reject-form');

// The editor module of each kind (web/static/editors/), imported on demand.
const EDITORS = {
  text_classification: 'classification.js',
  text_spans: 'spans.js',
  image_annotation: 'image.js',
  lidar_cuboids: 'lidar.js',
  llm_comparison: 'compare.js',
  free_text: 'freetext.js',
};

const projects = new Map();
let project = null; // the project being reviewed (from the list)
let item = null; // the reply of GET …/review/next being shown
let editor = null;
let busy = false;
let loadSeq = 0;

// ---- project list -------------------------------------------------------------------------------

function rowFor(p) {
  return el('li', { class: 'project-row', dataset: { projectId: String(p.id) } },
    el('div', { class: 'project-main' },
      el('h2', { class: 'project-name' }, p.name),
      el('div', { class: 'project-meta' },
        el('span', { class: 'badge badge-kind' }, (p.kind || 'text_classification').replace(/_/g, ' ')),
        el('span', { class: 'badge', dataset: { status: p.status } }, p.status),
        el('span', {}, `${p.task_count ?? 0} tasks · ${p.answer_count ?? 0} answers`))),
    el('div', { class: 'project-actions' },
      el('button', { type: 'button', class: 'btn', dataset: { action: 'review' }, 'aria-label': `Review next answer in ${p.name}` }, 'Review next')));
}

async function loadProjects() {
  try {
    const reply = await api('GET', '/api/v1/projects');
    projects.clear();
    for (const p of reply.items || []) projects.set(p.id, p);
    list.replaceChildren(...[...projects.values()].map(rowFor));
    $('list-empty').hidden = projects.size > 0;
    announce($('list-status'), '');
  } catch (err) {
    if (err.status === 401) return location.replace('/login');
    announce($('list-status'), `Could not load your projects: ${err.message}`, 'error');
  }
}

list.addEventListener('click', (ev) => {
  const button = ev.target.closest('button[data-action="review"]');
  if (!button) return;
  open(projects.get(Number(button.closest('[data-project-id]').dataset.projectId)));
});
$('refresh-projects').addEventListener('click', loadProjects);

// ---- views --------------------------------------------------------------------------------------

function showView(review) {
  $('projects-view').hidden = review;
  $('review-view').hidden = !review;
}

function open(p) {
  if (!p) return;
  project = p;
  showView(true);
  $('review-project-name').textContent = p.name;
  $('instructions').textContent = p.instructions || '';
  $('instructions-box').hidden = !p.instructions;
  loadNext();
}

function back() {
  if (editor?.isDirty?.() && !window.confirm('Leave this answer and discard your edits?')) return;
  destroyEditor();
  project = null;
  item = null;
  loadSeq += 1;
  showView(false);
  announce(status, '');
  loadProjects();
}
$('back').addEventListener('click', back);
$('empty-back').addEventListener('click', back);
$('review-again').addEventListener('click', () => loadNext());

// ---- the answer under review --------------------------------------------------------------------

function destroyEditor() {
  if (editor) {
    try { editor.destroy(); } catch { /* a broken editor must not block the next answer */ }
  }
  editor = null;
  editorHost.replaceChildren();
}

function updateButtons() {
  const have = !!item && !busy;
  $('accept').disabled = !have;
  $('fix').disabled = !have || !editor || !editor.isDirty?.();
  $('reject').disabled = !have || reason.disabled || !reason.value || !note.value.trim();
}

function setBusy(b) {
  busy = b;
  editorHost.inert = b;
  reason.disabled = b || reason.options.length <= 1;
  note.disabled = b;
  $('review-again').disabled = b;
  updateButtons();
}

function fillReasons(reasons) {
  const keep = reason.value;
  const options = (reasons || []).map((r) => el('option', { value: r.code }, `${r.title} (${r.code})`));
  reason.replaceChildren(el('option', { value: '' }, options.length ? 'Choose a reason…' : 'No reasons published: this project cannot reject'), ...options);
  reason.value = (reasons || []).some((r) => r.code === keep) ? keep : '';
  reason.disabled = busy || !options.length;
}

function renderMeta(it) {
  const figure = (label, value) => el('div', {}, el('dt', {}, label), el('dd', {}, value));
  const t = it.task || {};
  $('review-meta').replaceChildren(
    figure('Task', t.external_id || `#${t.id}`),
    figure('Worker', `Worker #${it.worker_id}`),
    figure('Submitted', when(it.submitted_at)),
    figure('Version', String(it.answer_version)));
  const consensus = t.result
    ? `Current consensus of ${t.submitted ?? '?'} of ${t.overlap ?? '?'} answers: ${summarise(t.result, t.data)} · confidence ${percent(t.result_confidence)}${t.result_method ? ` (${t.result_method.replace(/_/g, ' ')})` : ''}${t.result_final ? ' · final' : ''}`
    : 'No consensus for this task yet.';
  $('review-consensus').textContent = consensus;
}

async function loadEditor(kind) {
  const file = EDITORS[kind];
  if (!file) throw new Error(`This page cannot show answers of kind “${kind}” yet.`);
  try {
    return await import(`/static/editors/${file}`);
  } catch (err) {
    throw new Error(`The ${kind.replace(/_/g, ' ')} editor could not be loaded (${err.message}).`);
  }
}

async function showItem(it) {
  item = it;
  clearFieldErrors($('review-panel'));
  note.value = '';
  reason.value = '';
  fillReasons(it.reject_reasons);
  renderMeta(it);
  const p = { ...project, ...(it.project || {}) };
  const kind = p.kind || 'text_classification';
  $('review-view').dataset.kind = kind;
  $('review-view').dataset.assignmentId = String(it.assignment_id);
  $('empty-state').hidden = true;
  $('review-panel').hidden = false;
  const module = await loadEditor(kind);
  if (item !== it) return; // superseded while loading
  // The worker's answer is the editor's starting point: edits to it are the fix.
  editor = module.mount(editorHost, { task: it.task, project: p, predictions: it.answer, onChange: updateButtons });
  updateButtons();
}

async function loadNext(notice = '', kind = 'info') {
  if (!project) return;
  const seq = ++loadSeq;
  destroyEditor();
  item = null;
  setBusy(true);
  announce(status, notice ? `${notice} Loading the next answer…` : 'Loading the next answer…', kind);
  try {
    const it = await api('GET', `/api/v1/projects/${project.id}/review/next`);
    if (seq !== loadSeq) return;
    if (!it) {
      $('review-panel').hidden = true;
      $('empty-state').hidden = false;
      delete $('review-view').dataset.assignmentId;
      announce(status, notice ? `${notice} Nothing to review.` : 'Nothing to review.', notice ? kind : 'info');
      $('review-again').focus();
    } else {
      await showItem(it);
      announce(status, notice, kind);
      $('review-project-name').focus();
    }
  } catch (err) {
    if (err.status === 401) return location.replace('/login');
    if (seq !== loadSeq) return;
    if (item) { // the answer is there but its editor failed
      announce(status, err.message, 'error');
    } else {
      $('review-panel').hidden = true;
      $('empty-state').hidden = false;
      announce(status, `Could not load the next answer: ${err.message}`, 'error');
    }
  } finally {
    if (seq === loadSeq) setBusy(false);
  }
}

/** Reloads the project's published reasons (after the server refused the chosen one). */
async function refreshReasons() {
  try {
    const p = await api('GET', `/api/v1/projects/${project.id}`);
    fillReasons(p.quality?.reject_reasons || []);
    updateButtons();
  } catch { /* the field error already says what went wrong */ }
}

async function decide(body, done) {
  if (!item || busy) return;
  const it = item;
  clearFieldErrors($('review-panel'));
  setBusy(true);
  announce(status, 'Saving your decision…');
  try {
    const reply = await api('POST', `/api/v1/assignments/${it.assignment_id}/review`, { json: body });
    if (reply?.review_state === 'held') {
      // FW-4: over the bound, the rejection waits for an admin; nothing of it applies yet
      const h = reply.hold;
      const why = h.over_share ? `${h.rejections} of this worker's ${h.submissions} answers here would be rejected, more than 10%`
        : `it would be rejection number ${h.rejections_today} of this worker today, more than 10`;
      await loadNext(`Held for human review: ${why}. An admin decides it; until then it does not count against the worker.`, 'warn');
      return;
    }
    await loadNext(done, 'success'); // drops the editor: its edits are saved or deliberately left out
  } catch (err) {
    if (err.status === 401) return location.replace('/login');
    if (err.errorName === 'REVIEW_DECIDED' || err.status === 409) {
      destroyEditor();
      await loadNext('Someone already decided on that answer.', 'warn');
      return;
    }
    setBusy(false);
    if (showApiFieldError(err, { reason_code: reason, note, answer: editorHost })) {
      if (err.field === '/reason_code') {
        announce(status, 'Nothing was saved: the project\'s reasons have changed. Choose a reason from the updated list.', 'error');
        refreshReasons();
      } else {
        announce(status, body.decision === 'fix' ? 'The fixed answer was not saved: correct it and press Fix again.'
          : 'Nothing was saved: correct the highlighted field.', 'error');
      }
    } else {
      announce(status, `Could not save your decision: ${err.message}`, 'error');
    }
  }
}

$('accept').addEventListener('click', () => {
  if (editor?.isDirty?.() && !window.confirm('Accept the worker\'s answer as it was submitted, without your edits?')) return;
  decide({ decision: 'accept' }, 'Accepted.');
});

$('fix').addEventListener('click', () => {
  if (!editor) return;
  const problem = editor.validate();
  if (problem) {
    showFieldError(editorHost, problem);
    return announce(status, `The fixed answer is not complete: ${problem}`, 'warn');
  }
  decide({ decision: 'fix', answer: editor.getAnswer() }, 'Fixed: your version was saved.');
});

rejectForm.addEventListener('submit', (ev) => {
  ev.preventDefault();
  clearFieldErrors(rejectForm);
  // The button stays disabled until both are given; these guard Enter and stale states.
  if (!reason.value) return showFieldError(reason, 'Choose the reason from the project\'s published list.');
  if (!note.value.trim()) return showFieldError(note, 'Tell the worker what was wrong.');
  if (editor?.isDirty?.() && !window.confirm('Reject the worker\'s answer as it was submitted, discarding your edits?')) return;
  decide({ decision: 'reject', reason_code: reason.value, note: note.value.trim() }, 'Rejected; the worker sees your reason and note.');
});
/** Removes the error under one field once it is filled in again. */
function clearFieldError(input) {
  const id = `${input.id}-error`;
  document.getElementById(id)?.remove();
  input.removeAttribute('aria-invalid');
  const rest = (input.getAttribute('aria-describedby') || '').split(' ').filter((d) => d && d !== id);
  if (rest.length) input.setAttribute('aria-describedby', rest.join(' '));
  else input.removeAttribute('aria-describedby');
}
for (const input of [reason, note]) {
  const onEdit = () => {
    if (input.getAttribute('aria-invalid') && (input === reason ? reason.value : note.value.trim())) clearFieldError(input);
    updateButtons();
  };
  input.addEventListener('input', onEdit);
  input.addEventListener('change', onEdit);
}

// ---- start --------------------------------------------------------------------------------------

if (await requireUser(['reviewer', 'requester', 'admin'])) {
  await loadProjects();
}
