// fairlabel lidar_cuboids editor: 3D cuboids on a point cloud (docs/kinds.md, "lidar_cuboids").
//
// mount(container, {task, project, predictions, readOnly?, onChange?})
//   → {getAnswer(), validate() (error message or null), destroy(), isDirty(), ready (promise), debug}
// (the editor contract of web/static/editors/common.js; readOnly shows the cuboids without editing).
//
// The point cloud comes from GET /api/v1/media/{media_id}/points in the FLPC layout (48-byte header,
// count×3 float32 xyz, then count uint8 intensity) and goes to the GPU as is: the position attribute is a
// Float32Array view on the fetched ArrayBuffer and the intensity a normalised Uint8Array view, so there is
// one draw call for the points and no per-point JS object. Colouring (height or intensity), the highlight of
// the points inside the selected cuboid and the clipping of the side views all happen in the shader.
// Rendering is on demand (a frame is drawn only when something changed) and the render path allocates
// nothing. One WebGL context draws four viewports: the main view (orbit or bird's-eye) and the top, side and
// front views of the selected cuboid, each redrawn only when its own content changed.
//
// Frame: the point cloud's own (x forward, y left, z up for KITTI/nuScenes velodyne); answers are in metres
// and radians, rounded to 3 decimals, yaw in [-π, π].
import * as THREE from '../vendor/three.module.js';
import { formatNumber, t } from '/static/i18n.js';

const CSS_HREF = '/static/editors/lidar.css';
const HEADER_BYTES = 48;
const MIN_SIZE = 0.1;
const MOVE_STEP = 0.1; // metres per arrow key press
const YAW_STEP = (5 * Math.PI) / 180;
const YAW_STEP_FINE = Math.PI / 180;
const HANDLE_PX = 7; // pick tolerance of a handle, CSS pixels
const CLICK_PX = 4; // a press that moves less than this is a click
const PALETTE = [0x4fc3f7, 0xffb74d, 0x81c784, 0xf06292, 0xba68c8, 0xfff176, 0x4db6ac, 0xff8a65, 0x9fa8da, 0xe0e0e0];
const BG = 0x10131a;
const VIEW_BG = 0x171b24;

// [keys (a catalog key when it has words), what it does (a catalog key)]
const SHORTCUTS = [
  ['B', 'editors.lidar.s_bev'],
  ['editors.lidar.k_click', 'editors.lidar.s_click'],
  ['editors.lidar.k_drag', 'editors.lidar.s_drag'],
  ['editors.lidar.k_right_drag', 'editors.lidar.s_pan'],
  ['editors.lidar.k_wheel', 'editors.lidar.s_zoom'],
  ['1–9', 'editors.lidar.s_class'],
  ['Q / E', 'editors.lidar.s_rotate'],
  ['editors.lidar.k_arrows', 'editors.lidar.s_move'],
  ['PgUp / PgDn', 'editors.lidar.s_up_down'],
  ['Shift+↑ / Shift+↓', 'editors.lidar.s_longer'],
  ['Shift+→ / Shift+←', 'editors.lidar.s_wider'],
  ['Shift+PgUp / Shift+PgDn', 'editors.lidar.s_taller'],
  ['F', 'editors.lidar.s_fit'],
  ['editors.key.delete', 'editors.lidar.s_delete'],
  ['H', 'editors.lidar.s_hide'],
  ['N / P', 'editors.lidar.s_next'],
  ['editors.key.escape', 'editors.lidar.s_deselect'],
  ['C', 'editors.lidar.s_colour'],
  ['?', 'editors.lidar.s_help'],
  ['+ / −', 'editors.lidar.s_point_size'],
  ['R', 'editors.lidar.s_reset'],
  ['Ctrl+Z / Ctrl+Shift+Z', 'editors.undo_redo'],
  ['editors.lidar.k_top', 'editors.lidar.s_top'],
  ['editors.lidar.k_side', 'editors.lidar.s_side'],
];
const keyText = (k) => (k.startsWith('editors.') ? t(k) : k.replace(/Shift/g, t('editors.key.shift')));

const POINTS_VERT = `
attribute float intensity;
uniform float uSize;
uniform int uMode;
uniform float uZLow;
uniform float uZHigh;
uniform mat4 uBoxInv;
uniform vec3 uBoxHalf;
uniform float uHasBox;
uniform vec3 uClipHalf;
uniform float uClip;
varying vec3 vColor;
vec3 ramp(float t) {
  t = clamp(t, 0.0, 1.0);
  return clamp(vec3(1.5 - abs(4.0 * t - 3.0), 1.5 - abs(4.0 * t - 2.0), 1.5 - abs(4.0 * t - 1.0)), 0.0, 1.0);
}
void main() {
  vec3 lp = (uBoxInv * vec4(position, 1.0)).xyz;
  if (uClip > 0.5 && any(greaterThan(abs(lp), uClipHalf))) {
    gl_Position = vec4(2.0, 2.0, 2.0, 1.0);
    gl_PointSize = 0.0;
    return;
  }
  float t = uMode == 0 ? (position.z - uZLow) / (uZHigh - uZLow) : sqrt(intensity);
  vec3 c = uMode == 0 ? ramp(t) : ramp(0.15 + 0.85 * t);
  if (uHasBox > 0.5 && all(lessThanEqual(abs(lp), uBoxHalf))) c = mix(c, vec3(1.0, 0.2, 0.9), 0.75);
  vColor = c;
  gl_Position = projectionMatrix * modelViewMatrix * vec4(position, 1.0);
  gl_PointSize = uSize;
}`;
const POINTS_FRAG = `
varying vec3 vColor;
void main() { gl_FragColor = vec4(vColor, 1.0); }`;

function ensureCss() {
  if (document.querySelector(`link[href="${CSS_HREF}"]`)) return;
  const link = document.createElement('link');
  link.rel = 'stylesheet';
  link.href = CSS_HREF;
  document.head.appendChild(link);
}

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('data-')) e.setAttribute(k, v);
    else if (k in e && typeof v !== 'string') e[k] = v;
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

const r3 = (v) => Math.round(v * 1000) / 1000 + 0; // + 0 turns -0 into 0
function wrapAngle(a) {
  a = (a + Math.PI) % (2 * Math.PI);
  if (a < 0) a += 2 * Math.PI;
  return a - Math.PI;
}
function roundYaw(a) {
  let y = r3(wrapAngle(a));
  if (y > Math.PI) y = 3.141;
  if (y < -Math.PI) y = -3.141;
  return y;
}
const finite = (v) => typeof v === 'number' && Number.isFinite(v);

// Typical sizes [l, w, h] by class name, used for a new cuboid unless the schema gives default_size.
function defaultSize(cls) {
  if (cls && Array.isArray(cls.default_size) && cls.default_size.length === 3 && cls.default_size.every((v) => finite(v) && v > 0)) {
    return cls.default_size.slice();
  }
  const n = String(cls?.name || '').toLowerCase();
  if (/pedestrian|person|people|human|child|adult/.test(n)) return [0.8, 0.8, 1.75];
  if (/cycl|bike|bicycle|motor/.test(n)) return [1.8, 0.7, 1.6];
  if (/truck|bus|trailer|tram|construction/.test(n)) return [10, 2.6, 3.2];
  if (/van/.test(n)) return [5.2, 2.0, 2.1];
  if (/cone|barrier|bollard|sign|pole/.test(n)) return [0.5, 0.5, 1.0];
  if (/car|vehicle|suv|taxi/.test(n)) return [4.2, 1.8, 1.6];
  return [2.0, 2.0, 1.6];
}

/** Parses an FLPC buffer; throws on a malformed one. Returns views on the buffer (no copy). */
export function parseFlpc(buf) {
  if (!(buf instanceof ArrayBuffer) || buf.byteLength < HEADER_BYTES) throw new Error('point cloud too short');
  const dv = new DataView(buf);
  const magic = String.fromCharCode(dv.getUint8(0), dv.getUint8(1), dv.getUint8(2), dv.getUint8(3));
  if (magic !== 'FLPC') throw new Error('not an FLPC point cloud');
  const version = dv.getUint32(4, true);
  if (version !== 1) throw new Error(`unsupported point cloud version ${version}`);
  const count = dv.getUint32(8, true);
  const flags = dv.getUint32(12, true);
  const hasIntensity = (flags & 1) !== 0;
  const need = HEADER_BYTES + count * 12 + (hasIntensity ? count : 0);
  if (buf.byteLength < need) throw new Error(`point cloud truncated (${buf.byteLength} of ${need} bytes)`);
  const f = (o) => dv.getFloat32(o, true);
  return {
    count,
    hasIntensity,
    min: [f(16), f(20), f(24)],
    max: [f(28), f(32), f(36)],
    positions: new Float32Array(buf, HEADER_BYTES, count * 3),
    intensity: hasIntensity ? new Uint8Array(buf, HEADER_BYTES + count * 12, count) : null,
  };
}

