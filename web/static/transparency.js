// The public transparency page (FW-26): renders GET /api/v1/transparency, the rule registry with this server's
// parameters and the change log.
import { announce, api, el } from '/static/api.js';

const day = (iso) => (iso ? new Date(iso).toISOString().slice(0, 10) : '–');

function members(rule) {
  if (!Array.isArray(rule.members)) return null;
  return el('details', {}, el('summary', {}, `${rule.members.length} rules in this family`),
    el('ul', {}, rule.members.map((m) => el('li', {}, el('strong', {}, m.id || m.name || ''), ': ',
      m.reads || '', m.threshold ? ` (${m.threshold}${m.points ? `, +${m.points} points` : ''})` : ''))));
}

function ruleCard(r) {
  return el('article', { class: 'rule', dataset: { ruleId: r.id } },
    el('h3', {}, `${r.name} `, el('span', { class: 'subtle' }, `(${r.source}, ${r.id})`)),
    el('dl', {},
      el('dt', {}, 'Reads'), el('dd', {}, r.reads),
      el('dt', {}, 'Thresholds'), el('dd', {}, r.thresholds),
      el('dt', {}, 'Can do'), el('dd', {}, r.can_do),
      r.parameters.length ? [el('dt', {}, 'Parameters here'), el('dd', {}, el('ul', { class: 'rule-params' },
        r.parameters.map((p) => el('li', { dataset: { param: p.name } }, `${p.name} = ${p.value} ${p.unit}`))))] : null),
    members(r));
}

async function load() {
  const status = document.getElementById('transparency-status');
  try {
    const t = await api('GET', '/api/v1/transparency');
    document.getElementById('rules').replaceChildren(...t.rules.map(ruleCard));
    document.getElementById('changes').replaceChildren(...t.changes.map((c) => el('tr', {},
      el('td', {}, day(c.changed_at)), el('td', {}, c.rule_id), el('td', {}, c.change), el('td', {}, c.changed_by_name || '–'),
      el('td', {}, c.announcement_id ? `#${c.announcement_id}` : '–'))));
    announce(status, t.changes.length ? '' : 'No rule has changed yet.');
  } catch (err) {
    announce(status, err.detail || err.message, 'error');
  }
}
load();
