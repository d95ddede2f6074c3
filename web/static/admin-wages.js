// Admin panel: the wage benchmark tables (FW-5). Shows per country the hourly legal minimum and living wage in
// local currency and USD with stale marks, proposes a change to a benchmark row or a country's basics (each with a
// reason, which the public history shows), lists the changes waiting for their comment period (FW-23) with a
// withdraw action, and lists the history.
// Hooks inside section#wages-panel: #wages-version, #wages-status (aria-live), table#wages-table,
//   form#wage-benchmark-form (inputs named as the CSV columns + reason, emergency checkbox + emergency reason),
//   form#wage-country-form, table#wage-changes (one row per change, data-change-id, data-state), table#wages-history.
import {
  api, announce, el, clearFieldErrors, showApiFieldError, microsToDecimal,
} from '/static/api.js';

const BENCHMARK_FIELDS = [
  ['country', 'Country (ISO 3166 alpha-2)', 'KE'],
  ['region', 'Region', 'national'],
  ['kind', 'Kind', ['minimum', 'living']],
  ['amount', 'Amount (as published)', '16113.75'],
  ['currency', 'Currency (ISO 4217)', 'KES'],
  ['unit', 'Per', ['hour', 'day', 'week', 'month']],
  ['ref_date', 'Reference date (YYYY, YYYY-MM or YYYY-MM-DD)', '2026-01-01'],
  ['method', 'Method', 'statutory'],
  ['confidence', 'Confidence', ['V', '?']],
  ['source', 'Source (URL or citation)', 'https://'],
  ['reason', 'Reason for the change (public)', ''],
];
const COUNTRY_FIELDS = [
  ['country', 'Country (ISO 3166 alpha-2)', 'KE'],
  ['name', 'Name', ''],
  ['currency', 'Currency (ISO 4217)', ''],
  ['usd_per_unit', 'USD per unit (exact decimal)', ''],
  ['fx_date', 'Rate date', ''],
  ['normal_weekly_hours', 'Normal weekly hours', ''],
  ['hours_source', 'Source of the hours', ''],
  ['reason', 'Reason for the change (public)', ''],
];

/** Hourly micros → "12.34" (cents are enough to read a table; the API keeps micros). */
const hourly = (micros) => (micros === null || micros === undefined ? '–' : microsToDecimal(Math.round(micros / 10000) * 10000));

function figureCell(f, currency) {
  if (!f) return el('td', {}, el('span', { class: 'subtle' }, 'none'));
  return el('td', {},
    `${hourly(f.hourly_micros)} ${currency} · ${hourly(f.hourly_usd_micros)} USD`,
    f.stale ? el('span', { class: 'badge wage-stale', title: 'Older than 24 months or of low confidence' }, 'stale') : null,
    f.regional ? el('span', { class: 'subtle' }, ` (${f.region})`) : null);
}

function formFields(form, fields, prefix) {
  const inputs = {};
  for (const [name, label, hint] of fields) {
    const id = `${prefix}-${name}`;
    let input;
    if (Array.isArray(hint)) {
      input = el('select', { id, name }, ...hint.map((v) => el('option', { value: v }, v)));
    } else {
      input = el('input', { id, name, type: 'text', placeholder: hint, autocomplete: 'off', required: name === 'reason' || prefix === 'wb' });
    }
    inputs[name] = input;
    form.append(el('div', { class: 'field' }, el('label', { for: id }, label), input));
  }
  return inputs;
}

const day = (iso) => (iso ? iso.slice(0, 10) : '–');

/** The emergency option: apply at once, allowed by the server only when the change lowers nothing (FW-23). */
function emergencyFields(form, inputs, prefix) {
  inputs.emergencyOn = el('input', { id: `${prefix}-emergency-on`, type: 'checkbox', name: 'emergency_on' });
  inputs.emergency = el('input', { id: `${prefix}-emergency`, type: 'text', name: 'emergency', autocomplete: 'off',
    placeholder: 'Why it cannot wait 14 days' });
  form.append(el('div', { class: 'field field-check' }, inputs.emergencyOn,
    el('label', { for: `${prefix}-emergency-on` }, 'Apply at once (only a raise: a change that lowers a floor waits for its comment period)')),
  el('div', { class: 'field' }, el('label', { for: `${prefix}-emergency` }, 'Emergency reason (public)'), inputs.emergency));
}

function withEmergency(body, inputs) {
  if (inputs.emergencyOn.checked) body.emergency = { reason: inputs.emergency.value.trim() };
}