// Ground height: the densest 5 cm z slice among the lower half of the points within 40 m of the sensor
// (the road dominates a driving scan), refined to the median of the points within ±15 cm of it.
function estimateGround(pos, count, minZ, maxZ) {
  const lo = Math.max(minZ, -20);
  const hi = Math.min(maxZ, 20);
  if (!(hi > lo) || count === 0) return Number.isFinite(minZ) ? minZ : 0;
  const bin = 0.05;
  const nb = Math.min(4096, Math.ceil((hi - lo) / bin) + 1);
  const hist = new Uint32Array(nb);
  let n = 0;
  for (let i = 0; i < count; i++) {
    const x = pos[3 * i], y = pos[3 * i + 1], z = pos[3 * i + 2];
    if (x * x + y * y > 1600 || !(z >= lo && z <= hi)) continue;
    hist[Math.min(nb - 1, ((z - lo) / bin) | 0)]++;
    n++;
  }
  if (n === 0) return minZ;
  let acc = 0, medianBin = 0;
  for (; medianBin < nb; medianBin++) { acc += hist[medianBin]; if (acc >= n / 2) break; }
  let best = 0;
  for (let b = 1; b <= medianBin; b++) if (hist[b] > hist[best]) best = b;
  const mode = lo + (best + 0.5) * bin;
  // median of the points near the mode (second pass over a small histogram of 1 cm bins)
  const fine = new Uint32Array(31);
  let m = 0;
  for (let i = 0; i < count; i++) {
    const x = pos[3 * i], y = pos[3 * i + 1], z = pos[3 * i + 2];
    if (x * x + y * y > 1600) continue;
    const d = z - mode;
    if (d < -0.15 || d > 0.15) continue;
    fine[Math.min(30, Math.round((d + 0.15) * 100))]++;
    m++;
  }
  acc = 0;
  for (let b = 0; b < 31; b++) { acc += fine[b]; if (acc >= m / 2) return mode - 0.15 + b / 100; }
  return mode;
}

