// Worker page: pick a published project, claim a task, answer it in the editor of the project's kind
// (web/static/editors/; classification: keys 1–9, Enter submits; every kind: Ctrl+Enter submits), repeat.
// Beside the project list: my quality (GET /me/quality) and the reviewers' decisions on my work (GET /me/reviews).
// Each project shows its task card (FW-7); while a task is open the page sends heartbeats so the server can measure
// active time (FW-6); the inbox (GET /me/notifications) lists what happened to your pay.
import { announce, api, el, requireUser } from '/static/api.js';
import { summarise } from '/static/results.js';
import { formatDuration, formatMoney, formatNumber, hourlyRate, isOne, percent, t, timeEl } from '/static/i18n.js';
import { loadPayouts, mountPayouts } from '/static/payouts.js';
import { mountLanguage } from '/static/language.js';
import { mountTickets, refreshTickets } from '/static/tickets.js';
import { mountDecisions } from '/static/decisions.js';
import { mountRegionBanner } from '/static/region-banner.js';
import { mountAnnouncements, refreshAnnouncements } from '/static/announcements.js';

const $ = (id) => document.getElementById(id);
const list = $('project-list');
const workStatus = $('work-status');

let project = null; // the project being worked on (from the list)
let claim = null; // the current claim {assignment_id, lease_token, expires_at, task, project}
let idempotencyKey = null; // one per claim, so a retried submit is not counted twice
let busy = false;
let done = 0;
let leaseTimer = null;

