// The public transparency page (FW-26): renders GET /api/v1/transparency, the rule registry with this server's
// parameters and the change log.
import { announce, api, el } from '/static/api.js';
import { formatDay, formatNumber, t } from '/static/i18n.js';
import { mountLanguageSwitch } from '/static/language.js';

await mountLanguageSwitch();

const day = formatDay;

function members(rule) {
  if (!Array.isArray(rule.members)) return null;
  return el('details', {}, el('summary', {}, t('transparency.family', { count: formatNumber(rule.members.length) })),
    el('ul', {}, rule.members.map((m) => el('li', {}, el('strong', {}, m.id || m.name || ''), ': ',
      m.reads || '', m.threshold ? ` (${m.threshold}${m.points ? `, ${t('transparency.points', { points: m.points })}` : ''})` : ''))));
}

function ruleCard(r) {
  return el('article', { class: 'rule', dataset: { ruleId: r.id } },
    el('h3', {}, `${r.name} `, el('span', { class: 'subtle' }, `(${r.source}, ${r.id})`)),
    el('dl', {},
      el('dt', {}, t('transparency.reads')), el('dd', {}, r.reads),
      el('dt', {}, t('transparency.thresholds')), el('dd', {}, r.thresholds),
      el('dt', {}, t('transparency.can_do')), el('dd', {}, r.can_do),
      r.parameters.length ? [el('dt', {}, t('transparency.parameters')), el('dd', {}, el('ul', { class: 'rule-params' },
        r.parameters.map((p) => el('li', { dataset: { param: p.name } }, `${p.name} = ${p.value} ${p.unit}`))))] : null),
    members(r));
}

async function load() {
  const status = document.getElementById('transparency-status');
  try {
    const data = await api('GET', '/api/v1/transparency');
    document.getElementById('rules').replaceChildren(...data.rules.map(ruleCard));
    document.getElementById('changes').replaceChildren(...data.changes.map((c) => el('tr', {},
      el('td', {}, day(c.changed_at)), el('td', {}, c.rule_id), el('td', {}, c.change), el('td', {}, c.changed_by_name || '–'),
      el('td', {}, c.announcement_id ? `#${c.announcement_id}` : '–'))));
    announce(status, data.changes.length ? '' : t('transparency.no_changes'));
  } catch (err) {
    announce(status, err.detail || err.message, 'error');
  }
}
load();