export function mount(container, { task, project, predictions = null, readOnly = false, onChange = () => {} } = {}) {
  ensureCss();
  const data = task?.data || {};
  const schema = project?.schema || {};
  const classes = Array.isArray(schema.classes) && schema.classes.length
    ? schema.classes.filter((c) => c && typeof c.name === 'string')
    : [{ name: 'object', attributes: [] }];
  const classByName = new Map(classes.map((c, i) => [c.name, { ...c, index: i }]));
  const t0 = performance.now();

  // ---------- DOM ----------
  const root = el('div', { class: 'fl-lidar', tabindex: '0', 'data-state': 'loading', 'aria-label': t('editors.lidar.label') });
  const classBar = el('div', { class: 'fl-lidar-classes', role: 'radiogroup', 'aria-label': t('editors.lidar.class') });
  const btn = (label, title, action) => el('button', { type: 'button', class: 'fl-lidar-btn', title, 'data-action': action, text: label });
  const bevBtn = btn(t('editors.lidar.bev'), t('editors.lidar.bev_title'), 'bev');
  const colorBtn = btn(t('editors.lidar.colour_height'), t('editors.lidar.colour_title'), 'color');
  const fitBtn = btn(t('editors.lidar.fit'), t('editors.lidar.fit_title'), 'fit');
  const undoBtn = btn(t('editors.undo'), t('editors.undo_title'), 'undo');
  const redoBtn = btn(t('editors.redo'), t('editors.redo_title'), 'redo');
  undoBtn.dataset.testid = 'undo';
  redoBtn.dataset.testid = 'redo';
  if (readOnly) { fitBtn.hidden = true; undoBtn.hidden = true; redoBtn.hidden = true; }
  const resetBtn = btn(t('editors.lidar.reset'), t('editors.lidar.reset_title'), 'reset');
  const toolbar = el('div', { class: 'fl-lidar-toolbar' }, classBar,
    el('div', { class: 'fl-lidar-tools' }, bevBtn, colorBtn, fitBtn, undoBtn, redoBtn, resetBtn));
  const viewer = el('div', { class: 'fl-lidar-viewer' });
  const status = el('div', { class: 'fl-lidar-status', role: 'status', 'aria-live': 'polite', 'data-testid': 'editor-status', text: t('editors.lidar.loading') });
  const viewLabels = ['editors.lidar.view_top', 'editors.lidar.view_side', 'editors.lidar.view_front']
    .map((n) => el('div', { class: 'fl-lidar-viewlabel', text: t(n) }));
  const viewHint = el('div', { class: 'fl-lidar-viewhint', text: t('editors.lidar.view_hint') });
  const mainLabel = el('div', { class: 'fl-lidar-mainlabel', text: '3D' });
  viewer.append(status, mainLabel, ...viewLabels, viewHint);
  const objList = el('ul', { class: 'fl-lidar-objects', 'aria-label': t('editors.lidar.cuboids') });
  const attrForm = el('form', { class: 'fl-lidar-attrs', 'aria-label': t('editors.lidar.attributes') });
  const geomInfo = el('div', { class: 'fl-lidar-geom' });
  const shortcutList = el('dl', { class: 'fl-lidar-keys' });
  for (const [k, v] of SHORTCUTS) shortcutList.append(el('dt', { text: keyText(k) }), el('dd', { text: t(v) }));
  const side = el('aside', { class: 'fl-lidar-side' },
    el('h3', { text: t('editors.lidar.cuboids') }), objList,
    el('h3', { text: t('editors.lidar.selected') }), geomInfo, attrForm,
    el('details', { class: 'fl-lidar-help', open: true, 'data-testid': 'shortcut-help' }, el('summary', { text: t('editors.lidar.shortcuts') }), shortcutList));
  const helpBox = side.querySelector('.fl-lidar-help');
  const body = el('div', { class: 'fl-lidar-body' }, viewer, side);
  root.append(toolbar, body);
  container.append(root);

  // ---------- state ----------
  let objects = []; // {uid, id?, cls, c:[x,y,z], s:[l,w,h], yaw, attrs, hidden, line}
  let nextUid = 1;
  let selected = null;
  let currentClass = classes[0].name;
  let colorMode = 0; // 0 height, 1 intensity
  let bev = false;
  let cloud = null;
  let groundZ = 0;
  let pointSize = 2;
  let destroyed = false;
  const history = { past: [], present: null, future: [] };
  const debug = { frames: 0, firstFrameMs: null, loadMs: null, count: 0, groundZ: 0 };

  // ---------- three ----------
  let renderer = null;
  let glError = null;
  try {
    renderer = new THREE.WebGLRenderer({ antialias: false, preserveDrawingBuffer: true, powerPreference: 'high-performance' });
  } catch (e) {
    glError = e;
  }
  const canvas = renderer ? renderer.domElement : el('canvas');
  canvas.className = 'fl-lidar-canvas';
  viewer.prepend(canvas);
  if (renderer) {
    renderer.setPixelRatio(Math.min(window.devicePixelRatio || 1, 2));
    renderer.autoClear = false;
    renderer.setScissorTest(true);
  } else {
    status.textContent = t('editors.lidar.no_webgl');
  }

  const scene = new THREE.Scene();
  const pointUniforms = {
    uSize: { value: 2 },
    uMode: { value: 0 },
    uZLow: { value: -2 },
    uZHigh: { value: 2 },
    uBoxInv: { value: new THREE.Matrix4() },
    uBoxHalf: { value: new THREE.Vector3() },
    uHasBox: { value: 0 },
    uClipHalf: { value: new THREE.Vector3(1e9, 1e9, 1e9) },
    uClip: { value: 0 },
  };
  const pointMaterial = new THREE.ShaderMaterial({ uniforms: pointUniforms, vertexShader: POINTS_VERT, fragmentShader: POINTS_FRAG });
  const pointGeometry = new THREE.BufferGeometry();
  let points = null;
  // While the main camera moves on a slow (software) renderer, a strided subset of the same GPU buffers is
  // drawn instead (an index over every k-th point; still one draw call); the full cloud returns at rest.
  const lodGeometry = new THREE.BufferGeometry();
  let pointsLod = null;
  let lodEnabled = false;
  let interacting = false;
  let interactTimer = 0;
  let lastInteract = 0;

  // Cuboid outline: 12 edges, a cross on the front face and a heading line, for a unit cube at the origin.
  const boxLineGeometry = (() => {
    const v = [];
    const c = [-0.5, 0.5];
    for (const a of c) for (const b of c) {
      v.push(-0.5, a, b, 0.5, a, b); // along x
      v.push(a, -0.5, b, a, 0.5, b); // along y
      v.push(a, b, -0.5, a, b, 0.5); // along z
    }
    v.push(0.5, -0.5, -0.5, 0.5, 0.5, 0.5, 0.5, 0.5, -0.5, 0.5, -0.5, 0.5); // front cross
    v.push(0, 0, -0.5, 0.5, 0, -0.5, 0, 0, 0.5, 0.5, 0, 0.5); // heading (bottom and top)
    const g = new THREE.BufferGeometry();
    g.setAttribute('position', new THREE.Float32BufferAttribute(v, 3));
    return g;
  })();
  const classMaterials = classes.map((_, i) => new THREE.LineBasicMaterial({ color: PALETTE[i % PALETTE.length] }));
  const selectedMaterial = new THREE.LineBasicMaterial({ color: 0xffffff });
  const fillMaterial = new THREE.MeshBasicMaterial({ color: 0xffffff, transparent: true, opacity: 0.08, depthWrite: false });
  const fillGeometry = new THREE.BoxGeometry(1, 1, 1);
  const fill = new THREE.Mesh(fillGeometry, fillMaterial);
  fill.visible = false;
  fill.matrixAutoUpdate = false;
  scene.add(fill);

  // Handles of the side views: layers 1 (top), 2 (side), 3 (front). Positions rewritten on change only.
  const handleMaterial = new THREE.PointsMaterial({ size: 7, sizeAttenuation: false, vertexColors: true, depthTest: false });
  function makeHandles(n, layer) {
    const g = new THREE.BufferGeometry();
    g.setAttribute('position', new THREE.BufferAttribute(new Float32Array(n * 3), 3));
    const col = new Float32Array(n * 3).fill(1);
    g.setAttribute('color', new THREE.BufferAttribute(col, 3));
    const p = new THREE.Points(g, handleMaterial);
    p.layers.set(layer);
    p.frustumCulled = false;
    p.renderOrder = 10;
    p.visible = false;
    scene.add(p);
    return p;
  }
  const handles = [makeHandles(9, 1), makeHandles(8, 2), makeHandles(8, 3)];
  handles[0].geometry.attributes.color.array.set([1, 0.3, 0.9], 8 * 3); // rotation handle

  const grid = new THREE.GridHelper(160, 16, 0x3a4150, 0x262b36);
  grid.rotation.x = Math.PI / 2;
  grid.layers.set(5);
  scene.add(grid);
  const egoAxes = new THREE.AxesHelper(2);
  egoAxes.layers.set(5);
  scene.add(egoAxes);

  const persp = new THREE.PerspectiveCamera(55, 1, 0.1, 1000);
  persp.up.set(0, 0, 1);
  const ortho = new THREE.OrthographicCamera(-1, 1, 1, -1, 0.1, 2000);
  ortho.up.set(1, 0, 0); // bird's-eye: x (forward) points up the screen
  for (const c of [persp, ortho]) { c.layers.enable(0); c.layers.enable(5); }
  const viewCams = [1, 2, 3].map((layer) => {
    const c = new THREE.OrthographicCamera(-1, 1, 1, -1, 0.01, 400);
    c.layers.enable(layer);
    return c;
  });
  const orbit = { target: new THREE.Vector3(12, 0, 0), dist: 38, az: Math.PI, el: 0.55 };
  const bevState = { cx: 20, cy: 0, mpp: 0.08 }; // metres per CSS pixel
  // The three views: centre, yaw and scale frozen between re-framings (so a drag sees a steady view).
  const views = [0, 1, 2].map((i) => ({ i, cx: 0, cy: 0, cz: 0, yaw: 0, mpp: 0.02, rect: { x: 0, y: 0, w: 1, h: 1 } }));
  const layout = { w: 1, h: 1, main: { x: 0, y: 0, w: 1, h: 1 }, sideW: 0 };

  // Preallocated temporaries (the render and pointer paths allocate nothing).
  const tmpV = new THREE.Vector3();
  const tmpV2 = new THREE.Vector3();
  const tmpM = new THREE.Matrix4();
  const tmpRay = new THREE.Ray();
  const unitBox = new THREE.Box3(new THREE.Vector3(-0.5, -0.5, -0.5), new THREE.Vector3(0.5, 0.5, 0.5));
  const raycaster = new THREE.Raycaster();
  const ndc = new THREE.Vector2();
  const groundPlane = new THREE.Plane(new THREE.Vector3(0, 0, 1), 0);
  const boxInvFrame = new THREE.Matrix4();
  const zAxis = new THREE.Vector3(0, 0, 1);
  const hugeHalf = new THREE.Vector3(1e9, 1e9, 1e9);

  let dirtyMain = true;
  let dirtyViews = true;
  let rafId = 0;
  function requestRender(main = true, viewsToo = true) {
    dirtyMain ||= main;
    dirtyViews ||= viewsToo;
    if (!rafId && !destroyed && renderer) rafId = requestAnimationFrame(renderFrame);
  }

  function updateMainCamera() {
    const { w, h } = layout.main;
    persp.aspect = w / Math.max(1, h);
    const ce = Math.cos(orbit.el);
    persp.position.set(
      orbit.target.x + orbit.dist * ce * Math.cos(orbit.az),
      orbit.target.y + orbit.dist * ce * Math.sin(orbit.az),
      orbit.target.z + orbit.dist * Math.sin(orbit.el));
    persp.lookAt(orbit.target);
    persp.updateProjectionMatrix();
    const hw = (w * bevState.mpp) / 2, hh = (h * bevState.mpp) / 2;
    ortho.left = -hw; ortho.right = hw; ortho.top = hh; ortho.bottom = -hh;
    ortho.position.set(bevState.cx, bevState.cy, (cloud ? cloud.max[2] : 10) + 100);
    ortho.lookAt(bevState.cx, bevState.cy, groundZ);
    ortho.far = 400;
    ortho.updateProjectionMatrix();
  }
  const mainCam = () => (bev ? ortho : persp);

  function setBoxUniforms(o) {
    if (!o) {
      pointUniforms.uHasBox.value = 0;
      return;
    }
    pointUniforms.uHasBox.value = 1;
    // world → cuboid frame (metres, unscaled)
    tmpM.makeRotationZ(o.yaw).setPosition(o.c[0], o.c[1], o.c[2]);
    pointUniforms.uBoxInv.value.copy(tmpM).invert();
    pointUniforms.uBoxHalf.value.set(o.s[0] / 2, o.s[1] / 2, o.s[2] / 2);
  }

  // Frames the three views on the selected cuboid (called on selection and after each finished edit).
  function frameViews() {
    const o = selected;
    if (!o) return;
    const [l, w, h] = o.s;
    for (const v of views) {
      v.cx = o.c[0]; v.cy = o.c[1]; v.cz = o.c[2]; v.yaw = o.yaw;
      const { w: pw, h: ph } = v.rect;
      const [eu, ev] = v.i === 0 ? [w, l] : v.i === 1 ? [l, h] : [w, h];
      v.mpp = Math.max((eu * 1.6 + 0.6) / Math.max(1, pw), (ev * 1.6 + 0.6) / Math.max(1, ph));
      const cam = viewCams[v.i];
      const cy = Math.cos(v.yaw), sy = Math.sin(v.yaw);
      const d = 100;
      if (v.i === 0) { // above, looking down, cuboid forward up the screen
        cam.up.set(cy, sy, 0);
        cam.position.set(v.cx, v.cy, v.cz + d);
      } else if (v.i === 1) { // from the cuboid's right (-y), forward to the screen's right
        cam.up.set(0, 0, 1);
        cam.position.set(v.cx + sy * d, v.cy - cy * d, v.cz);
      } else { // from the front (+x), looking back
        cam.up.set(0, 0, 1);
        cam.position.set(v.cx + cy * d, v.cy + sy * d, v.cz);
      }
      cam.lookAt(v.cx, v.cy, v.cz);
      const hw = (pw * v.mpp) / 2, hh = (ph * v.mpp) / 2;
      cam.left = -hw; cam.right = hw; cam.top = hh; cam.bottom = -hh;
      cam.near = 1; cam.far = 2 * d;
      cam.updateProjectionMatrix();
    }
    requestRender(false, true);
  }

  function updateHandles() {
    const o = selected;
    for (const p of handles) p.visible = !!o && !o.hidden;
    if (!o) return;
    const [l, w, h] = o.s;
    const cy = Math.cos(o.yaw), sy = Math.sin(o.yaw);
    const put = (arr, k, lx, ly, lz) => {
      arr[3 * k] = o.c[0] + cy * lx - sy * ly;
      arr[3 * k + 1] = o.c[1] + sy * lx + cy * ly;
      arr[3 * k + 2] = o.c[2] + lz;
    };
    const top = handles[0].geometry.attributes.position;
    let k = 0;
    for (const [a, b] of [[-1, -1], [-1, 0], [-1, 1], [0, -1], [0, 1], [1, -1], [1, 0], [1, 1]]) put(top.array, k++, (a * l) / 2, (b * w) / 2, h / 2);
    put(top.array, 8, l / 2 + rotateHandleOffset(o), 0, h / 2);
    top.needsUpdate = true;
    const sideP = handles[1].geometry.attributes.position;
    const front = handles[2].geometry.attributes.position;
    k = 0;
    for (const [a, b] of [[-1, -1], [-1, 0], [-1, 1], [0, -1], [0, 1], [1, -1], [1, 0], [1, 1]]) {
      put(sideP.array, k, (a * l) / 2, -w / 2, (b * h) / 2);
      put(front.array, k, l / 2, (a * w) / 2, (b * h) / 2);
      k++;
    }
    sideP.needsUpdate = true;
    front.needsUpdate = true;
    for (const p of handles) p.geometry.computeBoundingSphere();
  }
  const rotateHandleOffset = (o) => Math.max(0.6, 0.25 * o.s[0]);

  function interact() {
    lastInteract = performance.now();
    if (!lodEnabled) return;
    interacting = true;
    if (!interactTimer) interactTimer = setTimeout(settle, 160);
  }
  function settle() {
    interactTimer = 0;
    const idle = performance.now() - lastInteract;
    if (idle < 150) { interactTimer = setTimeout(settle, 160 - idle); return; }
    interacting = false;
    requestRender(true, false);
  }

  function renderFrame() {
    rafId = 0;
    if (destroyed || !renderer) return;
    const dpr = renderer.getPixelRatio();
    const H = layout.h;
    if (dirtyMain) {
      dirtyMain = false;
      if (points) {
        const lod = interacting && lodEnabled;
        points.visible = !lod;
        pointsLod.visible = lod;
      }
      const m = layout.main;
      renderer.setViewport(m.x, H - m.y - m.h, m.w, m.h);
      renderer.setScissor(m.x, H - m.y - m.h, m.w, m.h);
      renderer.setClearColor(BG, 1);
      renderer.clear();
      pointUniforms.uClip.value = 0;
      pointUniforms.uSize.value = pointSize * dpr;
      setBoxUniforms(selected && !selected.hidden ? selected : null);
      renderer.render(scene, mainCam());
    }
    if (dirtyViews && layout.sideW > 0) {
      dirtyViews = false;
      for (const v of views) {
        const r = v.rect;
        renderer.setViewport(r.x, H - r.y - r.h, r.w, r.h);
        renderer.setScissor(r.x, H - r.y - r.h, r.w, r.h);
        renderer.setClearColor(VIEW_BG, 1);
        renderer.clear();
        if (!selected) continue;
        setBoxUniforms(selected);
        // keep the points in a slab around the cuboid along the view's depth axis
        const [l, w, h] = selected.s;
        const half = pointUniforms.uClipHalf.value;
        if (v.i === 0) half.set(l / 2 + 4, w / 2 + 4, h / 2 + 0.25);
        else if (v.i === 1) half.set(l / 2 + 4, w / 2 + 0.3, h / 2 + 3);
        else half.set(l / 2 + 0.3, w / 2 + 4, h / 2 + 3);
        pointUniforms.uClip.value = 1;
        pointUniforms.uSize.value = (pointSize + 1) * dpr;
        if (points) { points.visible = true; pointsLod.visible = false; }
        renderer.render(scene, viewCams[v.i]);
      }
      pointUniforms.uClipHalf.value.copy(hugeHalf);
      pointUniforms.uClip.value = 0;
    }
    debug.frames++;
    if (debug.firstFrameMs === null && points) {
      debug.firstFrameMs = Math.round(performance.now() - t0);
      root.dataset.firstFrameMs = String(debug.firstFrameMs);
    }
  }

  function resize() {
    const rect = viewer.getBoundingClientRect();
    const w = Math.max(1, Math.floor(rect.width)), h = Math.max(1, Math.floor(rect.height));
    layout.w = w; layout.h = h;
    const sideW = w >= 560 ? Math.round(Math.min(320, Math.max(180, w * 0.26))) : 0;
    layout.sideW = sideW;
    layout.main = { x: 0, y: 0, w: w - sideW, h };
    const vh = Math.floor(h / 3);
    views.forEach((v, i) => {
      v.rect = { x: w - sideW, y: i * vh, w: sideW, h: i === 2 ? h - 2 * vh : vh };
      const lab = viewLabels[i];
      lab.hidden = sideW === 0;
      lab.style.left = `${v.rect.x + 6}px`;
      lab.style.top = `${v.rect.y + 4}px`;
    });
    viewHint.hidden = sideW === 0 || !!selected;
    viewHint.style.left = `${w - sideW + 8}px`;
    viewHint.style.width = `${Math.max(0, sideW - 16)}px`;
    viewHint.style.top = `${Math.round(h / 2 - 20)}px`;
    if (renderer) renderer.setSize(w, h, false);
    canvas.style.width = `${w}px`;
    canvas.style.height = `${h}px`;
    updateMainCamera();
    frameViews();
    requestRender(true, true);
  }
  const ro = new ResizeObserver(() => resize());
  ro.observe(viewer);

  // ---------- objects ----------
  function addObjectRecord(o) {
    o.uid = nextUid++;
    o.hidden = o.hidden || false;
    const line = new THREE.LineSegments(boxLineGeometry, classMaterials[classByName.get(o.cls)?.index ?? 0]);
    line.matrixAutoUpdate = false;
    line.frustumCulled = false;
    o.line = line;
    scene.add(line);
    syncObject(o);
    objects.push(o);
    return o;
  }
  function syncObject(o) {
    const line = o.line;
    line.position.set(o.c[0], o.c[1], o.c[2]);
    line.rotation.set(0, 0, o.yaw);
    line.scale.set(o.s[0], o.s[1], o.s[2]);
    line.updateMatrix();
    line.updateMatrixWorld();
    line.visible = !o.hidden;
    line.material = o === selected ? selectedMaterial : classMaterials[classByName.get(o.cls)?.index ?? 0];
    if (o === selected) {
      fill.matrix.copy(line.matrix);
      fill.matrixWorld.copy(line.matrix);
      fill.visible = !o.hidden;
      updateHandles();
    }
  }
  function removeObjectRecord(o) {
    scene.remove(o.line);
    objects = objects.filter((x) => x !== o);
    if (selected === o) select(null);
  }
  function newObject(cls, x, y) {
    const size = defaultSize(classByName.get(cls));
    const attrs = {};
    for (const a of classByName.get(cls)?.attributes || []) if (a.type === 'bool') attrs[a.name] = false;
    return addObjectRecord({ cls, c: [x, y, groundZ + size[2] / 2], s: size, yaw: 0, attrs });
  }

  function select(o) {
    const prev = selected;
    selected = o;
    if (prev && prev !== o && prev.line.parent) syncObject(prev);
    if (o) syncObject(o);
    else {
      fill.visible = false;
      for (const p of handles) p.visible = false;
    }
    viewHint.hidden = layout.sideW === 0 || !!o;
    frameViews();
    if (o) currentClass = o.cls;
    renderClassBar();
    renderList();
    renderSelected();
    requestRender(true, true);
  }

  // ---------- history ----------
  const snapshot = () => JSON.stringify(objects.map((o) => ({ uid: o.uid, id: o.id, cls: o.cls, c: o.c, s: o.s, yaw: o.yaw, attrs: o.attrs })));
  function commit() {
    const snap = snapshot();
    if (snap === history.present) return;
    history.past.push(history.present);
    if (history.past.length > 300) history.past.shift();
    history.present = snap;
    history.future = [];
    updateUndoButtons();
    onChange();
  }
  function restore(snap) {
    const selUid = selected?.uid;
    const hiddenByUid = new Map(objects.map((o) => [o.uid, o.hidden]));
    for (const o of objects) scene.remove(o.line);
    objects = [];
    selected = null;
    for (const rec of JSON.parse(snap)) {
      const uid = rec.uid;
      const o = addObjectRecord({ ...rec, hidden: hiddenByUid.get(uid) || false });
      o.uid = uid;
    }
    nextUid = Math.max(nextUid, ...objects.map((o) => o.uid + 1));
    select(objects.find((o) => o.uid === selUid) || null);
  }
  function undo() {
    if (!history.past.length) return;
    history.future.push(history.present);
    history.present = history.past.pop();
    restore(history.present);
    updateUndoButtons();
    onChange();
  }
  function redo() {
    if (!history.future.length) return;
    history.past.push(history.present);
    history.present = history.future.pop();
    restore(history.present);
    updateUndoButtons();
    onChange();
  }
  function updateUndoButtons() {
    undoBtn.disabled = history.past.length === 0;
    redoBtn.disabled = history.future.length === 0;
  }

  // A finished edit of the selected cuboid: redraw, re-frame the views, record for undo, refresh the panel.
  function edited(o = selected, { reframe = true } = {}) {
    if (!o) return;
    syncObject(o);
    if (reframe) frameViews();
    commit();
    renderList();
    renderGeom();
    requestRender(true, true);
  }

  // ---------- panel ----------
  function renderClassBar() {
    classBar.replaceChildren(...classes.map((c, i) => {
      const b = el('button', {
        type: 'button', class: 'fl-lidar-class', role: 'radio', 'aria-checked': String(c.name === currentClass),
        'data-class': c.name, title: i < 9 ? `${c.name} (${i + 1})` : c.name,
      }, el('span', { class: 'fl-lidar-swatch', 'data-color': String(i % PALETTE.length) }),
      el('span', { text: i < 9 ? `${i + 1} ${c.name}` : c.name }));
      return b;
    }));
  }
  function renderList() {
    if (!objects.length) {
      objList.replaceChildren(el('li', { class: 'fl-lidar-empty', text: t('editors.lidar.none_yet') }));
      return;
    }
    objList.replaceChildren(...objects.map((o, i) => {
      const li = el('li', { class: 'fl-lidar-obj', 'data-uid': String(o.uid), 'aria-selected': String(o === selected) },
        el('button', { type: 'button', class: 'fl-lidar-objsel', 'data-act': 'select', title: t('editors.lidar.select') },
          el('span', { class: 'fl-lidar-swatch', 'data-color': String((classByName.get(o.cls)?.index ?? 0) % PALETTE.length) }),
          el('span', { text: `${i + 1}. ${o.cls}` }),
          el('span', { class: 'fl-lidar-dim', text: ` ${o.s.map((v) => formatNumber(v, { minimumFractionDigits: 1, maximumFractionDigits: 1, useGrouping: false })).join('×')}${o.id !== undefined ? ` · ${t('editors.lidar.pre')}` : ''}` })),
        el('button', { type: 'button', class: 'fl-lidar-icon', 'data-act': 'hide', title: o.hidden ? t('editors.image.show') : t('editors.image.hide'), 'aria-pressed': String(o.hidden),
          text: o.hidden ? t('editors.lidar.show') : t('editors.lidar.hide') }),
        readOnly ? null : el('button', { type: 'button', class: 'fl-lidar-icon', 'data-act': 'delete', title: t('editors.image.delete'), text: '✕' }));
      return li;
    }));
  }
  function renderGeom() {
    const o = selected;
    if (!o) { geomInfo.textContent = t('editors.lidar.nothing_selected'); return; }
    const f = (v, d = 2) => formatNumber(v, { minimumFractionDigits: d, maximumFractionDigits: d, useGrouping: false });
    geomInfo.textContent = t('editors.lidar.geometry', {
      class: o.cls, centre: o.c.map((v) => f(v)).join(t('editors.lidar.list_sep')),
      size: o.s.map((v) => f(v)).join(' × '), yaw: f((o.yaw * 180) / Math.PI, 1),
    });
  }
  function renderSelected() {
    renderGeom();
    const o = selected;
    attrForm.replaceChildren();
    if (!o) return;
    const attrs = classByName.get(o.cls)?.attributes || [];
    if (!attrs.length) { attrForm.append(el('p', { class: 'fl-lidar-dim', text: t('editors.lidar.no_attributes') })); return; }
    for (const a of attrs) {
      const id = `fl-lidar-attr-${o.uid}-${a.name}`;
      let input;
      if (a.type === 'bool') {
        input = el('input', { type: 'checkbox', id, 'data-attr': a.name, 'data-testid': `attr-${a.name}`, disabled: readOnly });
        input.checked = !!o.attrs[a.name];
        attrForm.append(el('label', { class: 'fl-lidar-check', for: id }, input, ` ${a.name}`));
        continue;
      }
      if (a.type === 'enum') {
        input = el('select', { id, 'data-attr': a.name, 'data-testid': `attr-${a.name}`, disabled: readOnly }, el('option', { value: '', text: '—' }),
          ...(a.values || []).map((v) => el('option', { value: String(v), text: String(v) })));
        input.value = o.attrs[a.name] ?? '';
      } else {
        input = el('input', { type: 'text', id, 'data-attr': a.name, 'data-testid': `attr-${a.name}`, maxlength: a.max_chars ? String(a.max_chars) : null, disabled: readOnly });
        input.value = o.attrs[a.name] ?? '';
      }
      attrForm.append(el('label', { for: id, text: a.name }), input);
    }
  }
  function onAttrChange(e) {
    if (readOnly) return;
    const t = e.target;
    const name = t.dataset?.attr;
    if (!selected || !name) return;
    if (t.type === 'checkbox') selected.attrs[name] = t.checked;
    else if (t.value === '') delete selected.attrs[name];
    else selected.attrs[name] = t.value;
    commit();
  }
  attrForm.addEventListener('change', onAttrChange);
  attrForm.addEventListener('submit', (e) => e.preventDefault());

  function setClass(name) {
    if (!classByName.has(name) || readOnly) return;
    currentClass = name;
    if (selected && selected.cls !== name) {
      selected.cls = name;
      const keep = new Set((classByName.get(name).attributes || []).map((a) => a.name));
      for (const k of Object.keys(selected.attrs)) if (!keep.has(k)) delete selected.attrs[k];
      for (const a of classByName.get(name).attributes || []) if (a.type === 'bool' && !(a.name in selected.attrs)) selected.attrs[a.name] = false;
      syncObject(selected);
      commit();
      renderSelected();
      renderList();
      requestRender(true, true);
    }
    renderClassBar();
  }
  classBar.addEventListener('click', (e) => {
    const b = e.target.closest('[data-class]');
    if (b) setClass(b.dataset.class);
  });
  objList.addEventListener('click', (e) => {
    const b = e.target.closest('[data-act]');
    const li = e.target.closest('[data-uid]');
    if (!b || !li) return;
    const o = objects.find((x) => String(x.uid) === li.dataset.uid);
    if (!o) return;
    if (b.dataset.act === 'select') { select(o); focusOnObject(o); }
    else if (b.dataset.act === 'hide') toggleHidden(o);
    else if (b.dataset.act === 'delete' && !readOnly) deleteObject(o);
  });
  function toggleHidden(o) {
    o.hidden = !o.hidden;
    syncObject(o);
    if (o === selected) updateHandles();
    renderList();
    requestRender(true, true);
  }
  function deleteObject(o) {
    removeObjectRecord(o);
    commit();
    renderList();
    requestRender(true, true);
  }
  function focusOnObject(o) {
    if (bev) { bevState.cx = o.c[0]; bevState.cy = o.c[1]; }
    else orbit.target.set(o.c[0], o.c[1], o.c[2]);
    updateMainCamera();
    requestRender(true, false);
  }

  toolbar.addEventListener('click', (e) => {
    const b = e.target.closest('[data-action]');
    if (!b) return;
    const a = b.dataset.action;
    if (a === 'bev') toggleBev();
    else if (a === 'color') toggleColor();
    else if (a === 'fit') fitSelected();
    else if (a === 'undo') undo();
    else if (a === 'redo') redo();
    else if (a === 'reset') resetCamera();
  });
  function toggleBev() {
    bev = !bev;
    if (bev) { bevState.cx = orbit.target.x; bevState.cy = orbit.target.y; }
    else { orbit.target.x = bevState.cx; orbit.target.y = bevState.cy; }
    bevBtn.setAttribute('aria-pressed', String(bev));
    mainLabel.textContent = bev ? t('editors.lidar.bev_label') : '3D';
    updateMainCamera();
    requestRender(true, false);
  }
  function toggleColor() {
    if (!cloud?.hasIntensity && colorMode === 0) return;
    colorMode = 1 - colorMode;
    pointUniforms.uMode.value = colorMode;
    colorBtn.textContent = colorMode ? t('editors.lidar.colour_intensity') : t('editors.lidar.colour_height');
    requestRender(true, true);
  }
  function resetCamera() {
    orbit.target.set(12, 0, groundZ); orbit.dist = 38; orbit.az = Math.PI; orbit.el = 0.55;
    bevState.cx = 20; bevState.cy = 0; bevState.mpp = Math.max(0.02, 80 / Math.max(1, layout.main.h));
    updateMainCamera();
    requestRender(true, false);
  }

  // ---------- fit to points ----------
  function fitSelected() {
    const o = selected;
    if (!o || !cloud || readOnly) return false;
    const pos = cloud.positions, n = cloud.count;
    const cy = Math.cos(o.yaw), sy = Math.sin(o.yaw);
    const hl = o.s[0] / 2, hw = o.s[1] / 2;
    const zLo = o.c[2] - o.s[2] / 2 - 0.5, zHi = o.c[2] + o.s[2] / 2 + 0.5;
    let zMin = Infinity;
    // pass 1: the lowest point in the footprint (the ground under the object)
    for (let i = 0; i < n; i++) {
      const z = pos[3 * i + 2];
      if (z < zLo || z > zHi) continue;
      const dx = pos[3 * i] - o.c[0], dy = pos[3 * i + 1] - o.c[1];
      const lx = cy * dx + sy * dy, ly = -sy * dx + cy * dy;
      if (lx < -hl || lx > hl || ly < -hw || ly > hw) continue;
      if (z < zMin) zMin = z;
    }
    if (!Number.isFinite(zMin)) { flash(t('editors.lidar.fit_none')); return false; }
    // pass 2: the extent of the points above the ground (when the lowest point is ground: within 25 cm of
    // the cloud's ground estimate or below it, skip the 20 cm above it; otherwise keep every point)
    const clear = zMin <= groundZ + 0.25 ? zMin + 0.2 : zMin;
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity, zMax = -Infinity, k = 0;
    for (let i = 0; i < n; i++) {
      const z = pos[3 * i + 2];
      if (z < clear || z > zHi) continue;
      const dx = pos[3 * i] - o.c[0], dy = pos[3 * i + 1] - o.c[1];
      const lx = cy * dx + sy * dy, ly = -sy * dx + cy * dy;
      if (lx < -hl || lx > hl || ly < -hw || ly > hw) continue;
      if (lx < x0) x0 = lx; if (lx > x1) x1 = lx;
      if (ly < y0) y0 = ly; if (ly > y1) y1 = ly;
      if (z > zMax) zMax = z;
      k++;
    }
    if (k === 0) { flash(t('editors.lidar.fit_ground')); return false; }
    const l = Math.max(MIN_SIZE, x1 - x0), w = Math.max(MIN_SIZE, y1 - y0), h = Math.max(MIN_SIZE, zMax - zMin);
    const mx = (x0 + x1) / 2, my = (y0 + y1) / 2;
    o.c = [o.c[0] + cy * mx - sy * my, o.c[1] + sy * mx + cy * my, zMin + h / 2];
    o.s = [l, w, h];
    edited(o);
    flash(t('editors.lidar.fitted', { count: formatNumber(k) }));
    return true;
  }

  let flashTimer = 0;
  function flash(msg) {
    status.textContent = msg;
    status.hidden = false;
    clearTimeout(flashTimer);
    flashTimer = setTimeout(() => { status.hidden = true; }, 2500);
  }

  // ---------- pointer ----------
  function regionAt(x, y) {
    const m = layout.main;
    if (x >= m.x && x < m.x + m.w && y >= m.y && y < m.y + m.h) return -1;
    for (const v of views) {
      const r = v.rect;
      if (x >= r.x && x < r.x + r.w && y >= r.y && y < r.y + r.h) return v.i;
    }
    return -2;
  }
  function setNdc(x, y) {
    const m = layout.main;
    ndc.set(((x - m.x) / m.w) * 2 - 1, -((y - m.y) / m.h) * 2 + 1);
  }
  // Main-view pointer → ground plane (z = groundZ). Writes into out; returns false when it misses.
  function groundAt(x, y, out) {
    setNdc(x, y);
    raycaster.setFromCamera(ndc, mainCam());
    groundPlane.constant = -groundZ;
    return raycaster.ray.intersectPlane(groundPlane, out) !== null;
  }
  // The cuboid under a main-view pointer (ray against each visible cuboid's oriented box), or null.
  function pickMain(x, y) {
    setNdc(x, y);
    raycaster.setFromCamera(ndc, mainCam());
    let best = null, bestD = Infinity;
    for (const o of objects) {
      if (o.hidden) continue;
      tmpM.copy(o.line.matrixWorld).invert();
      tmpRay.copy(raycaster.ray).applyMatrix4(tmpM);
      if (!tmpRay.intersectBox(unitBox, tmpV)) continue;
      tmpV.applyMatrix4(o.line.matrixWorld);
      const d = tmpV.distanceTo(raycaster.ray.origin);
      if (d < bestD) { bestD = d; best = o; }
    }
    return best;
  }
  // View pointer → world point (in the view's plane through its frozen centre) and view-frame coordinates.
  const vp = { wx: 0, wy: 0, wz: 0 };
  function viewPoint(v, x, y) {
    const r = v.rect;
    const du = (x - (r.x + r.w / 2)) * v.mpp;
    const dv = -(y - (r.y + r.h / 2)) * v.mpp;
    let lx = 0, ly = 0, lz = 0;
    if (v.i === 0) { lx = dv; ly = -du; } else if (v.i === 1) { lx = du; lz = dv; } else { ly = du; lz = dv; }
    const cy = Math.cos(v.yaw), sy = Math.sin(v.yaw);
    vp.wx = v.cx + cy * lx - sy * ly;
    vp.wy = v.cy + sy * lx + cy * ly;
    vp.wz = v.cz + lz;
    return vp;
  }
  // World → the frame of a cuboid state {c, yaw}.
  function toLocal(s, wx, wy, wz, out) {
    const dx = wx - s.c[0], dy = wy - s.c[1];
    const cy = Math.cos(s.yaw), sy = Math.sin(s.yaw);
    out[0] = cy * dx + sy * dy; out[1] = -sy * dx + cy * dy; out[2] = wz - s.c[2];
    return out;
  }
  const loc = [0, 0, 0];

  let drag = null;
  function onPointerDown(e) {
    if (!renderer || (e.button !== 0 && e.button !== 2 && e.button !== 1)) return;
    root.focus({ preventScroll: true });
    const rect = canvas.getBoundingClientRect();
    const x = e.clientX - rect.left, y = e.clientY - rect.top;
    const region = regionAt(x, y);
    if (region === -2) return;
    e.preventDefault();
    canvas.setPointerCapture(e.pointerId);
    const pan = e.button !== 0 || e.shiftKey;
    drag = { id: e.pointerId, x0: x, y0: y, lx: x, ly: y, region, mode: null, moved: false, pan, start: null, obj: null };
    if (region === -1) {
      if (pan) drag.mode = 'pan';
      else if (bev) {
        // press on a cuboid in bird's-eye: move it; on empty ground: pan (a click places, see pointerup)
        const o = !readOnly && groundAt(x, y, tmpV) ? pickGround(tmpV.x, tmpV.y) : null;
        if (o) {
          drag.mode = 'bevmove';
          drag.obj = o;
          drag.start = { c: o.c.slice(), s: o.s.slice(), yaw: o.yaw };
          drag.g0x = tmpV.x; drag.g0y = tmpV.y;
        } else drag.mode = 'pan';
      } else drag.mode = 'orbit';
      return;
    }
    // side views
    const v = views[region];
    const o = selected;
    if (!o || o.hidden || pan || readOnly) { drag.mode = 'none'; return; }
    const p = viewPoint(v, x, y);
    toLocal(o, p.wx, p.wy, p.wz, loc);
    const tol = HANDLE_PX * v.mpp;
    const l = o.s[0];
    drag.start = { c: o.c.slice(), s: o.s.slice(), yaw: o.yaw };
    drag.obj = o;
    drag.view = v;
    drag.p0 = { wx: p.wx, wy: p.wy, wz: p.wz };
    // the two cuboid axes this view shows: [axis index, half size]
    const axes = v.i === 0 ? [0, 1] : v.i === 1 ? [0, 2] : [1, 2];
    if (v.i === 0) {
      const rx = l / 2 + rotateHandleOffset(o);
      if (Math.hypot(loc[0] - rx, loc[1]) <= tol * 1.6) {
        drag.mode = 'rotate';
        drag.a0 = Math.atan2(p.wy - o.c[1], p.wx - o.c[0]);
        return;
      }
    }
    const edges = [];
    for (const a of axes) {
      const half = o.s[a] / 2;
      const other = axes[0] === a ? axes[1] : axes[0];
      const inSpan = Math.abs(loc[other]) <= o.s[other] / 2 + tol;
      if (!inSpan) continue;
      if (Math.abs(loc[a] - half) <= tol) edges.push([a, 1]);
      else if (Math.abs(loc[a] + half) <= tol) edges.push([a, -1]);
    }
    if (edges.length) { drag.mode = 'resize'; drag.edges = edges; return; }
    if (Math.abs(loc[axes[0]]) <= o.s[axes[0]] / 2 && Math.abs(loc[axes[1]]) <= o.s[axes[1]] / 2) {
      drag.mode = 'vmove';
      return;
    }
    drag.mode = 'none';
  }
  function pickGround(gx, gy) {
    let best = null, bestA = Infinity;
    for (const o of objects) {
      if (o.hidden) continue;
      toLocal(o, gx, gy, 0, loc);
      if (Math.abs(loc[0]) <= o.s[0] / 2 && Math.abs(loc[1]) <= o.s[1] / 2) {
        const area = o.s[0] * o.s[1];
        if (area < bestA) { bestA = area; best = o; }
      }
    }
    return best;
  }
  function onPointerMove(e) {
    if (!drag || e.pointerId !== drag.id) return;
    const rect = canvas.getBoundingClientRect();
    const x = e.clientX - rect.left, y = e.clientY - rect.top;
    const dx = x - drag.lx, dy = y - drag.ly;
    drag.lx = x; drag.ly = y;
    if (!drag.moved && Math.hypot(x - drag.x0, y - drag.y0) < CLICK_PX) return;
    drag.moved = true;
    switch (drag.mode) {
      case 'orbit':
        orbit.az -= dx * 0.006;
        orbit.el = Math.min(1.55, Math.max(0.02, orbit.el + dy * 0.006));
        interact();
        updateMainCamera();
        requestRender(true, false);
        break;
      case 'pan':
        if (bev) {
          // screen right = -y, screen up = +x
          bevState.cy += dx * bevState.mpp;
          bevState.cx += dy * bevState.mpp;
        } else {
          const k = (2 * orbit.dist * Math.tan((persp.fov * Math.PI) / 360)) / Math.max(1, layout.main.h);
          tmpV.setFromMatrixColumn(persp.matrixWorld, 0).multiplyScalar(-dx * k);
          tmpV2.setFromMatrixColumn(persp.matrixWorld, 1).multiplyScalar(dy * k);
          orbit.target.add(tmpV).add(tmpV2);
        }
        interact();
        updateMainCamera();
        requestRender(true, false);
        break;
      case 'bevmove': {
        if (!groundAt(x, y, tmpV)) break;
        const o = drag.obj;
        if (selected !== o) select(o);
        o.c[0] = drag.start.c[0] + tmpV.x - drag.g0x;
        o.c[1] = drag.start.c[1] + tmpV.y - drag.g0y;
        syncObject(o);
        renderGeom();
        requestRender(true, false);
        break;
      }
      case 'vmove': {
        const o = drag.obj, s = drag.start;
        const p = viewPoint(drag.view, x, y);
        o.c[0] = s.c[0] + p.wx - drag.p0.wx;
        o.c[1] = s.c[1] + p.wy - drag.p0.wy;
        if (drag.view.i !== 0) o.c[2] = s.c[2] + p.wz - drag.p0.wz;
        syncObject(o);
        renderGeom();
        requestRender(true, true);
        break;
      }
      case 'resize': {
        const o = drag.obj, s = drag.start;
        const p = viewPoint(drag.view, x, y);
        toLocal(s, p.wx, p.wy, p.wz, loc);
        const off = [0, 0, 0];
        const size = s.s.slice();
        for (const [a, sign] of drag.edges) {
          const fixed = -sign * s.s[a] / 2;
          const ns = Math.max(MIN_SIZE, sign * (loc[a] - fixed));
          size[a] = ns;
          off[a] = fixed + (sign * ns) / 2;
        }
        const cy = Math.cos(s.yaw), sy = Math.sin(s.yaw);
        o.s = size;
        o.c = [s.c[0] + cy * off[0] - sy * off[1], s.c[1] + sy * off[0] + cy * off[1], s.c[2] + off[2]];
        syncObject(o);
        renderGeom();
        requestRender(true, true);
        break;
      }
      case 'rotate': {
        const o = drag.obj, s = drag.start;
        const p = viewPoint(drag.view, x, y);
        const a = Math.atan2(p.wy - s.c[1], p.wx - s.c[0]);
        o.yaw = wrapAngle(s.yaw + a - drag.a0);
        syncObject(o);
        renderGeom();
        requestRender(true, true);
        break;
      }
      default:
    }
  }
  function onPointerUp(e) {
    if (!drag || e.pointerId !== drag.id) return;
    const d = drag;
    drag = null;
    try { canvas.releasePointerCapture(e.pointerId); } catch { /* already released */ }
    if (!d.moved) {
      if (d.region === -1 && !d.pan && e.button === 0) clickMain(d.x0, d.y0);
      return;
    }
    if (['bevmove', 'vmove', 'resize', 'rotate'].includes(d.mode)) edited(d.obj);
  }
  function clickMain(x, y) {
    if (bev) {
      if (!groundAt(x, y, tmpV)) return;
      const hit = pickGround(tmpV.x, tmpV.y);
      if (hit || readOnly) { select(hit); return; }
      const o = newObject(currentClass, tmpV.x, tmpV.y);
      select(o);
      commit();
      renderList();
      return;
    }
    select(pickMain(x, y));
  }
  function onWheel(e) {
    const rect = canvas.getBoundingClientRect();
    const x = e.clientX - rect.left, y = e.clientY - rect.top;
    if (regionAt(x, y) !== -1) return;
    e.preventDefault();
    const f = Math.exp(Math.max(-1, Math.min(1, e.deltaY * (e.deltaMode === 1 ? 0.05 : 0.0015))));
    interact();
    if (bev) {
      // zoom about the pointer
      const hadPoint = groundAt(x, y, tmpV2);
      bevState.mpp = Math.min(1, Math.max(0.004, bevState.mpp * f));
      updateMainCamera();
      if (hadPoint && groundAt(x, y, tmpV)) {
        bevState.cx += tmpV2.x - tmpV.x;
        bevState.cy += tmpV2.y - tmpV.y;
        updateMainCamera();
      }
    } else {
      orbit.dist = Math.min(400, Math.max(1.5, orbit.dist * f));
      updateMainCamera();
    }
    requestRender(true, false);
  }
  const onContextMenu = (e) => e.preventDefault();
  canvas.addEventListener('pointerdown', onPointerDown);
  canvas.addEventListener('pointermove', onPointerMove);
  canvas.addEventListener('pointerup', onPointerUp);
  canvas.addEventListener('pointercancel', onPointerUp);
  canvas.addEventListener('wheel', onWheel, { passive: false });
  canvas.addEventListener('contextmenu', onContextMenu);

  // ---------- keyboard ----------
  function moveGround(fwd, right) {
    // arrows follow the main view: up = away from the viewer on the ground
    let fx, fy;
    if (bev) { fx = 1; fy = 0; } else {
      fx = orbit.target.x - persp.position.x; fy = orbit.target.y - persp.position.y;
      const n = Math.hypot(fx, fy) || 1; fx /= n; fy /= n;
    }
    const rx = fy, ry = -fx;
    selected.c[0] += (fwd * fx + right * rx) * MOVE_STEP;
    selected.c[1] += (fwd * fy + right * ry) * MOVE_STEP;
  }
  function onKeyDown(e) {
    const t = e.target;
    if (t && t !== root && (t.isContentEditable || ['INPUT', 'SELECT', 'TEXTAREA'].includes(t.tagName))) return;
    const k = e.key;
    const ctrl = e.ctrlKey || e.metaKey;
    let handled = true;
    const o = selected;
    if (ctrl && (k === 'z' || k === 'Z')) { if (e.shiftKey) redo(); else undo(); }
    else if (ctrl && (k === 'y' || k === 'Y')) redo();
    else if (ctrl || e.altKey) handled = false;
    else if (/^[1-9]$/.test(k)) { const c = classes[Number(k) - 1]; if (c) setClass(c.name); else handled = false; }
    else if (k === '?') helpBox.open = !helpBox.open;
    else if (k === 'b' || k === 'B') toggleBev();
    else if (k === 'c' || k === 'C') toggleColor();
    else if (k === 'r' || k === 'R') resetCamera();
    else if (k === '+' || k === '=') { pointSize = Math.min(8, pointSize + 1); requestRender(true, true); }
    else if (k === '-' || k === '_') { pointSize = Math.max(1, pointSize - 1); requestRender(true, true); }
    else if (k === 'n' || k === 'N' || k === 'p' || k === 'P') {
      if (objects.length) {
        const i = objects.indexOf(o);
        const step = k === 'n' || k === 'N' ? 1 : -1;
        const next = objects[(i + step + objects.length) % objects.length] || objects[0];
        select(next);
        focusOnObject(next);
      }
    } else if (k === 'Escape') { if (o) select(null); else handled = false; }
    else if (!o || readOnly) handled = false;
    else if (k === 'f' || k === 'F') fitSelected();
    else if (k === 'Delete' || k === 'Backspace') deleteObject(o);
    else if (k === 'h' || k === 'H') toggleHidden(o);
    else if (k === 'q' || k === 'Q' || k === 'e' || k === 'E') {
      const step = e.shiftKey ? YAW_STEP_FINE : YAW_STEP;
      o.yaw = wrapAngle(o.yaw + (k === 'q' || k === 'Q' ? step : -step));
      edited(o);
    } else if (k.startsWith('Arrow') || k === 'PageUp' || k === 'PageDown') {
      if (e.shiftKey) {
        const d = k === 'ArrowUp' || k === 'ArrowRight' || k === 'PageUp' ? MOVE_STEP : -MOVE_STEP;
        const a = k === 'ArrowUp' || k === 'ArrowDown' ? 0 : k === 'ArrowLeft' || k === 'ArrowRight' ? 1 : 2;
        const ns = Math.max(MIN_SIZE, o.s[a] + d);
        if (a === 2) o.c[2] += (ns - o.s[2]) / 2; // keep the bottom on the ground
        o.s[a] = ns;
      } else if (k === 'PageUp') o.c[2] += MOVE_STEP;
      else if (k === 'PageDown') o.c[2] -= MOVE_STEP;
      else if (k === 'ArrowUp') moveGround(1, 0);
      else if (k === 'ArrowDown') moveGround(-1, 0);
      else if (k === 'ArrowRight') moveGround(0, 1);
      else moveGround(0, -1);
      edited(o);
    } else handled = false;
    if (handled) { e.preventDefault(); e.stopPropagation(); }
  }
  root.addEventListener('keydown', onKeyDown);

  // ---------- loading ----------
  for (const p of predictions?.objects || []) {
    if (!p || !Array.isArray(p.center) || !Array.isArray(p.size) || p.center.length !== 3 || p.size.length !== 3) continue;
    if (![...p.center, ...p.size].every(finite) || !p.size.every((v) => v > 0)) continue;
    const cls = classByName.has(p.class) ? p.class : classes[0].name;
    const o = { cls, c: p.center.slice(), s: p.size.slice(), yaw: finite(p.yaw) ? wrapAngle(p.yaw) : 0, attrs: { ...(p.attributes || {}) } };
    if (p.id !== undefined) o.id = p.id;
    addObjectRecord(o);
  }
  history.present = snapshot();
  const initialSnapshot = history.present;
  updateUndoButtons();
  renderClassBar();
  renderList();
  renderSelected();
  resize();

  const mediaId = data.pointcloud?.media_id;
  const ready = (async () => {
    if (!mediaId) throw new Error(t('editors.lidar.no_cloud'));
    const res = await fetch(`/api/v1/media/${encodeURIComponent(mediaId)}/points`, { credentials: 'same-origin' });
    if (!res.ok) throw new Error(t('editors.lidar.cloud_http', { status: res.status }));
    const buf = await res.arrayBuffer();
    if (destroyed) return;
    cloud = parseFlpc(buf);
    debug.loadMs = Math.round(performance.now() - t0);
    debug.count = cloud.count;
    groundZ = estimateGround(cloud.positions, cloud.count, cloud.min[2], cloud.max[2]);
    debug.groundZ = groundZ;
    pointGeometry.setAttribute('position', new THREE.BufferAttribute(cloud.positions, 3));
    pointGeometry.setAttribute('intensity', new THREE.BufferAttribute(cloud.intensity || new Uint8Array(cloud.count), 1, true));
    pointGeometry.boundingSphere = new THREE.Sphere(new THREE.Vector3(), 1e6);
    points = new THREE.Points(pointGeometry, pointMaterial);
    points.frustumCulled = false;
    scene.add(points);
    const stride = Math.max(2, Math.ceil(cloud.count / 40000));
    const lodIndex = new Uint32Array(Math.ceil(cloud.count / stride));
    for (let i = 0; i < lodIndex.length; i++) lodIndex[i] = i * stride;
    lodGeometry.setAttribute('position', pointGeometry.getAttribute('position'));
    lodGeometry.setAttribute('intensity', pointGeometry.getAttribute('intensity'));
    lodGeometry.setIndex(new THREE.BufferAttribute(lodIndex, 1));
    lodGeometry.boundingSphere = pointGeometry.boundingSphere;
    pointsLod = new THREE.Points(lodGeometry, pointMaterial);
    pointsLod.frustumCulled = false;
    pointsLod.visible = false;
    scene.add(pointsLod);
    debug.lodStride = stride;
    pointUniforms.uZLow.value = groundZ - 0.3;
    pointUniforms.uZHigh.value = groundZ + 3.5;
    grid.position.z = groundZ;
    if (!cloud.hasIntensity) colorBtn.disabled = true;
    resetCamera();
    status.hidden = true;
    root.dataset.state = 'ready';
    root.dataset.points = String(cloud.count);
    requestRender(true, true);
    // After the first frame (shader compiled), time one full main-view frame, waiting for the GPU; slower
    // than 20 ms (software rendering) turns on the subset while the camera moves.
    setTimeout(() => {
      if (destroyed || !renderer) return;
      const gl = renderer.getContext();
      const px = new Uint8Array(4);
      const t = performance.now();
      dirtyMain = true;
      renderFrame();
      gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, px);
      debug.fullFrameMs = Math.round((performance.now() - t) * 10) / 10;
      lodEnabled = debug.fullFrameMs > 20;
      debug.lodEnabled = lodEnabled;
    }, 100);
  })();
  ready.catch((err) => {
    if (destroyed) return;
    root.dataset.state = 'error';
    status.hidden = false;
    status.textContent = t('editors.lidar.cloud_error', { error: err.message });
  });
  if (glError) root.dataset.state = 'error';
  setTimeout(() => { if (!destroyed) root.focus({ preventScroll: true }); }, 0);

  // Test and diagnostics hooks (no effect on the answer).
  debug.worldToClient = (x, y, z) => {
    tmpV.set(x, y, z).project(mainCam());
    const rect = canvas.getBoundingClientRect();
    const m = layout.main;
    return { x: rect.left + m.x + ((tmpV.x + 1) / 2) * m.w, y: rect.top + m.y + ((1 - tmpV.y) / 2) * m.h };
  };
  // Renders the main view n times in a row, waiting for the GPU each time: milliseconds per frame.
  debug.benchRender = (n = 20) => {
    if (!renderer) return null;
    const gl = renderer.getContext();
    const px = new Uint8Array(4);
    const t = performance.now();
    for (let i = 0; i < n; i++) {
      orbit.az += 0.01;
      updateMainCamera();
      dirtyMain = true;
      renderFrame();
      gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, px); // waits for the GPU
    }
    return (performance.now() - t) / n;
  };
  debug.state = () => ({ bev, colorMode, selected: selected ? objects.indexOf(selected) : -1, objects: objects.length });

  // ---------- interface ----------
  function getAnswer() {
    return {
      objects: objects.map((o) => {
        const out = {};
        if (o.id !== undefined) out.id = o.id;
        out.class = o.cls;
        out.center = o.c.map(r3);
        out.size = o.s.map((v) => Math.max(0.001, r3(v)));
        out.yaw = roundYaw(o.yaw);
        const attrs = {};
        for (const a of classByName.get(o.cls)?.attributes || []) {
          const v = o.attrs[a.name];
          if (v === undefined || v === '') continue;
          attrs[a.name] = v;
        }
        out.attributes = attrs;
        return out;
      }),
    };
  }
  function validate() {
    const errors = [];
    objects.forEach((o, i) => {
      const n = t('editors.lidar.cuboid_name', { n: i + 1, class: o.cls });
      if (!classByName.has(o.cls)) errors.push(t('editors.lidar.unknown_class', { name: n }));
      if (![...o.c, ...o.s, o.yaw].every(finite)) errors.push(t('editors.lidar.invalid_geometry', { name: n }));
      else if (!o.s.every((v) => v > 0)) errors.push(t('editors.lidar.size_positive', { name: n }));
      for (const a of classByName.get(o.cls)?.attributes || []) {
        const v = o.attrs[a.name];
        if (a.type === 'enum' && v !== undefined && !(a.values || []).includes(v)) errors.push(t('editors.lidar.unknown_value', { name: n, attribute: a.name }));
        if (a.type === 'text' && typeof v === 'string' && a.max_chars && [...v].length > a.max_chars) errors.push(t('editors.lidar.too_long', { name: n, attribute: a.name, max: a.max_chars }));
        if (a.required && (v === undefined || v === '')) errors.push(t('editors.lidar.required', { name: n, attribute: a.name }));
      }
    });
    return errors.length ? errors.join('\n') : null;
  }
  function destroy() {
    if (destroyed) return;
    destroyed = true;
    if (rafId) cancelAnimationFrame(rafId);
    clearTimeout(flashTimer);
    clearTimeout(interactTimer);
    ro.disconnect();
    canvas.removeEventListener('pointerdown', onPointerDown);
    canvas.removeEventListener('pointermove', onPointerMove);
    canvas.removeEventListener('pointerup', onPointerUp);
    canvas.removeEventListener('pointercancel', onPointerUp);
    canvas.removeEventListener('wheel', onWheel);
    canvas.removeEventListener('contextmenu', onContextMenu);
    root.removeEventListener('keydown', onKeyDown);
    pointGeometry.dispose();
    lodGeometry.dispose();
    pointMaterial.dispose();
    boxLineGeometry.dispose();
    for (const m of classMaterials) m.dispose();
    selectedMaterial.dispose();
    fillMaterial.dispose();
    fillGeometry.dispose();
    handleMaterial.dispose();
    for (const h of handles) h.geometry.dispose();
    grid.geometry.dispose(); grid.material.dispose();
    egoAxes.geometry.dispose(); egoAxes.material.dispose();
    if (renderer) { renderer.dispose(); renderer.forceContextLoss(); }
    cloud = null;
    root.remove();
  }
  const isDirty = () => !readOnly && history.present !== initialSnapshot;
  return { getAnswer, validate, destroy, isDirty, ready, debug };
}