export async function mount(section) {
  const version = el('p', { id: 'wages-version', class: 'subtle' });
  const status = el('p', { id: 'wages-status', class: 'status', role: 'status', 'aria-live': 'polite', hidden: true });
  const tbody = el('tbody');
  const table = el('table', { id: 'wages-table', class: 'data-table' },
    el('caption', {}, 'Hourly figures per country (local · USD)'),
    el('thead', {}, el('tr', {}, ...['Country', 'Currency', 'USD per unit', 'Weekly hours', 'Legal minimum', 'Living wage', '']
      .map((h) => el('th', { scope: 'col' }, h)))),
    tbody);

  const bForm = el('form', { id: 'wage-benchmark-form', class: 'wage-form', novalidate: true },
    el('h2', {}, 'Add or replace a benchmark row'),
    el('p', { class: 'hint' }, 'A row is keyed by country, region and kind; the same key replaces it.'));
  const bInputs = formFields(bForm, BENCHMARK_FIELDS, 'wb');
  emergencyFields(bForm, bInputs, 'wb');
  bForm.append(el('div', { class: 'form-actions' }, el('button', { class: 'btn', type: 'submit' }, 'Save benchmark')));

  const cForm = el('form', { id: 'wage-country-form', class: 'wage-form', novalidate: true },
    el('h2', {}, 'Edit a country'),
    el('p', { class: 'hint' }, 'Fields left empty keep their value; a new country needs them all. Other countries of the same currency follow a new rate.'));
  const cInputs = formFields(cForm, COUNTRY_FIELDS, 'wc');
  emergencyFields(cForm, cInputs, 'wc');
  cForm.append(el('div', { class: 'form-actions' }, el('button', { class: 'btn', type: 'submit' }, 'Save country')));

  const chBody = el('tbody');
  const changes = el('table', { id: 'wage-changes', class: 'data-table' },
    el('caption', {}, 'Changes announced to workers (FW-23): each applies when its 14-day comment period ends'),
    el('thead', {}, el('tr', {}, ...['#', 'What', 'Change', 'Reason', 'State', ''].map((h) => el('th', { scope: 'col' }, h)))),
    chBody);

  const hBody = el('tbody');
  const history = el('table', { id: 'wages-history', class: 'data-table' },
    el('caption', {}, 'Change history (public)'),
    el('thead', {}, el('tr', {}, ...['Version', 'When', 'What', 'Change', 'Reason', 'Admin'].map((h) => el('th', { scope: 'col' }, h)))),
    hBody);

  section.append(version, status, el('div', { class: 'table-wrap' }, table), el('div', { class: 'wage-forms' }, bForm, cForm),
    el('div', { class: 'table-wrap' }, changes), el('div', { class: 'table-wrap' }, history));

  let countries = [];
  async function load() {
    const [tables, hist, pending] = await Promise.all([api('GET', '/api/v1/wage-benchmarks'),
      api('GET', '/api/v1/wage-benchmarks/history?limit=500'), api('GET', '/api/v1/wage-changes?limit=500')]);
    // the scheduled ones first, then the latest 20 applied or withdrawn
    const rows = pending.items.filter((c) => c.state === 'scheduled')
      .concat(pending.items.filter((c) => c.state !== 'scheduled').slice(-20).reverse());
    chBody.replaceChildren(...(rows.length ? rows.map(changeRow)
      : [el('tr', {}, el('td', { colspan: '6', class: 'subtle' }, 'No changes yet.'))]));
    countries = tables.items;
    version.textContent = `Tables version ${tables.version} · platform floor ${hourly(tables.platform_floor_usd_micros_per_hour)} USD an hour`;
    tbody.replaceChildren(...tables.items.map((c) => el('tr', {},
      el('th', { scope: 'row' }, `${c.name} (${c.country})`),
      el('td', {}, c.currency), el('td', {}, c.usd_per_unit), el('td', {}, c.normal_weekly_hours),
      figureCell(c.minimum, c.currency), figureCell(c.living, c.currency),
      el('td', {}, el('button', { class: 'btn btn-ghost btn-small', type: 'button', onclick: () => fillCountry(c) }, 'Edit')))));
    hBody.replaceChildren(...hist.items.slice().reverse().map((h) => {
      const changed = h.old && h.new ? Object.keys(h.new).filter((k) => h.old[k] !== h.new[k]).map((k) => `${k}: ${h.old[k]} → ${h.new[k]}`).join('; ') : 'new';
      return el('tr', {}, el('td', {}, String(h.version)), el('td', {}, h.at.slice(0, 16).replace('T', ' ')),
        el('td', {}, `${h.table} ${h.key}`), el('td', {}, h.table === 'seed' ? 'seeded' : changed || 'no change'),
        el('td', {}, h.reason), el('td', {}, h.admin_id === null ? 'system' : `#${h.admin_id}`));
    }));
  }

  function changeRow(c) {
    const diff = c.old ? Object.keys(c.new).filter((k) => c.old[k] !== c.new[k]).map((k) => `${k}: ${c.old[k]} → ${c.new[k]}`).join('; ') : 'new row';
    let state;
    if (c.state === 'scheduled') state = `scheduled, applies on ${day(c.applies_at)}`;
    else if (c.state === 'applied') state = `applied ${day(c.applied_at)} (version ${c.applied_version})${c.emergency_reason ? ` at once: ${c.emergency_reason}` : ''}`;
    else state = `withdrawn ${day(c.withdrawn_at)}${c.withdrawn_by === null ? ' by the server' : ''}: ${c.withdraw_reason}`;
    const action = el('td', {});
    if (c.state === 'scheduled') {
      const reason = el('input', { type: 'text', name: 'reason', 'aria-label': `Why withdraw change ${c.id}`, placeholder: 'Why (shown to workers)', required: true });
      const form = el('form', { class: 'inline-form wage-withdraw', novalidate: true }, reason,
        el('button', { class: 'btn btn-ghost btn-small', type: 'submit' }, 'Withdraw'));
      form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        clearFieldErrors(form);
        try {
          await api('POST', `/api/v1/wage-changes/${c.id}/withdraw`, { json: { reason: reason.value.trim() } });
          announce(status, `Change ${c.id} withdrawn; workers are told.`, 'success');
          await load();
        } catch (err) {
          if (!showApiFieldError(err, { reason })) announce(status, err.message, 'error');
        }
      });
      action.append(form);
    }
    return el('tr', { 'data-change-id': String(c.id), 'data-state': c.state },
      el('td', {}, String(c.id)), el('td', {}, `${c.table} ${c.key}`), el('td', {}, diff), el('td', {}, c.reason),
      el('td', {}, state, ' · ', el('a', { href: c.link }, `announcement #${c.announcement_id}`)), action);
  }

  function fillCountry(c) {
    for (const [name] of COUNTRY_FIELDS) cInputs[name].value = name === 'reason' ? '' : (c[name] ?? '');
    cInputs.reason.focus();
  }

  async function submit(form, inputs, send) {
    clearFieldErrors(form);
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      const r = await send();
      if (r.state === 'scheduled') {
        announce(status, `Scheduled: applies on ${day(r.applies_at)}, when the comment period of announcement #${r.announcement_id} ends.`, 'success');
      } else {
        announce(status, `Applied at once: the tables are now at version ${r.version}.${r.rate_followed_by ? ` The rate of ${r.rate_followed_by.join(', ')} followed.` : ''}`, 'success');
      }
      inputs.reason.value = '';
      inputs.emergency.value = '';
      inputs.emergencyOn.checked = false;
      await load();
    } catch (err) {
      if (!showApiFieldError(err, inputs)) announce(status, err.message, 'error');
    } finally {
      button.disabled = false;
    }
  }

  bForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const body = Object.fromEntries(BENCHMARK_FIELDS.map(([name]) => [name, bInputs[name].value.trim()]));
    withEmergency(body, bInputs);
    submit(bForm, bInputs, () => api('POST', '/api/v1/wage-benchmarks', { json: body }));
  });
  cForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const code = cInputs.country.value.trim();
    const body = {};
    for (const [name] of COUNTRY_FIELDS) {
      const v = cInputs[name].value.trim();
      if (name !== 'country' && (v !== '' || name === 'reason')) body[name] = v;
    }
    const known = countries.find((c) => c.country === code);
    if (known) for (const k of Object.keys(body)) if (k !== 'reason' && body[k] === known[k]) delete body[k];
    body.country = code;
    withEmergency(body, cInputs);
    submit(cForm, cInputs, () => api('POST', '/api/v1/wage-countries', { json: body }));
  });

  try {
    await load();
  } catch (err) {
    announce(status, `The wage tables could not load: ${err.message}`, 'error');
  }
  section.dataset.ready = 'true';
}
