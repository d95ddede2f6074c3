// Worker page: pick a published project, claim a task, label it (keys 1–9, Enter submits), repeat.
import { announce, api, el, formatDuration, formatMoney, hourlyRate, requireUser } from '/static/api.js';

const $ = (id) => document.getElementById(id);
const list = $('project-list');
const workStatus = $('work-status');

let project = null; // the project being worked on (from the list)
let claim = null; // the current claim {assignment_id, lease_token, expires_at, task, project}
let idempotencyKey = null; // one per claim, so a retried submit is not counted twice
let chosen = null; // the chosen label
let busy = false;
let done = 0;
let leaseTimer = null;

const newKey = () => (crypto.randomUUID ? crypto.randomUUID()
  : [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join(''));

// ---- project list -------------------------------------------------------------------------------

function offerFor(p) {
  const figure = (label, value) => el('div', {}, el('dt', {}, label), el('dd', {}, value));
  return el('li', { class: 'project-row offer', dataset: { projectId: String(p.id) } },
    el('div', { class: 'project-main' },
      el('h2', { class: 'project-name' }, p.name),
      p.instructions ? el('p', { class: 'subtle' }, p.instructions.length > 160 ? `${p.instructions.slice(0, 160)}…` : p.instructions) : null,
      el('dl', { class: 'offer-figures' },
        figure('Reward', formatMoney(p.reward_micros, p.currency)),
        figure('Time', `~${formatDuration(p.estimated_seconds)}`),
        figure('Hourly', hourlyRate(p.reward_micros, p.estimated_seconds, p.currency)))),
    el('div', { class: 'project-actions' },
      el('button', { type: 'button', class: 'btn', dataset: { action: 'start' }, 'aria-label': `Start ${p.name}` }, 'Start')));
}

const projects = new Map();

async function loadProjects() {
  const status = $('list-status');
  try {
    const reply = await api('GET', '/api/v1/projects');
    projects.clear();
    const items = (reply.items || []).filter((p) => p.status === 'published');
    for (const p of items) projects.set(p.id, p);
    list.replaceChildren(...items.map(offerFor));
    $('list-empty').hidden = items.length > 0;
    announce(status, '');
  } catch (err) {
    announce(status, `Could not load projects: ${err.message}`, 'error');
  }
}

list.addEventListener('click', (ev) => {
  const button = ev.target.closest('button[data-action="start"]');
  if (!button) return;
  start(projects.get(Number(button.closest('[data-project-id]').dataset.projectId)));
});
$('refresh-projects').addEventListener('click', loadProjects);

// ---- views --------------------------------------------------------------------------------------

function showView(work) {
  $('projects-view').hidden = work;
  $('work-view').hidden = !work;
}

function start(p) {
  project = p;
  showView(true);
  $('work-project-name').textContent = p.name;
  $('work-reward').textContent = `${formatMoney(p.reward_micros, p.currency)} per task · ~${formatDuration(p.estimated_seconds)} · ${hourlyRate(p.reward_micros, p.estimated_seconds, p.currency)}`;
  setInstructions(p.instructions);
  $('task-panel').hidden = true;
  $('empty-state').hidden = true;
  announce(workStatus, '');
  claimNext();
}

function setInstructions(text) {
  $('instructions').textContent = text || '';
  $('instructions-box').hidden = !text;
}

async function backToList() {
  await releaseCurrent();
  project = null;
  showView(false);
  announce(workStatus, '');
  loadProjects();
}
$('back').addEventListener('click', backToList);
$('empty-back').addEventListener('click', backToList);
$('claim-again').addEventListener('click', () => claimNext());

// ---- claiming and labelling ---------------------------------------------------------------------

function setBusy(b) {
  busy = b;
  $('skip').disabled = b;
  $('submit').disabled = b || chosen === null;
  $('claim-again').disabled = b;
  for (const btn of $('labels').querySelectorAll('button')) btn.disabled = b;
}

async function claimNext(notice = '', kind = 'info') {
  if (!project) return;
  stopLeaseTimer();
  claim = null;
  chosen = null;
  setBusy(true);
  announce(workStatus, notice ? `${notice} Loading the next task…` : 'Loading a task…', kind);
  try {
    const c = await api('POST', `/api/v1/projects/${project.id}/claim`);
    if (!c) {
      $('task-panel').hidden = true;
      $('empty-state').hidden = false;
      announce(workStatus, notice, kind);
      $('claim-again').focus();
    } else {
      showTask(c);
      announce(workStatus, notice, kind);
    }
  } catch (err) {
    if (err.status === 401) return location.replace('/login');
    $('task-panel').hidden = true;
    $('empty-state').hidden = false;
    announce(workStatus, `Could not get a task: ${err.message}`, 'error');
  } finally {
    setBusy(false);
  }
}

function showTask(c) {
  claim = c;
  idempotencyKey = newKey();
  chosen = null;
  if (c.project?.instructions !== undefined) setInstructions(c.project.instructions);
  const data = c.task?.data || {};
  $('task-text').textContent = typeof data.text === 'string' ? data.text : JSON.stringify(data, null, 2);
  const labels = c.project?.labels || project.labels || [];
  $('labels').replaceChildren(...labels.map((label, i) => el('button', {
    type: 'button', class: 'label-btn', dataset: { label }, 'aria-pressed': 'false',
    'aria-keyshortcuts': i < 9 ? String(i + 1) : null,
  }, i < 9 ? el('kbd', {}, String(i + 1)) : null, el('span', {}, label))));
  $('empty-state').hidden = true;
  $('task-panel').hidden = false;
  $('submit').disabled = true;
  startLeaseTimer(c.expires_at);
}

function choose(label) {
  if (!claim || busy) return;
  chosen = label;
  for (const b of $('labels').querySelectorAll('[data-label]')) {
    const on = b.dataset.label === label;
    b.setAttribute('aria-pressed', String(on));
    b.classList.toggle('selected', on);
  }
  $('submit').disabled = false;
}

$('labels').addEventListener('click', (ev) => {
  const b = ev.target.closest('[data-label]');
  if (b) choose(b.dataset.label);
});

async function submit() {
  if (!claim || busy) return;
  if (chosen === null) return announce(workStatus, 'Choose a label first (keys 1–9).', 'warn');
  const c = claim;
  setBusy(true);
  announce(workStatus, 'Saving…');
  try {
    await api('POST', `/api/v1/assignments/${c.assignment_id}/submit`, {
      json: { lease_token: c.lease_token, answer: { label: chosen }, idempotency_key: idempotencyKey },
    });
    done += 1;
    $('done-count').textContent = String(done);
    await claimNext('Saved.', 'success');
  } catch (err) {
    if (err.status === 401) return location.replace('/login');
    if (err.errorName === 'LEASE_LOST' || err.code === 2003) {
      await claimNext('Your time on that task ran out, so the answer was not saved.', 'warn');
    } else if (err.errorName === 'ASSIGNMENT_ALREADY_SUBMITTED' || err.code === 2004) {
      await claimNext('That task was already submitted.', 'info');
    } else {
      setBusy(false);
      announce(workStatus, `Could not save your answer: ${err.message} Press Submit to try again.`, 'error');
    }
  }
}
$('submit').addEventListener('click', submit);

async function releaseCurrent(keepalive = false) {
  const c = claim;
  claim = null;
  stopLeaseTimer();
  if (!c) return;
  try {
    await api('POST', `/api/v1/assignments/${c.assignment_id}/release`, { json: { lease_token: c.lease_token }, keepalive });
  } catch { /* an expired or lost lease is released already */ }
}

$('skip').addEventListener('click', async () => {
  if (!claim || busy) return;
  setBusy(true);
  await releaseCurrent();
  await claimNext('Skipped.');
});

// Give the task back when the page is closed, so others need not wait for the lease to run out.
window.addEventListener('pagehide', () => { if (claim) releaseCurrent(true); });

document.addEventListener('keydown', (ev) => {
  if ($('work-view').hidden || !claim || busy || ev.ctrlKey || ev.metaKey || ev.altKey) return;
  const t = ev.target;
  if (t instanceof Element && t.closest('input, textarea, select, [contenteditable="true"]')) return;
  if (/^[1-9]$/.test(ev.key)) {
    const b = $('labels').querySelectorAll('[data-label]')[Number(ev.key) - 1];
    if (b) {
      ev.preventDefault();
      choose(b.dataset.label);
    }
  } else if (ev.key === 'Enter') {
    // Enter on another control (Skip, Back, Sign out) keeps its usual meaning.
    if (t instanceof Element && t.closest('button, a, summary') && !t.closest('#labels, #submit')) return;
    ev.preventDefault();
    submit();
  }
});

// ---- lease countdown ----------------------------------------------------------------------------

function stopLeaseTimer() {
  clearInterval(leaseTimer);
  leaseTimer = null;
  $('lease-timer').textContent = '';
}

function startLeaseTimer(expiresAt) {
  stopLeaseTimer();
  const end = Date.parse(expiresAt);
  if (Number.isNaN(end)) return;
  const node = $('lease-timer');
  const tick = () => {
    const left = Math.max(0, Math.round((end - Date.now()) / 1000));
    node.textContent = left > 0
      ? `Reserved for you: ${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}`
      : 'Your reservation ran out; submitting may fail.';
    node.dataset.kind = left <= 60 ? 'warn' : 'info';
  };
  tick();
  leaseTimer = setInterval(tick, 1000);
}

// ---- start --------------------------------------------------------------------------------------

if (await requireUser(['worker'])) {
  await loadProjects();
}
