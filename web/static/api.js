// fairlabel web UI: fetch wrapper, session helpers, money formatting and small DOM helpers.
// The session cookie (fl_session) authenticates every request; state-changing requests also send
// X-CSRF-Token with the value of the script-readable fl_csrf cookie.

/** An API error: status, and the problem+json fields code, name, field, detail (plus errors for imports). */
export class ApiError extends Error {
  constructor(status, problem = {}, retryAfter = null) {
    super(problem.detail || problem.title || `Request failed (HTTP ${status})`);
    this.name = 'ApiError';
    this.status = status;
    this.code = problem.code ?? null;
    this.errorName = problem.name ?? null; // e.g. "LEASE_LOST"
    this.field = problem.field ?? null; // JSON pointer into the request body, e.g. "/email"
    this.detail = problem.detail ?? this.message;
    this.errors = Array.isArray(problem.errors) ? problem.errors : [];
    this.errorCount = problem.error_count ?? this.errors.length;
    this.retryAfter = retryAfter;
  }
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function readCookie(name) {
  for (const part of document.cookie.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return decodeURIComponent(part.slice(i + 1).trim());
  }
  return '';
}

/**
 * Calls the API. `json` is sent as JSON; `body` + `contentType` are sent as is.
 * Resolves to the parsed JSON reply, or null for 204 / empty replies; rejects with ApiError.
 */
// The risk score's device signal (FW-25): SHA-256 of stable browser properties, hashed here so the raw
// properties never leave the browser (the server keeps only a keyed hash of this). Absent without WebCrypto.
let deviceIdPromise;
function deviceId() {
  deviceIdPromise ??= (async () => {
    if (!globalThis.crypto?.subtle) return '';
    const props = [navigator.userAgent, navigator.language, navigator.platform, navigator.hardwareConcurrency,
      screen.width, screen.height, screen.colorDepth, Intl.DateTimeFormat().resolvedOptions().timeZone].join('|');
    const h = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(props));
    return [...new Uint8Array(h)].map((b) => b.toString(16).padStart(2, '0')).join('');
  })().catch(() => '');
  return deviceIdPromise;
}

export async function api(method, path, { json, body, contentType, keepalive = false } = {}) {
  const headers = { Accept: 'application/json' };
  const device = await deviceId();
  if (device) headers['X-Device-Id'] = device;
  if (json !== undefined) {
    body = JSON.stringify(json);
    contentType = 'application/json';
  }
  if (contentType) headers['Content-Type'] = contentType;
  if (UNSAFE.has(method)) {
    const csrf = readCookie('fl_csrf');
    if (csrf) headers['X-CSRF-Token'] = csrf;
  }
  let res;
  try {
    res = await fetch(path, { method, headers, body, keepalive, credentials: 'same-origin', cache: 'no-store' });
  } catch {
    throw new ApiError(0, { detail: 'Cannot reach the server. Check your connection and try again.' });
  }
  if (res.status === 204) return null;
  const text = await res.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (!res.ok) {
    const retry = res.headers.get('Retry-After');
    throw new ApiError(res.status, data && typeof data === 'object' ? data : {}, retry ? Number(retry) : null);
  }
  return data;
}

/** The signed-in user, or null when not signed in. */
export async function currentUser() {
  try {
    return await api('GET', '/api/v1/me');
  } catch (err) {
    if (err.status === 401) return null;
    throw err;
  }
}

/** The page a role works on. */
export function homeFor(user) {
  if (!user) return '/login';
  if (user.role === 'requester' || user.role === 'admin') return '/requester';
  if (user.role === 'worker') return '/worker';
  if (user.role === 'reviewer') return '/reviewer';
  if (user.role === 'support') return '/support';
  return '/login';
}

/** Page start-up: requires a signed-in user with one of `roles`, fills the header, wires #logout. */
export async function requireUser(roles) {
  let user;
  try {
    user = await currentUser();
  } catch (err) {
    announce(document.getElementById('page-status'), err.message, 'error');
    return null;
  }
  if (!user) {
    location.replace('/login');
    return null;
  }
  if (!roles.includes(user.role)) {
    location.replace(homeFor(user));
    return null;
  }
  const name = document.getElementById('user-name');
  if (name) name.textContent = `${user.display_name} · ${user.role}`;
  const logout = document.getElementById('logout');
  if (logout) {
    logout.hidden = false;
    logout.addEventListener('click', async () => {
      logout.disabled = true;
      try { await api('POST', '/api/v1/auth/logout'); } catch { /* the session is gone either way */ }
      location.replace('/login');
    });
  }
  return user;
}

// ---- money: integer micro-units, never floats -------------------------------------------------