const newKey = () => (crypto.randomUUID ? crypto.randomUUID()
  : [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join(''));

// ---- project list -------------------------------------------------------------------------------

// The task card's figures (FW-7): reward, estimate, the hourly rate at the estimate after fees in the project's
// currency, in USD and in the worker's own, and once ten answers were timed, the rate at the median active time.
function cardFigures(p) {
  const figure = (label, value, role) => el('div', { dataset: role ? { role } : {} }, el('dt', {}, label), el('dd', {}, value));
  const tc = p.task_card;
  // rates to the cent (the exact micros are in the API reply)
  const perHour = (m, cur) => (typeof m === 'number' ? `${formatMoney(Math.round(m / 10000) * 10000, cur)}/h` : '–');
  if (!tc) {
    return [figure(t('card.reward'), formatMoney(p.reward_micros, p.currency)), figure(t('card.time'), `~${formatDuration(p.estimated_seconds)}`),
      figure(t('card.hourly'), hourlyRate(p.reward_micros, p.estimated_seconds, p.currency))];
  }
  const other = [];
  if (tc.currency !== 'USD' && typeof tc.hourly_usd_micros === 'number') other.push(perHour(tc.hourly_usd_micros, 'USD'));
  if (tc.local_currency && tc.local_currency !== tc.currency && tc.local_currency !== 'USD') other.push(perHour(tc.hourly_local_micros, tc.local_currency));
  const out = [
    figure(t('card.reward'), formatMoney(tc.reward_micros, tc.currency), 'reward'),
    figure(t('card.estimate'), `~${formatDuration(tc.estimated_seconds)}`, 'estimate'),
    figure(t('card.hourly_estimate'), `${perHour(tc.hourly_micros, tc.currency)}${other.length ? ` (${other.join(', ')})` : ''}`, 'hourly'),
  ];
  if (tc.median_active_seconds !== null) {
    const m = [perHour(tc.hourly_at_median_micros, tc.currency)];
    if (tc.local_currency && tc.local_currency !== tc.currency) m.push(perHour(tc.hourly_at_median_local_micros, tc.local_currency));
    out.push(figure(t('card.hourly_median', { time: formatDuration(tc.median_active_seconds) }),
      `${m.join(' · ')}${tc.topped_up_at_median ? ` — ${t('card.below_floor')}` : ''}`, 'median'));
  } else {
    out.push(figure(t('card.measured'), t('card.measured_pending', { count: formatNumber(tc.timed_answers) }), 'median'));
  }
  return out;
}

function offerFor(p) {
  return el('li', { class: 'project-row offer', dataset: { projectId: String(p.id) } },
    el('div', { class: 'project-main' },
      el('h2', { class: 'project-name' }, p.name),
      p.instructions ? el('p', { class: 'subtle' }, p.instructions.length > 160 ? `${p.instructions.slice(0, 160)}…` : p.instructions) : null,
      el('dl', { class: 'offer-figures', dataset: { testid: 'offer-card' } }, ...cardFigures(p))),
    el('div', { class: 'project-actions' },
      el('button', { type: 'button', class: 'btn', dataset: { action: 'start' }, 'aria-label': t('projects.start_named', { name: p.name }) }, t('projects.start'))));
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
    announce(status, t('projects.load_failed', { error: err.message }), 'error');
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
  $('work-reward').textContent = t('work.reward_line', {
    reward: formatMoney(p.reward_micros, p.currency), time: formatDuration(p.estimated_seconds),
    rate: hourlyRate(p.reward_micros, p.estimated_seconds, p.currency),
  });
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
  if (editor?.isDirty?.() && !window.confirm(t('work.confirm_leave'))) return;
  await releaseCurrent();
  project = null;
  showView(false);
  announce(workStatus, '');
  loadProjects();
  loadQuality();
  loadDecisions();
  loadNotifications();
}
$('back').addEventListener('click', backToList);
$('empty-back').addEventListener('click', backToList);
$('claim-again').addEventListener('click', () => claimNext());
$('email-resend').addEventListener('click', resendEmailLink);

// ---- claiming and labelling ---------------------------------------------------------------------

// The editor module of each kind (web/static/editors/). Imported on demand, so a missing or broken module only
// breaks its own kind.
const EDITORS = {
  text_classification: 'classification.js',
  text_spans: 'spans.js',
  image_annotation: 'image.js',
  lidar_cuboids: 'lidar.js',
  llm_comparison: 'compare.js',
  free_text: 'freetext.js',
};
const WIDE_KINDS = new Set(['text_spans', 'image_annotation', 'lidar_cuboids', 'llm_comparison']);

let editor = null; // {getAnswer, validate, destroy, isDirty} of the mounted editor
let editorKind = null;
let taskTimer = null;
let taskStarted = 0;

async function loadEditor(kind) {
  const file = EDITORS[kind];
  if (!file) throw new Error(t('work.kind_unsupported', { kind }));
  try {
    return await import(`/static/editors/${file}`);
  } catch (err) {
    throw new Error(t('work.editor_failed', { kind: kind.replace(/_/g, ' '), error: err.message }));
  }
}

function destroyEditor() {
  stopTaskTimer();
  stopHeartbeat();
  if (editor) {
    try { editor.destroy(); } catch { /* a broken editor must not block the next task */ }
  }
  editor = null;
  editorKind = null;
  $('editor').replaceChildren();
}

function editorChanged() {
  if (workStatus.dataset.kind === 'warn' && !workStatus.hidden && editor && editor.validate() === null) announce(workStatus, '');
  updateSubmit();
}

function updateSubmit() {
  // Classification keeps the original behaviour: Submit is enabled once a label is chosen. Other kinds can
  // always press Submit and are told what is missing.
  const waiting = !editor || (editorKind === 'text_classification' && editor.validate() !== null);
  $('submit').disabled = busy || waiting;
}

function setBusy(b) {
  busy = b;
  $('skip').disabled = b;
  $('claim-again').disabled = b;
  $('editor').inert = b;
  updateSubmit();
}

// A step-up (docs/risk.md) asked this account to confirm its email before new work: mail a new link.
async function resendEmailLink() {
  try {
    await api('POST', '/api/v1/me/email-verification');
    announce(workStatus, t('work.email_resent'), 'success');
  } catch (err) {
    announce(workStatus, t('work.email_resend_failed', { error: err.message }), 'error');
  }
}

async function claimNext(notice = '', kind = 'info') {
  if (!project) return;
  $('email-resend').hidden = true;
  stopLeaseTimer();
  destroyEditor();
  claim = null;
  setBusy(true);
  announce(workStatus, notice ? `${notice} ${t('work.loading_next')}` : t('work.loading'), kind);
  try {
    const c = await api('POST', `/api/v1/projects/${project.id}/claim`);
    if (!c) {
      $('task-panel').hidden = true;
      $('empty-state').hidden = false;
      announce(workStatus, notice, kind);
      $('claim-again').focus();
    } else {
      await showTask(c);
      announce(workStatus, notice, kind);
    }
  } catch (err) {
    if (err.status === 401) return location.replace('/login');
    if (claim) { // the task is held but its editor failed: Skip gives it back
      $('task-panel').hidden = false;
      $('empty-state').hidden = true;
      announce(workStatus, err.message, 'error');
    } else {
      $('task-panel').hidden = true;
      $('empty-state').hidden = false;
      const reverify = err.errorName === 'EMAIL_REVERIFY_REQUIRED';
      $('email-resend').hidden = !reverify;
      announce(workStatus, reverify ? t('work.email_reverify') : t('work.claim_failed', { error: err.message }), 'error');
    }
  } finally {
    setBusy(false);
  }
  if (editor && claim) editor.focus?.();
}

function renderTaskCard(p) {
  $('task-card').replaceChildren(el('dl', { class: 'offer-figures task-figures' }, ...cardFigures(p)));
}

async function showTask(c) {
  claim = c;
  idempotencyKey = newKey();
  const p = { ...project, ...(c.project || {}) };
  if (c.project?.instructions !== undefined) setInstructions(c.project.instructions);
  const kind = p.kind || 'text_classification';
  $('work-view').dataset.kind = kind;
  $('work-view').classList.toggle('workbench-wide', WIDE_KINDS.has(kind));
  $('submit-key').textContent = kind === 'text_classification' ? t('work.key_enter') : t('work.key_ctrl_enter');
  $('submit').setAttribute('aria-keyshortcuts', kind === 'text_classification' ? 'Enter Control+Enter' : 'Control+Enter');
  renderTaskCard(p);
  $('empty-state').hidden = true;
  startLeaseTimer(c.expires_at);
  const module = await loadEditor(kind);
  if (claim !== c) return; // superseded while loading
  editorKind = kind;
  editor = module.mount($('editor'), {
    task: c.task, project: p, predictions: c.task?.predictions ?? null, onChange: editorChanged,
  });
  $('task-panel').hidden = false;
  startTaskTimer(p.estimated_seconds);
  startHeartbeat();
  updateSubmit();
}

async function submit() {
  if (!claim || busy || !editor) return;
  const problem = editor.validate();
  if (problem) return announce(workStatus, problem, 'warn');
  const c = claim;
  const answer = editor.getAnswer();
  setBusy(true);
  announce(workStatus, t('work.saving'));
  try {
    await api('POST', `/api/v1/assignments/${c.assignment_id}/submit`, {
      json: { lease_token: c.lease_token, answer, idempotency_key: idempotencyKey },
    });
    done += 1;
    $('done-count').textContent = String(done);
    await claimNext(t('work.saved'), 'success');
  } catch (err) {
    if (err.status === 401) return location.replace('/login');
    if (err.errorName === 'LEASE_LOST' || err.code === 2003) {
      await claimNext(t('work.lease_lost'), 'warn');
    } else if (err.errorName === 'ASSIGNMENT_ALREADY_SUBMITTED' || err.code === 2004) {
      await claimNext(t('work.already_submitted'), 'info');
    } else {
      setBusy(false);
      const where = err.field ? ` (${err.field})` : '';
      announce(workStatus, t('work.save_failed', { where, error: err.message }), 'error');
    }
  }
}
$('submit').addEventListener('click', submit);

async function releaseCurrent(keepalive = false) {
  const c = claim;
  claim = null;
  stopLeaseTimer();
  if (!keepalive) destroyEditor();
  if (!c) return;
  try {
    await api('POST', `/api/v1/assignments/${c.assignment_id}/release`, { json: { lease_token: c.lease_token }, keepalive });
  } catch { /* an expired or lost lease is released already */ }
}

$('skip').addEventListener('click', async () => {
  if (!claim || busy) return;
  if (editor?.isDirty?.() && !window.confirm(t('work.confirm_skip'))) return;
  setBusy(true);
  await releaseCurrent();
  await claimNext(t('work.skipped'));
});

// Give the task back when the page is closed, so others need not wait for the lease to run out.
window.addEventListener('pagehide', () => { if (claim) releaseCurrent(true); });

document.addEventListener('keydown', (ev) => {
  if ($('work-view').hidden || !claim || busy || !editor || ev.altKey) return;
  if (ev.key !== 'Enter') return;
  const target = ev.target;
  if ((ev.ctrlKey || ev.metaKey) && !ev.shiftKey) { // Ctrl+Enter submits every kind, even from a text field
    ev.preventDefault();
    submit();
    return;
  }
  if (ev.ctrlKey || ev.metaKey || editorKind !== 'text_classification') return;
  if (target instanceof Element && target.closest('input, textarea, select, [contenteditable="true"]')) return;
  // Enter on another control (Skip, Back, Sign out) keeps its usual meaning.
  if (target instanceof Element && target.closest('button, a, summary') && !target.closest('#labels, #submit')) return;
  ev.preventDefault();
  submit();
});

// ---- time on task -------------------------------------------------------------------------------

const clock = (s) => `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;

function stopTaskTimer() {
  clearInterval(taskTimer);
  taskTimer = null;
  $('task-timer').textContent = '';
}

function startTaskTimer(estimate) {
  stopTaskTimer();
  taskStarted = Date.now();
  const node = $('task-timer');
  const tick = () => {
    const s = Math.floor((Date.now() - taskStarted) / 1000);
    node.textContent = estimate ? t('work.timer_estimate', { time: clock(s), estimate: clock(estimate) }) : t('work.timer', { time: clock(s) });
    node.dataset.kind = estimate && s > estimate * 2 ? 'warn' : 'info';
  };
  tick();
  taskTimer = setInterval(tick, 1000);
}

// ---- active time (FW-6) ------------------------------------------------------------------------
// Every 15 s while the page is visible, a heartbeat says whether there was input in the last 60 s; the server counts
// the time since the previous beat only when the page was visible and in use (capped at 30 s a beat). A background
// tab sends no beats; coming back sends one marked not visible, so the hidden time is not counted.

const BEAT_MS = 15000;
const INPUT_WINDOW_MS = 60000;
let heartbeat = null;
let lastInput = 0;
let hiddenSinceBeat = false;

for (const type of ['keydown', 'pointerdown', 'pointermove', 'wheel', 'touchstart', 'input']) {
  document.addEventListener(type, () => { lastInput = Date.now(); }, { capture: true, passive: true });
}

// visible: whether the page was visible since the previous beat (default: it is now and was not hidden meanwhile).
async function sendBeat(visible = document.visibilityState === 'visible' && !hiddenSinceBeat) {
  const c = claim;
  if (!c) return;
  hiddenSinceBeat = false;
  try {
    await api('POST', `/api/v1/assignments/${c.assignment_id}/heartbeat`, {
      json: { lease_token: c.lease_token, visible, active: Date.now() - lastInput < INPUT_WINDOW_MS },
    });
  } catch { /* a lost lease shows at submit; a missed beat only costs its own interval */ }
}

function stopHeartbeat() {
  clearInterval(heartbeat);
  heartbeat = null;
}

function startHeartbeat() {
  stopHeartbeat();
  lastInput = Date.now();
  hiddenSinceBeat = false;
  heartbeat = setInterval(() => { if (document.visibilityState === 'visible') sendBeat(); }, BEAT_MS);
}

document.addEventListener('visibilitychange', () => {
  if (!heartbeat) return;
  if (document.visibilityState === 'hidden') {
    if (!hiddenSinceBeat) sendBeat(true); // closes the visible stretch before the tab goes to the background
    hiddenSinceBeat = true;
  } else {
    sendBeat(false); // the background time is not counted
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
      ? t('work.lease_left', { time: clock(left) })
      : t('work.lease_over');
    node.dataset.kind = left <= 60 ? 'warn' : 'info';
  };
  tick();
  leaseTimer = setInterval(tick, 1000);
}

// ---- my quality ---------------------------------------------------------------------------------

const projectNames = new Map(); // project id → name, from every reply that carries one
const projectName = (id) => projectNames.get(id) || projects.get(id)?.name || t('quality.project_n', { id });
const cell = (v) => el('td', {}, v);
const headRow = (...names) => el('thead', {}, el('tr', {}, names.map((n) => el('th', { scope: 'col' }, n))));
const tableOf = (id, label, head, rows) => el('div', { class: 'table-wrap' },
  el('table', { id, class: 'data-table', 'aria-label': label }, head, el('tbody', {}, rows)));
const TIER = { 0: 'quality.tier.normal', 1: 'quality.tier.reviewed' };
const ACTION_TEXT = {
  lower_weight: 'quality.action.lower_weight',
  require_requalification: 'quality.action.require_requalification',
  lower_tier: 'quality.action.lower_tier',
  flag_for_review: 'quality.action.flag_for_review',
};
const QUALIFICATION_STATE = {
  in_progress: 'quality.qualification.in_progress', passed: 'quality.qualification.passed', failed: 'quality.qualification.failed',
};
const fromTable = (table, value, fallback) => (Object.hasOwn(table, value) ? t(table[value]) : fallback);

function qualitySection(title, ...content) {
  return el('section', { class: 'quality-part' }, el('h3', {}, title), ...content);
}

function renderQuality(q) {
  for (const x of [...q.projects, ...q.qualifications]) if (x.project_name) projectNames.set(x.project_id, x.project_name);
  const parts = [];

  parts.push(qualitySection(t('quality.per_project'), q.projects.length
    ? tableOf('quality-projects', t('quality.per_project_label'),
      headRow(t('quality.col_project'), t('quality.col_gold_answered'), t('quality.col_gold_accuracy'),
        t('quality.col_estimated_accuracy'), t('quality.col_weight'), t('quality.col_tier')),
      q.projects.map((p) => el('tr', { dataset: { projectId: String(p.project_id) } },
        el('th', { scope: 'row' }, projectName(p.project_id)), cell(formatNumber(p.gold_answered)), cell(percent(p.gold_accuracy)),
        cell(percent(p.estimated_accuracy)), cell(formatNumber(Math.round(p.weight * 100) / 100)),
        cell(fromTable(TIER, p.tier, t('quality.tier_n', { tier: p.tier }))))))
    : el('p', { class: 'subtle', id: 'quality-projects' }, t('quality.no_figures')),
  el('p', { class: 'hint' }, t('quality.weight_hint'))));

  const mistakes = q.gold.filter((g) => typeof g.score === 'number' && g.score < 1);
  const goldText = q.gold.length
    ? t(isOne(mistakes.length) ? 'quality.gold_summary_one' : 'quality.gold_summary', { count: formatNumber(mistakes.length), total: formatNumber(q.gold.length) })
    : t('quality.gold_none');
  parts.push(qualitySection(t('quality.gold_mistakes'), el('p', { class: 'subtle' }, goldText),
    el('ol', { id: 'gold-mistakes', class: 'mistake-list' }, mistakes.map((g) => el('li', { dataset: { assignmentId: String(g.assignment_id) } },
      el('p', {}, el('strong', {}, projectName(g.project_id)), ` · ${t('quality.task_n', { id: g.task_id })} · `,
        g.stage === 'qualification' ? `${t('quality.qualification_test')} · ` : '', `${t('quality.score', { score: percent(g.score) })} · `, timeEl(g.submitted_at)),
      el('dl', { class: 'kv' },
        el('div', {}, el('dt', {}, t('quality.your_answer')), el('dd', { dataset: { role: 'answer' } }, summarise(g.answer))),
        el('div', {}, el('dt', {}, t('quality.expected')), el('dd', { dataset: { role: 'expected' } }, summarise(g.expected))),
        g.explanation ? el('div', {}, el('dt', {}, t('quality.explanation')), el('dd', { dataset: { role: 'explanation' } }, g.explanation)) : null,
        g.difference ? el('div', {}, el('dt', {}, t('quality.difference')), el('dd', { dataset: { role: 'difference' } }, g.difference)) : null))))));

  parts.push(qualitySection(t('quality.qualifications'), q.qualifications.length
    ? tableOf('qualifications', t('quality.qualifications_label'), headRow(t('quality.col_project'), t('quality.col_attempt'),
      t('quality.col_state'), t('quality.col_score'), t('quality.col_started'), t('quality.col_decided')),
      q.qualifications.map((x) => el('tr', { dataset: { projectId: String(x.project_id), state: x.state } },
        el('th', { scope: 'row' }, projectName(x.project_id)), cell(formatNumber(x.attempt)), cell(fromTable(QUALIFICATION_STATE, x.state, x.state)),
        cell(percent(x.score)), cell(timeEl(x.started_at)), cell(x.decided_at ? timeEl(x.decided_at) : '–'))))
    : el('p', { class: 'subtle', id: 'qualifications' }, t('quality.qualifications_none'))));

  parts.push(qualitySection(t('quality.skills'), q.skills.length
    ? el('ul', { id: 'skills', class: 'chip-list' }, q.skills.map((k) => el('li', { class: 'chip', dataset: { skill: k.skill } },
      `${k.skill}: ${k.value}`, el('span', { class: 'subtle' }, ` (${k.source}, `, timeEl(k.updated_at), ')'))))
    : el('p', { class: 'subtle', id: 'skills' }, t('quality.skills_none'))));

  const owed = new Map();
  const waiting = new Map();
  for (const o of q.qualification_pay) {
    owed.set(o.currency, (owed.get(o.currency) || 0) + o.owed_micros);
    if (o.state === 'owed') waiting.set(o.currency, (waiting.get(o.currency) || 0) + o.owed_micros);
  }
  const PAY_STATE = { paid: 'quality.pay_state.paid', owed: 'quality.pay_state.owed', recorded: 'quality.pay_state.recorded' };
  const sums = (m) => [...m].map(([c, v]) => formatMoney(v, c)).join(', ');
  parts.push(qualitySection(t('quality.test_pay'), q.qualification_pay.length
    ? el('div', {},
      el('p', { dataset: { role: 'owed-total' } }, t('quality.owed_total', { amounts: sums(owed) }),
        waiting.size ? t('quality.owed_waiting', { amounts: sums(waiting) }) : t('quality.owed_all_paid')),
      el('p', { class: 'hint' }, t('quality.test_pay_hint')),
      tableOf('qualification-pay', t('quality.test_pay_label'), headRow(t('quality.col_project'), t('quality.col_time'),
        t('quality.col_rate'), t('quality.col_amount'), t('quality.col_state'), t('quality.col_when')),
        q.qualification_pay.map((o) => el('tr', { dataset: { assignmentId: String(o.assignment_id), state: o.state || '' } },
          el('th', { scope: 'row' }, projectName(o.project_id)), cell(o.seconds_ms < 1000 ? t('quality.under_1s') : formatDuration(Math.round(o.seconds_ms / 1000))),
          cell(`${formatMoney(o.rate_micros_per_hour, o.currency)}/h`), cell(formatMoney(o.owed_micros, o.currency)),
          cell(fromTable(PAY_STATE, o.state, o.state || '–')), cell(timeEl(o.created_at))))))
    : el('p', { class: 'subtle', id: 'qualification-pay' }, t('quality.test_pay_none'))));

  parts.push(qualitySection(t('quality.rule_events'), q.rule_events.length
    ? el('ul', { id: 'rule-events', class: 'event-list' }, q.rule_events.map((e) => el('li', { dataset: { eventId: String(e.id), action: e.action } },
      el('strong', {}, projectName(e.project_id)),
      ` · ${t('quality.rule_event', { rule: e.rule_id, action: fromTable(ACTION_TEXT, e.action, e.action.replace(/_/g, ' ')) })}`,
      e.detail && typeof e.detail.value === 'number' ? ` (${typeof e.detail.threshold === 'number'
        ? t('quality.measured_threshold', { value: formatNumber(Math.round(e.detail.value * 100) / 100), threshold: formatNumber(e.detail.threshold) })
        : t('quality.measured', { value: formatNumber(Math.round(e.detail.value * 100) / 100) })})` : '',
      ' · ', timeEl(e.created_at), e.resolved_at ? el('span', {}, ` · ${t('quality.resolved')} `, timeEl(e.resolved_at)) : null)))
    : el('p', { class: 'subtle', id: 'rule-events' }, t('quality.rule_events_none')),
  el('p', { class: 'hint' }, t('quality.rules_hint'))));

  $('quality-content').replaceChildren(...parts);
}

async function loadQuality() {
  const status = $('quality-status');
  try {
    renderQuality(await api('GET', '/api/v1/me/quality'));
    announce(status, '');
  } catch (err) {
    if (err.status === 401) return location.replace('/login');
    announce(status, t('quality.load_failed', { error: err.message }), 'error');
  }
}
$('refresh-quality').addEventListener('click', () => { loadQuality(); loadDecisions(); });

// ---- earnings -----------------------------------------------------------------------------------

const CAUSE_TEXT = {
  submission: 'earnings.cause.submission', approval: 'earnings.cause.approval', rejection: 'earnings.cause.rejection',
  topup: 'earnings.cause.topup', qualification: 'earnings.cause.qualification', bonus: 'earnings.cause.bonus',
  payout: 'earnings.cause.payout', payout_confirm: 'earnings.cause.payout_confirm', payout_recredit: 'earnings.cause.payout_recredit',
};

async function loadEarnings() {
  const status = $('earnings-status');
  try {
    const e = await api('GET', '/api/v1/me/earnings');
    $('earnings-balances').replaceChildren(...Object.entries(e.balances).flatMap(([cur, b]) => [
      el('dt', {}, t('earnings.pending', { currency: cur })), el('dd', { dataset: { balance: `${cur}-pending` } }, formatMoney(b.pending_micros, cur)),
      el('dt', {}, t('earnings.available', { currency: cur })), el('dd', { dataset: { balance: `${cur}-available` } }, formatMoney(b.available_micros, cur)),
    ]));
    const money = (v, cur) => (typeof v === 'number' ? formatMoney(v, cur) : '–');
    $('earnings-body').replaceChildren(...e.lines.map((l) => el('tr', { dataset: { txId: String(l.tx_id), cause: l.cause } },
      el('td', {}, timeEl(l.created_at)), el('td', {}, fromTable(CAUSE_TEXT, l.cause, l.cause)), el('td', {}, l.memo),
      el('td', {}, money(l.gross, l.currency)), el('td', {}, money(l.fee, l.currency)), el('td', {}, money(l.net, l.currency)),
      el('td', {}, money(l.pending, l.currency)), el('td', {}, money(l.available, l.currency)))));
    $('earnings-empty').hidden = e.lines.length > 0;
    announce(status, '');
  } catch (err) {
    if (err.status === 401) return location.replace('/login');
    announce(status, t('earnings.load_failed', { error: err.message }), 'error');
  }
}
$('refresh-earnings').addEventListener('click', () => loadEarnings());

// ---- decisions on my work -----------------------------------------------------------------------

const DECISION_TEXT = { accept: 'reviews.decision.accept', reject: 'reviews.decision.reject', fix: 'reviews.decision.fix' };
let oldestReview = null; // id of the oldest decision shown, for ?before=

async function showVersions(details, assignmentId) {
  if (details.dataset.loaded) return;
  details.dataset.loaded = 'true';
  const box = details.querySelector('.versions');
  try {
    const h = await api('GET', `/api/v1/assignments/${assignmentId}/history`);
    box.replaceChildren(el('ol', {}, h.versions.map((v) => el('li', {},
      el('strong', {}, t('reviews.version', { version: v.version })),
      ` (${v.source === 'worker' ? t('reviews.version_yours') : t('reviews.version_by', { name: v.author_name || t('reviews.a_reviewer') })}, `, timeEl(v.created_at), `)${t('common.colon_sep')}`,
      summarise(v.answer)))));
  } catch (err) {
    delete details.dataset.loaded;
    box.textContent = t('reviews.versions_failed', { error: err.message });
  }
}

function decisionItem(d) {
  const li = el('li', { dataset: { reviewId: String(d.id), decision: d.decision, assignmentId: String(d.assignment_id) } },
    el('p', { class: 'decision-head' },
      el('span', { class: 'badge', dataset: { decision: d.decision } }, fromTable(DECISION_TEXT, d.decision, d.decision)), ' ',
      el('strong', {}, d.project_name || projectName(d.project_id)), ` · ${t('quality.task_n', { id: d.task_id })} · `, timeEl(d.created_at)),
    el('dl', { class: 'kv' },
      d.reason_code ? el('div', {}, el('dt', {}, t('reviews.reason')), el('dd', { dataset: { role: 'reason' } },
        d.reason_title || d.reason_code, ' (', el('code', {}, d.reason_code), ')')) : null,
      d.note ? el('div', {}, el('dt', {}, t('reviews.note')), el('dd', { dataset: { role: 'note' } }, d.note)) : null,
      el('div', {}, el('dt', {}, t('reviews.reviewer')), el('dd', { dataset: { role: 'reviewer' } }, d.reviewer_name || `#${d.reviewer_id}`))));
  if (d.decision === 'fix') {
    const details = el('details', { class: 'versions-box' }, el('summary', {}, t('reviews.changed')), el('div', { class: 'versions' }, t('common.loading')));
    details.addEventListener('toggle', () => { if (details.open) showVersions(details, d.assignment_id); });
    li.append(details);
  }
  return li;
}

async function loadDecisions(older = false) {
  const status = $('decisions-status');
  const listNode = $('decision-list');
  const more = $('decisions-more');
  more.disabled = true;
  if (!older) oldestReview = null;
  try {
    const q = older && oldestReview !== null ? `?before=${oldestReview}` : '';
    const reply = await api('GET', `/api/v1/me/reviews${q}`);
    const items = reply.items || [];
    for (const d of items) if (d.project_name) projectNames.set(d.project_id, d.project_name);
    if (older) listNode.append(...items.map(decisionItem));
    else listNode.replaceChildren(...items.map(decisionItem));
    if (items.length) oldestReview = items[items.length - 1].id;
    more.hidden = items.length < 100;
    $('decisions-empty').hidden = listNode.children.length > 0;
    announce(status, '');
  } catch (err) {
    if (err.status === 401) return location.replace('/login');
    announce(status, t('reviews.load_failed', { error: err.message }), 'error');
  } finally {
    more.disabled = false;
  }
}
$('decisions-more').addEventListener('click', () => loadDecisions(true));

// ---- notifications ------------------------------------------------------------------------------

function notificationItem(n) {
  const li = el('li', { class: `notification${n.read_at ? '' : ' unread'}`, dataset: { notificationId: String(n.id), kind: n.kind } },
    el('p', { class: 'notification-head' }, el('strong', {}, n.title), ' · ', timeEl(n.created_at)),
    n.body ? el('p', { class: 'subtle' }, n.body) : null);
  const actions = el('div', { class: 'form-actions' });
  if (n.link) actions.append(el('a', { href: n.link, class: 'btn btn-ghost btn-small' }, t('notifications.open')));
  if (!n.read_at) {
    const read = el('button', { type: 'button', class: 'btn btn-secondary btn-small', dataset: { action: 'read' } }, t('notifications.mark_read'));
    read.addEventListener('click', async () => {
      read.disabled = true;
      try {
        const r = await api('POST', `/api/v1/me/notifications/${n.id}/read`);
        li.classList.remove('unread');
        read.remove();
        setUnread(r.unread);
      } catch (err) {
        read.disabled = false;
        announce($('notifications-status'), t('notifications.read_failed', { error: err.message }), 'error');
      }
    });
    actions.append(read);
  }
  li.append(actions);
  return li;
}

function setUnread(n) {
  $('unread-count').textContent = String(n);
  $('unread-count').closest('.counter').dataset.unread = String(n);
}

async function loadNotifications() {
  const status = $('notifications-status');
  try {
    const r = await api('GET', '/api/v1/me/notifications?limit=20');
    $('notification-list').replaceChildren(...r.items.map(notificationItem));
    $('notifications-empty').hidden = r.items.length > 0;
    setUnread(r.unread);
    announce(status, '');
  } catch (err) {
    if (err.status === 401) return location.replace('/login');
    announce(status, t('notifications.load_failed', { error: err.message }), 'error');
  }
}
$('refresh-notifications').addEventListener('click', () => { loadNotifications(); loadEarnings(); });

// ---- start --------------------------------------------------------------------------------------

const loadAll = () => Promise.all([loadProjects(), loadQuality(), loadDecisions(), loadEarnings(), loadNotifications()]);
const user = await requireUser(['worker']);
if (user) {
  // the header's "name · role" in the page's language (api.js writes it in English)
  const nameLine = () => { $('user-name').textContent = t('header.user', { name: user.display_name }); };
  // the language first, so every section renders in it; a change renders them again
  await mountLanguage(() => {
    nameLine();
    return Promise.all([loadAll(), loadPayouts(), refreshTickets(), refreshAnnouncements(), mountRegionBanner()]);
  });
  nameLine();
  await loadAll();
}
mountPayouts();
mountTickets();
mountDecisions();
mountRegionBanner();
mountAnnouncements();