/** "0.05" → 50000. Throws Error on anything that is not a plain decimal with at most 6 decimals. */
export function parseMicros(input) {
  const m = /^\s*(\d*)(?:[.,](\d*))?\s*$/.exec(String(input));
  if (!m || (m[1] === '' && !m[2])) throw new Error('Enter an amount such as 0.05.');
  if (m[2] && m[2].length > 6) throw new Error('Use at most 6 decimal places.');
  const digits = ((m[1] || '0') + (m[2] || '').padEnd(6, '0')).replace(/^0+(?=\d)/, '');
  if (digits.length > 13) throw new Error('That amount is too large.');
  const micros = Number(digits); // exact: at most 13 digits < 2^53
  if (micros > 1e12) throw new Error('That amount is too large.');
  return micros;
}

/** 50000 → "0.05", 1234567 → "1.234567", 3000000 → "3.00" (at least 2 decimals, no float maths). */
export function microsToDecimal(micros) {
  const neg = micros < 0;
  const s = String(Math.abs(Math.trunc(micros))).padStart(7, '0');
  let frac = s.slice(-6).replace(/0+$/, '');
  if (frac.length < 2) frac = frac.padEnd(2, '0');
  return `${neg ? '-' : ''}${s.slice(0, -6)}.${frac}`;
}

const symbols = new Map();
function currencySymbol(code) {
  if (!symbols.has(code)) {
    let sym = `${code} `;
    try {
      const part = new Intl.NumberFormat('en', { style: 'currency', currency: code, currencyDisplay: 'narrowSymbol' })
        .formatToParts(0).find((p) => p.type === 'currency');
      if (part && part.value !== code) sym = part.value;
    } catch { /* unknown code: keep "XYZ " */ }
    symbols.set(code, sym);
  }
  return symbols.get(code);
}

export function formatMoney(micros, currency) {
  return `${currencySymbol(currency)}${microsToDecimal(micros)}`;
}

/** Pay per hour at the estimated time, rounded to cents: integer arithmetic on micros. */
export function hourlyRate(rewardMicros, estimatedSeconds, currency) {
  if (!estimatedSeconds) return '–';
  const cents = Math.round((rewardMicros * 3600) / estimatedSeconds / 10000);
  return `${formatMoney(cents * 10000, currency)}/h`;
}

export function formatDuration(seconds) {
  if (seconds < 60) return `${seconds} s`;
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  if (m < 60) return s ? `${m} min ${s} s` : `${m} min`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

// ---- DOM helpers --------------------------------------------------------------------------------

/** el('button', {class: 'btn', dataset: {action: 'x'}, onclick: f}, 'text', child, ...) */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'dataset') Object.assign(node.dataset, v);
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else if (k === 'class') node.className = v;
    else node.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) node.append(c);
  return node;
}

/** Shows a message in an aria-live status element; kind is "info", "success" or "error". */
export function announce(node, message, kind = 'info') {
  if (!node) return;
  node.textContent = message || '';
  node.dataset.kind = kind;
  node.hidden = !message;
}

/** Clears field errors set by showFieldError inside `form`. */
export function clearFieldErrors(form) {
  for (const p of form.querySelectorAll('.field-error')) p.remove();
  for (const i of form.querySelectorAll('[aria-invalid]')) {
    i.removeAttribute('aria-invalid');
    const rest = (i.getAttribute('aria-describedby') || '').split(' ').filter((d) => d && d !== `${i.id}-error`);
    if (rest.length) i.setAttribute('aria-describedby', rest.join(' '));
    else i.removeAttribute('aria-describedby');
  }
}

/** Puts `message` under the input (ids only; the error node gets id "<input id>-error"). */
export function showFieldError(input, message) {
  const id = `${input.id}-error`;
  document.getElementById(id)?.remove();
  const p = el('p', { class: 'field-error', id }, message);
  input.setAttribute('aria-invalid', 'true');
  const described = (input.getAttribute('aria-describedby') || '').split(' ').filter((d) => d && d !== id);
  input.setAttribute('aria-describedby', [...described, id].join(' '));
  input.closest('.field')?.append(p) ?? input.after(p);
}

/**
 * Shows an ApiError next to the field named by its `field` pointer ("/display_name" → fields.display_name),
 * or returns false when no field matches (the caller then shows it as a form-level message).
 */
export function showApiFieldError(err, fields) {
  if (!err.field || typeof err.field !== 'string') return false;
  const key = err.field.replace(/^\//, '').split('/')[0];
  const input = fields[key];
  if (!input) return false;
  showFieldError(input, err.detail || err.message);
  input.focus();
  return true;
}
