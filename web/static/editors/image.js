// image_annotation editor on a <canvas>. The image comes from data.image.media_id (GET /api/v1/media/{id}) or
// data.image.url. Wheel zooms around the pointer, Space+drag or middle-drag pans, F (or 0) fits the image.
// Tools depend on the chosen class (keys 1–9):
//   bbox (B): drag on empty space to draw; drag inside the selected box to move it, drag a corner to resize.
//   polygon (P): click to add vertices; Enter, a double-click or a click on the first vertex closes; Backspace
//                removes the last vertex while drawing; drag a vertex of the selected polygon to move it.
//   keypoints (K): click to place the next skeleton point of the selected object (a new object when none is
//                open); S skips a point (not labelled), V toggles the selected point visible ↔ occluded;
//                drag a point to move it.
// Clicking a shape of the current tool's type (or any keypoint) selects it; other objects are selected in the
// object list (Shift+drag always draws). Delete removes the selected object, H hides it,
// Esc cancels drawing / deselects. Coordinates are image pixels, rounded to 2 decimals, clamped to the image.
//
// Hooks:
//   [data-testid="image-canvas"]        the canvas (focusable); data-scale, data-offset-x, data-offset-y give the
//                                       view transform (screen = image × scale + offset, CSS pixels from the
//                                       canvas's top-left), data-image-width / data-image-height the image size,
//                                       data-state = "loading" | "ready" | "error"
//   [data-testid="class-<i>"]           class buttons (button[data-class="<name>"], aria-pressed, keys 1–9)
//   [data-testid="tool-<tool>"]         tool buttons of the current class (bbox, polygon, keypoints; B/P/K)
//   [data-testid="zoom-in"], [data-testid="zoom-out"], [data-testid="zoom-fit"]
//   [data-testid="object-list"]         rows [data-testid="object-<i>"] (aria-current when selected) with
//                                       [data-testid="object-select-<i>"], [data-testid="object-hide-<i>"]
//                                       (aria-pressed when hidden), [data-testid="object-delete-<i>"]
//   [data-testid="attributes"]          the selected object's attributes form; inputs [data-testid="attr-<name>"]
//   [data-testid="keypoint-visibility"] toggles the selected keypoint (V)
//   plus the common hooks (shortcut-help, undo, redo, editor-status), see common.js
import { el } from '/static/api.js';
import { formatNumber, t } from '/static/i18n.js';
import {
  History, clamp, colour, cpLength, guardUnsaved, historyButtons, imageUrl, onKeys, round2, shortcutHelp, statusLine,
  withAlpha,
} from './common.js';

const HANDLE = 6; // handle half-size, CSS px
const HIT = 8; // hit tolerance, CSS px
const TOOL_KEYS = { bbox: 'B', polygon: 'P', keypoints: 'K' };
const TOOL_NAMES = { bbox: 'editors.image.tool.bbox', polygon: 'editors.image.tool.polygon', keypoints: 'editors.image.tool.keypoints' };
const typeName = (type) => (Object.hasOwn(TOOL_NAMES, type) ? t(TOOL_NAMES[type]) : type);
const VISIBILITY = ['editors.image.point.unlabelled', 'editors.image.point.occluded', 'editors.image.point.visible'];

export function mount(container, { task, project, predictions = null, readOnly = false, onChange = () => {} } = {}) {
  const classes = Array.isArray(project?.schema?.classes) ? project.schema.classes : [];
  const classIndex = (name) => classes.findIndex((c) => c.name === name);
  const classOf = (o) => classes[classIndex(o.class)] || { name: o.class, tools: [], attributes: [] };
  const imageInfo = task?.data?.image || {};
  const src = imageUrl(imageInfo);

  // ---- model ----
  let W = Number(imageInfo.width) || 0;
  let H = Number(imageInfo.height) || 0;
  let uidSeq = 0;
  let objects = [];
  const hidden = new Set();
  let selected = null; // uid
  let selectedPoint = null; // keypoint index of the selected keypoints object
  let currentClass = 0;
  let currentTool = (classes[0]?.tools || ['bbox'])[0];
  let drawing = null; // {type: 'bbox', a, b} | {type: 'polygon', points, hover}
  const kpCursor = new Map(); // uid → next keypoint index to place
  const view = { scale: 1, ox: 0, oy: 0 };
  let imgState = 'loading';

  const byUid = (uid) => objects.find((o) => o.uid === uid);
  const skeletonOf = (cls) => cls?.skeleton?.points || [];

  function defaultAttributes(cls) {
    const out = {};
    for (const a of cls?.attributes || []) if (a.type === 'bool') out[a.name] = false;
    return out;
  }

  if (predictions && Array.isArray(predictions.objects)) {
    for (const p of predictions.objects) {
      if (!p || classIndex(p.class) < 0) continue;
      const cls = classes[classIndex(p.class)];
      const o = { uid: ++uidSeq, class: p.class, type: p.type, attributes: { ...defaultAttributes(cls), ...(p.attributes || {}) } };
      if (p.id !== undefined) o.id = p.id;
      if (p.type === 'bbox' && Array.isArray(p.bbox) && p.bbox.length === 4) o.bbox = p.bbox.map(Number);
      else if (p.type === 'polygon' && Array.isArray(p.points)) o.points = p.points.map((q) => [Number(q[0]), Number(q[1])]);
      else if (p.type === 'keypoints' && Array.isArray(p.keypoints)) {
        const names = skeletonOf(cls);
        o.keypoints = names.map((_, i) => (Array.isArray(p.keypoints[i]) ? p.keypoints[i].map(Number) : [0, 0, 0]));
      } else continue;
      objects.push(o);
    }
  }

  // ---- DOM ----
  const status = statusLine();
  const canvas = el('canvas', {
    class: 'image-canvas', tabindex: '0', 'data-testid': 'image-canvas', dataset: { state: 'loading' },
    role: 'img', 'aria-label': t('editors.image.canvas_label'),
  });
  const stage = el('div', { class: 'image-stage' }, canvas);
  const classBar = el('div', { class: 'entity-bar class-bar', role: 'group', 'aria-label': t('editors.image.classes') },
    classes.map((c, i) => el('button', {
      type: 'button', class: 'label-btn entity-btn', dataset: { class: c.name }, 'data-testid': `class-${i}`, 'aria-pressed': 'false',
      'aria-keyshortcuts': i < 9 ? String(i + 1) : null,
    }, el('span', { class: 'swatch', dataset: { colour: String(i % 12) } }), i < 9 ? el('kbd', {}, String(i + 1)) : null, el('span', {}, c.name))));
  const toolBar = el('div', { class: 'tool-bar', role: 'group', 'aria-label': t('editors.image.tools') });
  const zoomIn = el('button', { type: 'button', class: 'btn btn-secondary btn-small', 'data-testid': 'zoom-in', 'aria-label': t('editors.image.zoom_in'), title: t('editors.image.zoom_in_title') }, '+');
  const zoomOut = el('button', { type: 'button', class: 'btn btn-secondary btn-small', 'data-testid': 'zoom-out', 'aria-label': t('editors.image.zoom_out'), title: t('editors.image.zoom_out_title') }, '−');
  const zoomFit = el('button', { type: 'button', class: 'btn btn-secondary btn-small', 'data-testid': 'zoom-fit', title: t('editors.image.fit_title') }, t('editors.image.fit'));
  const zoomLabel = el('span', { class: 'subtle zoom-label' });
  const objectList = el('ol', { class: 'object-list', 'data-testid': 'object-list', 'aria-label': t('editors.image.objects'), start: '0' });
  const attrForm = el('div', { class: 'attr-form', 'data-testid': 'attributes' });
  const history = new History(
    () => ({ objects, uidSeq }),
    (v) => {
      objects = v.objects;
      uidSeq = v.uidSeq;
      drawing = null;
      if (selected !== null && !byUid(selected)) { selected = null; selectedPoint = null; }
      renderAll();
    },
    () => { buttons.update(); onChange(); });
  const buttons = historyButtons(history);

  const help = shortcutHelp([
    ['1–9', t('editors.image.key_class')], ['B P K', t('editors.image.key_tools')], ['drag', t('editors.image.key_drag')],
    ['click', t('editors.image.key_click')], ['Enter / double-click', t('editors.image.key_close')],
    ['Backspace', t('editors.image.key_backspace')], ['S', t('editors.image.key_skip')], ['V', t('editors.image.key_visibility')],
    ['Delete', t('editors.image.key_delete')], ['H', t('editors.image.key_hide')], ['Esc', t('editors.image.key_escape')],
    ['←↑→↓', t('editors.image.key_arrows')], ['wheel / + −', t('editors.image.key_zoom')], ['Space+drag / middle drag', t('editors.image.key_pan')],
    ['F', t('editors.image.key_fit')], ['Shift+drag', t('editors.image.key_shift_drag')],
    ['Ctrl+Z / Ctrl+Shift+Z', 'undo / redo'], ['Ctrl+Enter', 'submit'],
  ]);

  const root = el('div', { class: 'editor editor-image', 'data-testid': 'editor-image_annotation' },
    el('div', { class: 'editor-toolbar' }, classBar),
    el('div', { class: 'editor-toolbar' }, toolBar, el('span', { class: 'zoom-controls' }, zoomOut, zoomLabel, zoomIn, zoomFit), readOnly ? null : buttons.node),
    el('div', { class: 'image-layout' },
      stage,
      el('aside', { class: 'image-side' },
        el('h3', {}, t('editors.image.objects')), objectList,
        el('h3', {}, t('editors.image.attributes')), attrForm)),
    status.node, help);
  container.append(root);

  // ---- image ----
  const img = new Image();
  img.decoding = 'async';
  img.addEventListener('load', () => {
    if (!W || !H) { W = img.naturalWidth; H = img.naturalHeight; }
    imgState = 'ready';
    canvas.dataset.state = 'ready';
    canvas.dataset.imageWidth = String(W);
    canvas.dataset.imageHeight = String(H);
    fit();
    status.say(hint());
  });
  img.addEventListener('error', () => {
    if (!root.isConnected) return;
    imgState = 'error';
    canvas.dataset.state = 'error';
    status.say(t('editors.image.load_failed'), 'error');
    draw();
  });
  if (src) img.src = src;
  else {
    imgState = 'error';
    canvas.dataset.state = 'error';
    status.say(t('editors.image.none'), 'error');
  }

  // ---- view transform ----
  const toScreen = (x, y) => [x * view.scale + view.ox, y * view.scale + view.oy];
  const toImage = (sx, sy) => [(sx - view.ox) / view.scale, (sy - view.oy) / view.scale];
  const clampPt = ([x, y]) => [clamp(x, 0, W), clamp(y, 0, H)];
  function eventPoint(ev) {
    const r = canvas.getBoundingClientRect();
    return [ev.clientX - r.left, ev.clientY - r.top];
  }
  function setView(scale, ox, oy) {
    view.scale = clamp(scale, 0.02, 64);
    view.ox = ox;
    view.oy = oy;
    canvas.dataset.scale = String(view.scale);
    canvas.dataset.offsetX = String(view.ox);
    canvas.dataset.offsetY = String(view.oy);
    zoomLabel.textContent = `${Math.round(view.scale * 100)}%`;
    draw();
  }
  let fitted = false; // the first fit needs both the image size and a visible canvas
  function fit() {
    const cw = canvas.clientWidth;
    const ch = canvas.clientHeight;
    if (!W || !H || !cw || !ch || imgState !== 'ready') return draw();
    fitted = true;
    const s = Math.min(cw / W, ch / H) * 0.96;
    setView(s, (cw - W * s) / 2, (ch - H * s) / 2);
  }
  function zoomAt(factor, sx, sy) {
    const [ix, iy] = toImage(sx, sy);
    const s = clamp(view.scale * factor, 0.02, 64);
    setView(s, sx - ix * s, sy - iy * s);
  }

  let lastSize = '';
  const resize = () => {
    const dpr = window.devicePixelRatio || 1;
    const w = canvas.clientWidth;
    const h = canvas.clientHeight;
    const key = `${w}x${h}x${dpr}`;
    if (key === lastSize) return;
    lastSize = key;
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
    if (!fitted) fit(); else draw();
  };
  const observer = new ResizeObserver(resize);
  observer.observe(canvas);

  // ---- drawing ----
  const ctx = canvas.getContext('2d');
  function draw() {
    const dpr = window.devicePixelRatio || 1;
    const cw = canvas.clientWidth;
    const ch = canvas.clientHeight;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, cw, ch);
    ctx.fillStyle = '#2a2f3a';
    ctx.fillRect(0, 0, cw, ch);
    if (imgState === 'ready') {
      ctx.imageSmoothingEnabled = view.scale < 2;
      ctx.drawImage(img, view.ox, view.oy, W * view.scale, H * view.scale);
    } else {
      ctx.fillStyle = '#c9ced8';
      ctx.font = '15px system-ui, sans-serif';
      ctx.textAlign = 'center';
      ctx.fillText(imgState === 'loading' ? t('editors.image.loading') : t('editors.image.no_image'), cw / 2, ch / 2);
      ctx.textAlign = 'start';
    }
    for (const o of objects) if (!hidden.has(o.uid)) drawObject(o, o.uid === selected);
    if (drawing?.type === 'bbox') {
      const c = colour(currentClass);
      const [ax, ay] = toScreen(...drawing.a);
      const [bx, by] = toScreen(...drawing.b);
      ctx.setLineDash([6, 4]);
      ctx.strokeStyle = c;
      ctx.lineWidth = 2;
      ctx.strokeRect(Math.min(ax, bx), Math.min(ay, by), Math.abs(bx - ax), Math.abs(by - ay));
      ctx.setLineDash([]);
    } else if (drawing?.type === 'polygon') {
      const c = colour(currentClass);
      const pts = drawing.points.map((p) => toScreen(...p));
      ctx.strokeStyle = c;
      ctx.lineWidth = 2;
      ctx.beginPath();
      pts.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
      if (drawing.hover) {
        ctx.setLineDash([6, 4]);
        ctx.lineTo(...toScreen(...drawing.hover));
      }
      ctx.stroke();
      ctx.setLineDash([]);
      pts.forEach(([x, y], i) => handle(x, y, c, i === 0 && pts.length >= 3));
    }
  }

  function handle(x, y, c, big = false) {
    const h = big ? HANDLE + 2 : HANDLE - 1;
    ctx.fillStyle = '#fff';
    ctx.strokeStyle = c;
    ctx.lineWidth = 2;
    ctx.fillRect(x - h, y - h, h * 2, h * 2);
    ctx.strokeRect(x - h, y - h, h * 2, h * 2);
  }

  function drawObject(o, isSel) {
    const ci = classIndex(o.class);
    const c = colour(ci);
    ctx.lineWidth = isSel ? 3 : 2;
    ctx.strokeStyle = c;
    ctx.fillStyle = withAlpha(c, isSel ? 0.22 : 0.12);
    let labelAt = null;
    if (o.type === 'bbox') {
      const [x, y] = toScreen(o.bbox[0], o.bbox[1]);
      const w = o.bbox[2] * view.scale;
      const h = o.bbox[3] * view.scale;
      ctx.fillRect(x, y, w, h);
      ctx.strokeRect(x, y, w, h);
      labelAt = [x, y];
      if (isSel && !readOnly) for (const [hx, hy] of [[x, y], [x + w, y], [x, y + h], [x + w, y + h]]) handle(hx, hy, c);
    } else if (o.type === 'polygon') {
      const pts = o.points.map((p) => toScreen(...p));
      ctx.beginPath();
      pts.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
      ctx.closePath();
      ctx.fill();
      ctx.stroke();
      labelAt = pts.reduce((a, b) => (b[1] < a[1] ? b : a), pts[0]);
      if (isSel && !readOnly) pts.forEach(([x, y]) => handle(x, y, c));
    } else if (o.type === 'keypoints') {
      const cls = classOf(o);
      const pts = o.keypoints.map(([x, y, v]) => (v > 0 ? toScreen(x, y) : null));
      ctx.lineWidth = 2;
      for (const [a, b] of cls.skeleton?.edges || []) {
        if (!pts[a] || !pts[b]) continue;
        ctx.beginPath();
        ctx.moveTo(...pts[a]);
        ctx.lineTo(...pts[b]);
        ctx.stroke();
      }
      const names = skeletonOf(cls);
      pts.forEach((p, i) => {
        if (!p) return;
        const v = o.keypoints[i][2];
        const r = isSel && i === selectedPoint ? 7 : 5;
        ctx.beginPath();
        ctx.arc(p[0], p[1], r, 0, Math.PI * 2);
        ctx.fillStyle = v === 2 ? c : '#fff';
        ctx.fill();
        ctx.lineWidth = 2;
        ctx.strokeStyle = v === 2 ? '#fff' : c;
        ctx.stroke();
        if (isSel) {
          ctx.font = '11px system-ui, sans-serif';
          ctx.fillStyle = '#fff';
          ctx.strokeStyle = 'rgba(0,0,0,.7)';
          ctx.lineWidth = 3;
          ctx.strokeText(names[i] || String(i), p[0] + 8, p[1] - 6);
          ctx.fillText(names[i] || String(i), p[0] + 8, p[1] - 6);
        }
      });
      const placed = pts.filter(Boolean);
      labelAt = placed.length ? placed.reduce((a, b) => (b[1] < a[1] ? b : a)) : null;
      ctx.strokeStyle = c;
    }
    if (labelAt) {
      const text = `${objects.indexOf(o)} ${o.class}`;
      ctx.font = '600 12px system-ui, sans-serif';
      const tw = ctx.measureText(text).width + 8;
      ctx.fillStyle = c;
      ctx.fillRect(labelAt[0], labelAt[1] - 17, tw, 16);
      ctx.fillStyle = '#fff';
      ctx.fillText(text, labelAt[0] + 4, labelAt[1] - 5);
    }
  }

  // ---- geometry helpers ----
  const dist2 = (a, b) => (a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2;
  function pointInPolygon([x, y], pts) {
    let inside = false;
    for (let i = 0, j = pts.length - 1; i < pts.length; j = i++) {
      const [xi, yi] = pts[i];
      const [xj, yj] = pts[j];
      if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
    }
    return inside;
  }
  function segmentsCross(p1, p2, p3, p4) {
    const d = (a, b, c) => (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]);
    const d1 = d(p3, p4, p1);
    const d2 = d(p3, p4, p2);
    const d3 = d(p1, p2, p3);
    const d4 = d(p1, p2, p4);
    if (((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0))) return true;
    const on = (a, b, c) => Math.min(a[0], b[0]) <= c[0] && c[0] <= Math.max(a[0], b[0]) && Math.min(a[1], b[1]) <= c[1] && c[1] <= Math.max(a[1], b[1]);
    return (d1 === 0 && on(p3, p4, p1)) || (d2 === 0 && on(p3, p4, p2)) || (d3 === 0 && on(p1, p2, p3)) || (d4 === 0 && on(p1, p2, p4));
  }
  function selfIntersects(pts) {
    const n = pts.length;
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        if (j === i + 1 || (i === 0 && j === n - 1)) continue; // adjacent edges share a vertex
        if (segmentsCross(pts[i], pts[(i + 1) % n], pts[j], pts[(j + 1) % n])) return true;
      }
    }
    return false;
  }
  const area = (o) => (o.type === 'bbox' ? o.bbox[2] * o.bbox[3] : o.type === 'polygon'
    ? Math.abs(o.points.reduce((s, p, i, a) => s + p[0] * a[(i + 1) % a.length][1] - a[(i + 1) % a.length][0] * p[1], 0)) / 2 : 0);

  /** What is under the screen point: {o, part: 'corner'|'inside'|'vertex'|'keypoint', index}. */
  function hitTest(s) {
    const tol2 = HIT * HIT;
    const sel = byUid(selected);
    if (sel && !hidden.has(sel.uid) && !readOnly) {
      if (sel.type === 'bbox') {
        const [x, y, w, h] = sel.bbox;
        const corners = [[x, y], [x + w, y], [x, y + h], [x + w, y + h]];
        const k = corners.findIndex((c) => dist2(toScreen(...c), s) <= tol2);
        if (k >= 0) return { o: sel, part: 'corner', index: k };
      } else if (sel.type === 'polygon') {
        const k = sel.points.findIndex((p) => dist2(toScreen(...p), s) <= tol2);
        if (k >= 0) return { o: sel, part: 'vertex', index: k };
      }
    }
    for (const o of [...objects].reverse()) {
      if (hidden.has(o.uid) || o.type !== 'keypoints') continue;
      const k = o.keypoints.findIndex(([x, y, v]) => v > 0 && dist2(toScreen(x, y), s) <= tol2);
      if (k >= 0) return { o, part: 'keypoint', index: k };
    }
    // Inside a shape: only shapes of the current tool's type (or any in preview), so keypoints and polygons can
    // be drawn on top of boxes; other objects are selected through the object list.
    const p = toImage(...s);
    const inside = objects.filter((o) => !hidden.has(o.uid) && (readOnly || o.type === currentTool) && ((o.type === 'bbox'
      && p[0] >= o.bbox[0] && p[0] <= o.bbox[0] + o.bbox[2] && p[1] >= o.bbox[1] && p[1] <= o.bbox[1] + o.bbox[3])
      || (o.type === 'polygon' && pointInPolygon(p, o.points))));
    if (!inside.length) return null;
    if (sel && inside.includes(sel)) return { o: sel, part: 'inside' };
    return { o: inside.reduce((a, b) => (area(b) < area(a) ? b : a)), part: 'inside' };
  }

  // ---- editing ----
  function select(uid, point = null) {
    selected = uid;
    selectedPoint = point;
    const o = byUid(uid);
    if (o) {
      const ci = classIndex(o.class);
      if (ci >= 0 && ci !== currentClass) { currentClass = ci; if (!classes[ci].tools.includes(currentTool)) currentTool = classes[ci].tools[0]; }
      if (o.type === 'keypoints' && !kpCursor.has(uid)) kpCursor.set(uid, nextUnplaced(o, 0));
    }
    renderAll();
  }
  function nextUnplaced(o, from) {
    for (let i = from; i < o.keypoints.length; i++) if (o.keypoints[i][2] === 0) return i;
    return o.keypoints.length;
  }
  function addObject(o) {
    o.uid = ++uidSeq;
    o.attributes = defaultAttributes(classes[currentClass]);
    objects.push(o);
    select(o.uid, o.type === 'keypoints' ? 0 : null);
    history.commit();
  }
  function deleteObject(uid) {
    const i = objects.findIndex((o) => o.uid === uid);
    if (i < 0) return;
    const [o] = objects.splice(i, 1);
    hidden.delete(uid);
    kpCursor.delete(uid);
    if (selected === uid) { selected = null; selectedPoint = null; }
    status.say(t('editors.image.deleted', { class: o.class, type: typeName(o.type) }));
    renderAll();
    history.commit();
  }
  function closePolygon() {
    if (drawing?.type !== 'polygon') return;
    const pts = [];
    for (const p of drawing.points) if (!pts.length || dist2(pts[pts.length - 1], p) * view.scale * view.scale > 4) pts.push(p);
    if (pts.length > 3 && dist2(pts[0], pts[pts.length - 1]) * view.scale * view.scale <= HIT * HIT) pts.pop();
    if (pts.length < 3) return status.say(t('editors.image.polygon_3'), 'warn');
    if (selfIntersects(pts)) return status.say(t('editors.image.edges_cross'), 'warn');
    drawing = null;
    addObject({ class: classes[currentClass].name, type: 'polygon', points: pts });
    status.say(t('editors.image.added_polygon', { class: classes[currentClass].name }), 'success');
  }
  function placeKeypoint(p) {
    const cls = classes[currentClass];
    const names = skeletonOf(cls);
    let o = byUid(selected);
    if (!o || o.type !== 'keypoints' || o.class !== cls.name || (kpCursor.get(o.uid) ?? 0) >= names.length) {
      o = { class: cls.name, type: 'keypoints', keypoints: names.map(() => [0, 0, 0]) };
      o.keypoints[0] = [p[0], p[1], 2];
      addObject(o);
      kpCursor.set(o.uid, nextUnplaced(o, 1));
    } else {
      const k = kpCursor.get(o.uid) ?? 0;
      o.keypoints[k] = [p[0], p[1], 2];
      selectedPoint = k;
      kpCursor.set(o.uid, nextUnplaced(o, k + 1));
      renderAll();
      history.commit();
    }
    status.say(hint());
  }
  function skipKeypoint() {
    const o = byUid(selected);
    if (!o || o.type !== 'keypoints') return;
    const k = kpCursor.get(o.uid) ?? 0;
    if (k < o.keypoints.length) kpCursor.set(o.uid, nextUnplaced(o, k + 1));
    status.say(hint());
  }
  function toggleVisibility() {
    const o = byUid(selected);
    if (!o || o.type !== 'keypoints' || selectedPoint === null) return status.say(t('editors.image.select_keypoint'), 'warn');
    const kp = o.keypoints[selectedPoint];
    if (kp[2] === 0) return;
    kp[2] = kp[2] === 2 ? 1 : 2;
    status.say(`${skeletonOf(classOf(o))[selectedPoint]} is now ${kp[2] === 2 ? 'visible' : 'occluded'}.`);
    renderAll();
    history.commit();
  }
  function setClass(i) {
    if (!classes[i]) return;
    currentClass = i;
    if (!classes[i].tools.includes(currentTool)) currentTool = classes[i].tools[0];
    drawing = null;
    const o = byUid(selected);
    if (o && o.class !== classes[i].name) { selected = null; selectedPoint = null; }
    status.say(hint());
    renderAll();
  }
  function setTool(tool) {
    if (!classes[currentClass]?.tools.includes(tool)) return;
    currentTool = tool;
    drawing = null;
    status.say(hint());
    renderAll();
  }
  function hint() {
    if (readOnly) return t('editors.image.preview');
    const cls = classes[currentClass];
    if (!cls) return '';
    if (drawing?.type === 'polygon') return t('editors.image.drawing_polygon', { count: formatNumber(drawing.points.length) });
    if (currentTool === 'bbox') return t('editors.image.hint_bbox', { class: cls.name });
    if (currentTool === 'polygon') return t('editors.image.hint_polygon', { class: cls.name });
    const o = byUid(selected);
    const names = skeletonOf(cls);
    if (o && o.type === 'keypoints' && o.class === cls.name) {
      const k = kpCursor.get(o.uid) ?? 0;
      if (k < names.length) return t('editors.image.hint_place', { point: names[k], n: k + 1, total: names.length });
      return t('editors.image.hint_all_placed');
    }
    return t('editors.image.hint_new', { point: names[0] || '?', class: cls.name });
  }

  // ---- pointer ----
  let action = null; // {kind: 'pan'|'draw-bbox'|'move'|'corner'|'vertex'|'keypoint', ...}
  let spaceDown = false;

  canvas.addEventListener('pointerdown', (ev) => {
    canvas.focus({ preventScroll: true });
    const s = eventPoint(ev);
    if (ev.button === 1 || (ev.button === 0 && spaceDown)) {
      ev.preventDefault();
      action = { kind: 'pan', s, ox: view.ox, oy: view.oy };
      canvas.setPointerCapture(ev.pointerId);
      return;
    }
    if (ev.button !== 0 || imgState !== 'ready') return;
    const p = clampPt(toImage(...s));
    if (drawing?.type === 'polygon') {
      if (drawing.points.length >= 3 && dist2(toScreen(...drawing.points[0]), s) <= HIT * HIT) closePolygon();
      else { drawing.points.push(p); status.say(hint()); draw(); }
      return;
    }
    const hit = ev.shiftKey ? null : hitTest(s);
    if (hit) {
      select(hit.o.uid, hit.part === 'keypoint' ? hit.index : null);
      if (readOnly) return;
      action = { kind: hit.part === 'inside' ? 'move' : hit.part, o: hit.o, index: hit.index, start: toImage(...s), orig: JSON.stringify(hit.o), changed: false };
      canvas.setPointerCapture(ev.pointerId);
      return;
    }
    if (readOnly) { select(null); return; }
    if (!classes[currentClass]) return;
    if (currentTool === 'bbox') {
      drawing = { type: 'bbox', a: p, b: p };
      action = { kind: 'draw-bbox' };
      canvas.setPointerCapture(ev.pointerId);
    } else if (currentTool === 'polygon') {
      selected = null;
      drawing = { type: 'polygon', points: [p], hover: p };
      status.say(hint());
      renderAll();
    } else if (currentTool === 'keypoints') {
      placeKeypoint(p);
    }
  });

  canvas.addEventListener('pointermove', (ev) => {
    const s = eventPoint(ev);
    if (!action) {
      if (drawing?.type === 'polygon') { drawing.hover = clampPt(toImage(...s)); draw(); }
      const hit = readOnly || drawing ? null : hitTest(s);
      canvas.dataset.cursor = spaceDown ? 'grab' : hit ? (hit.part === 'inside' ? 'move' : 'pointer') : 'crosshair';
      return;
    }
    if (action.kind === 'pan') { setView(view.scale, action.ox + s[0] - action.s[0], action.oy + s[1] - action.s[1]); return; }
    const p = toImage(...s);
    if (action.kind === 'draw-bbox') { drawing.b = clampPt(p); draw(); return; }
    const o = action.o;
    const orig = JSON.parse(action.orig);
    const dx = p[0] - action.start[0];
    const dy = p[1] - action.start[1];
    action.changed = true;
    if (action.kind === 'move') {
      if (o.type === 'bbox') {
        o.bbox[0] = clamp(orig.bbox[0] + dx, 0, W - orig.bbox[2]);
        o.bbox[1] = clamp(orig.bbox[1] + dy, 0, H - orig.bbox[3]);
      } else if (o.type === 'polygon') {
        const xs = orig.points.map((q) => q[0]);
        const ys = orig.points.map((q) => q[1]);
        const mx = clamp(dx, -Math.min(...xs), W - Math.max(...xs));
        const my = clamp(dy, -Math.min(...ys), H - Math.max(...ys));
        o.points = orig.points.map(([x, y]) => [x + mx, y + my]);
      }
    } else if (action.kind === 'corner') {
      const [x, y, w, h] = orig.bbox;
      const corners = [[x, y], [x + w, y], [x, y + h], [x + w, y + h]];
      const opposite = corners[3 - action.index];
      const q = clampPt(p);
      o.bbox = [Math.min(q[0], opposite[0]), Math.min(q[1], opposite[1]), Math.abs(q[0] - opposite[0]), Math.abs(q[1] - opposite[1])];
    } else if (action.kind === 'vertex') {
      o.points[action.index] = clampPt(p);
    } else if (action.kind === 'keypoint') {
      const q = clampPt(p);
      o.keypoints[action.index] = [q[0], q[1], o.keypoints[action.index][2]];
    }
    draw();
  });

  const endAction = (ev) => {
    if (!action) return;
    const a = action;
    action = null;
    if (canvas.hasPointerCapture?.(ev.pointerId)) canvas.releasePointerCapture(ev.pointerId);
    if (a.kind === 'draw-bbox') {
      const [ax, ay] = drawing.a;
      const [bx, by] = drawing.b;
      drawing = null;
      const w = Math.abs(bx - ax);
      const h = Math.abs(by - ay);
      if (w * view.scale < 3 || h * view.scale < 3) { select(null); status.say(hint()); return; }
      addObject({ class: classes[currentClass].name, type: 'bbox', bbox: [Math.min(ax, bx), Math.min(ay, by), w, h] });
      status.say(t('editors.image.added_box', { class: classes[currentClass].name }), 'success');
    } else if (a.kind !== 'pan' && a.changed) {
      if (a.o.type === 'bbox' && (a.o.bbox[2] <= 0.01 || a.o.bbox[3] <= 0.01)) Object.assign(a.o, JSON.parse(a.orig));
      renderAll();
      history.commit();
    }
  };
  canvas.addEventListener('pointerup', endAction);
  canvas.addEventListener('pointercancel', endAction);
  canvas.addEventListener('dblclick', (ev) => { if (drawing?.type === 'polygon') { ev.preventDefault(); closePolygon(); } });
  canvas.addEventListener('wheel', (ev) => {
    ev.preventDefault();
    const s = eventPoint(ev);
    zoomAt(Math.exp(-ev.deltaY * (ev.deltaMode === 1 ? 0.05 : 0.0015)), s[0], s[1]);
  }, { passive: false });
  canvas.addEventListener('auxclick', (ev) => ev.preventDefault());
  const centre = () => [canvas.clientWidth / 2, canvas.clientHeight / 2];
  zoomIn.addEventListener('click', () => zoomAt(1.25, ...centre()));
  zoomOut.addEventListener('click', () => zoomAt(0.8, ...centre()));
  zoomFit.addEventListener('click', fit);
  classBar.addEventListener('click', (ev) => {
    const b = ev.target.closest('[data-class]');
    if (b) setClass(classIndex(b.dataset.class));
  });
  toolBar.addEventListener('click', (ev) => {
    const b = ev.target.closest('[data-tool]');
    if (b) setTool(b.dataset.tool);
  });

  // ---- keyboard ----
  const keyUp = (ev) => { if (ev.key === ' ') { spaceDown = false; canvas.dataset.cursor = 'crosshair'; } };
  document.addEventListener('keyup', keyUp);
  const offKeys = onKeys(container, (ev) => {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const target = ev.target;
    if (target instanceof Element && target.closest('input, textarea, select')) return;
    const k = ev.key;
    if (k === ' ') {
      if (target instanceof Element && target.closest('button, summary, a')) return;
      spaceDown = true;
      canvas.dataset.cursor = 'grab';
      ev.preventDefault();
      return;
    }
    if (k === '+' || k === '=') { zoomAt(1.25, ...centre()); return; }
    if (k === '-') { zoomAt(0.8, ...centre()); return; }
    if (k === 'f' || k === 'F' || k === '0') { fit(); return; }
    if (readOnly) return;
    if (/^[1-9]$/.test(k)) { ev.preventDefault(); setClass(Number(k) - 1); return; }
    const lower = k.toLowerCase();
    if (lower === 'b') setTool('bbox');
    else if (lower === 'p') setTool('polygon');
    else if (lower === 'k') setTool('keypoints');
    else if (lower === 's') skipKeypoint();
    else if (lower === 'v') toggleVisibility();
    else if (lower === 'h' && selected !== null) { toggleHidden(selected); }
    else if (k.startsWith('Arrow') && selected !== null && !drawing && (target === canvas || target === document.body)) {
      ev.preventDefault();
      nudge(selected, (k === 'ArrowLeft' ? -1 : k === 'ArrowRight' ? 1 : 0) * (ev.shiftKey ? 10 : 1),
        (k === 'ArrowUp' ? -1 : k === 'ArrowDown' ? 1 : 0) * (ev.shiftKey ? 10 : 1));
    } else if (k === 'Enter' && drawing?.type === 'polygon') { ev.preventDefault(); ev.stopPropagation(); closePolygon(); }
    else if (k === 'Backspace' && drawing?.type === 'polygon') {
      ev.preventDefault();
      drawing.points.pop();
      if (!drawing.points.length) drawing = null;
      status.say(hint());
      draw();
    } else if ((k === 'Delete' || k === 'Backspace') && selected !== null) { ev.preventDefault(); deleteObject(selected); }
    else if (k === 'Escape') {
      if (drawing) drawing = null;
      else { selected = null; selectedPoint = null; }
      status.say(hint());
      renderAll();
    }
  }, history);

  /** Moves the selected object (or the selected keypoint) by dx, dy image pixels, staying inside the image. */
  function nudge(uid, dx, dy) {
    const o = byUid(uid);
    if (!o) return;
    if (o.type === 'bbox') {
      o.bbox[0] = clamp(o.bbox[0] + dx, 0, W - o.bbox[2]);
      o.bbox[1] = clamp(o.bbox[1] + dy, 0, H - o.bbox[3]);
    } else if (o.type === 'polygon') {
      const mx = clamp(dx, -Math.min(...o.points.map((p) => p[0])), W - Math.max(...o.points.map((p) => p[0])));
      const my = clamp(dy, -Math.min(...o.points.map((p) => p[1])), H - Math.max(...o.points.map((p) => p[1])));
      o.points = o.points.map(([x, y]) => [x + mx, y + my]);
    } else if (o.type === 'keypoints' && selectedPoint !== null && o.keypoints[selectedPoint][2] > 0) {
      const kp = o.keypoints[selectedPoint];
      o.keypoints[selectedPoint] = [clamp(kp[0] + dx, 0, W), clamp(kp[1] + dy, 0, H), kp[2]];
    } else return;
    renderAll();
    history.commit();
  }

  function toggleHidden(uid) {
    if (hidden.has(uid)) hidden.delete(uid); else hidden.add(uid);
    renderAll();
  }

  // ---- side panel ----
  objectList.addEventListener('click', (ev) => {
    const b = ev.target.closest('button[data-uid]');
    if (!b) return;
    const uid = Number(b.dataset.uid);
    if (b.dataset.act === 'hide') toggleHidden(uid);
    else if (b.dataset.act === 'delete') deleteObject(uid);
    else select(uid);
  });

  function describe(o) {
    if (o.type === 'bbox') {
      const n = (v) => formatNumber(round2(v));
      return t('editors.image.box_at', { w: n(o.bbox[2]), h: n(o.bbox[3]), x: n(o.bbox[0]), y: n(o.bbox[1]) });
    }
    if (o.type === 'polygon') return t('editors.image.points', { count: formatNumber(o.points.length) });
    return t('editors.image.points_of', { count: o.keypoints.filter((k) => k[2] > 0).length, total: o.keypoints.length });
  }

  function renderSide() {
    objectList.replaceChildren(...objects.map((o, i) => {
      const ci = classIndex(o.class);
      const isHidden = hidden.has(o.uid);
      return el('li', { 'data-testid': `object-${i}`, 'aria-current': o.uid === selected ? 'true' : null, class: isHidden ? 'is-hidden' : null },
        el('button', { type: 'button', class: 'object-row', dataset: { uid: String(o.uid) }, 'data-testid': `object-select-${i}` },
          el('span', { class: 'swatch', dataset: { colour: String(Math.max(ci, 0) % 12) } }),
          el('span', {}, el('strong', {}, `${i} ${o.class}`), ` ${typeName(o.type)}`, o.id !== undefined ? el('span', { class: 'subtle' }, ` (${t('editors.image.pre_annotated')})`) : null),
          el('span', { class: 'subtle' }, describe(o))),
        el('button', { type: 'button', class: 'btn btn-ghost btn-small', dataset: { uid: String(o.uid), act: 'hide' }, 'data-testid': `object-hide-${i}`, 'aria-pressed': String(isHidden), 'aria-label': t(isHidden ? 'editors.image.show_object' : 'editors.image.hide_object', { n: i }), title: t('editors.image.hide_show_title') },
          isHidden ? t('editors.image.show') : t('editors.image.hide')),
        readOnly ? null : el('button', { type: 'button', class: 'btn btn-ghost btn-small', dataset: { uid: String(o.uid), act: 'delete' }, 'data-testid': `object-delete-${i}`, 'aria-label': t('editors.image.delete_object', { n: i }), title: t('editors.image.delete') }, '✕'));
    }));
    if (!objects.length) objectList.append(el('li', { class: 'subtle' }, t('editors.image.no_objects')));
    renderAttributes();
  }

  function renderAttributes() {
    const o = byUid(selected);
    if (!o) { attrForm.replaceChildren(el('p', { class: 'subtle' }, t('editors.image.select_object'))); return; }
    const cls = classOf(o);
    const rows = [];
    for (const a of cls.attributes || []) {
      const id = `attr-${uidSeq}-${o.uid}-${a.name}`.replace(/[^\w-]/g, '_');
      const value = o.attributes?.[a.name];
      let input;
      if (a.type === 'bool') {
        input = el('input', { type: 'checkbox', id, 'data-testid': `attr-${a.name}`, dataset: { attr: a.name, type: 'bool' }, disabled: readOnly });
        input.checked = value === true;
        rows.push(el('div', { class: 'field field-check' }, input, el('label', { for: id }, a.name)));
      } else if (a.type === 'enum') {
        input = el('select', { id, 'data-testid': `attr-${a.name}`, dataset: { attr: a.name, type: 'enum' }, disabled: readOnly },
          el('option', { value: '' }, '—'), (a.values || []).map((v) => el('option', { value: v }, v)));
        input.value = typeof value === 'string' ? value : '';
        rows.push(el('div', { class: 'field' }, el('label', { for: id }, a.name), input));
      } else {
        input = el('input', { type: 'text', id, 'data-testid': `attr-${a.name}`, dataset: { attr: a.name, type: 'text' }, maxlength: a.max_chars ? String(a.max_chars) : null, disabled: readOnly });
        input.value = typeof value === 'string' ? value : '';
        rows.push(el('div', { class: 'field' }, el('label', { for: id }, a.name), input));
      }
    }
    const extra = [];
    if (o.type === 'keypoints') {
      const names = skeletonOf(cls);
      const kp = selectedPoint !== null ? o.keypoints[selectedPoint] : null;
      extra.push(el('p', { class: 'subtle' }, selectedPoint !== null
        ? t('editors.image.point_state', { point: names[selectedPoint], state: t(VISIBILITY[kp[2]]) }) : t('editors.image.click_point')));
      if (!readOnly) {
        extra.push(el('button', {
          type: 'button', class: 'btn btn-secondary btn-small', 'data-testid': 'keypoint-visibility', 'aria-keyshortcuts': 'V',
          disabled: !kp || kp[2] === 0,
        }, `${t('editors.image.visible_occluded')} `, el('kbd', {}, 'V')));
      }
    }
    attrForm.replaceChildren(el('p', {}, el('strong', {}, `${objects.indexOf(o)} ${o.class}`), ` ${typeName(o.type)}`), ...rows, ...extra);
    if (!rows.length) attrForm.append(el('p', { class: 'subtle' }, t('editors.image.no_attributes')));
  }

  attrForm.addEventListener('click', (ev) => { if (ev.target.closest('[data-testid="keypoint-visibility"]')) toggleVisibility(); });
  const onAttr = (ev) => {
    const input = ev.target.closest('[data-attr]');
    const o = byUid(selected);
    if (!input || !o) return;
    o.attributes = o.attributes || {};
    const name = input.dataset.attr;
    if (input.dataset.type === 'bool') o.attributes[name] = input.checked;
    else if (input.value === '') delete o.attributes[name];
    else o.attributes[name] = input.value;
    history.commit();
  };
  attrForm.addEventListener('change', onAttr);
  attrForm.addEventListener('input', (ev) => { if (ev.target.dataset?.type === 'text') onAttr(ev); });

  function renderBars() {
    for (const b of classBar.querySelectorAll('[data-class]')) {
      const on = classIndex(b.dataset.class) === currentClass;
      b.setAttribute('aria-pressed', String(on));
      b.classList.toggle('selected', on);
    }
    const tools = readOnly ? [] : classes[currentClass]?.tools || [];
    toolBar.replaceChildren(...tools.map((tool) => el('button', {
      type: 'button', class: `btn btn-small ${tool === currentTool ? '' : 'btn-secondary'}`, dataset: { tool }, 'data-testid': `tool-${tool}`,
      'aria-pressed': String(tool === currentTool), 'aria-keyshortcuts': TOOL_KEYS[tool],
    }, typeName(tool), ' ', el('kbd', {}, TOOL_KEYS[tool]))));
  }

  function renderAll() {
    renderBars();
    renderSide();
    draw();
  }

  const offGuard = readOnly ? () => {} : guardUnsaved(() => history.dirty());
  renderAll();
  status.say(src ? t('editors.image.loading') : t('editors.image.none'), src ? 'info' : 'error');

  return {
    getAnswer() {
      return {
        objects: objects.map((o) => {
          const out = {};
          if (o.id !== undefined) out.id = o.id;
          out.class = o.class;
          out.type = o.type;
          if (o.type === 'bbox') {
            const x = round2(clamp(o.bbox[0], 0, W));
            const y = round2(clamp(o.bbox[1], 0, H));
            out.bbox = [x, y, round2(Math.min(o.bbox[2], W - x)), round2(Math.min(o.bbox[3], H - y))];
          } else if (o.type === 'polygon') {
            out.points = o.points.map(([x, y]) => [round2(clamp(x, 0, W)), round2(clamp(y, 0, H))]);
          } else {
            out.keypoints = o.keypoints.map(([x, y, v]) => (v > 0 ? [round2(clamp(x, 0, W)), round2(clamp(y, 0, H)), v] : [0, 0, 0]));
          }
          const attrs = {};
          const cls = classOf(o);
          for (const a of cls.attributes || []) if (o.attributes && o.attributes[a.name] !== undefined) attrs[a.name] = o.attributes[a.name];
          if (Object.keys(attrs).length) out.attributes = attrs;
          return out;
        }),
      };
    },
    validate() {
      if (imgState !== 'ready') return imgState === 'loading' ? t('editors.image.wait') : t('editors.image.failed_skip');
      if (drawing?.type === 'polygon') return t('editors.image.finish_polygon');
      const answer = this.getAnswer();
      for (let i = 0; i < answer.objects.length; i++) {
        const o = answer.objects[i];
        const name = t('editors.image.object_name', { n: i, class: o.class, type: typeName(o.type) });
        if (o.type === 'bbox' && !(o.bbox[2] > 0 && o.bbox[3] > 0)) return t('editors.image.no_size', { name });
        if (o.type === 'polygon') {
          if (o.points.length < 3) return t('editors.image.needs_3', { name });
          if (selfIntersects(o.points)) return t('editors.image.crosses', { name });
        }
        if (o.type === 'keypoints' && !o.keypoints.some((k) => k[2] > 0)) return t('editors.image.no_points', { name });
        const cls = classes[classIndex(o.class)];
        for (const a of cls?.attributes || []) {
          const v = o.attributes?.[a.name];
          if (a.type === 'text' && a.max_chars && typeof v === 'string' && cpLength(v) > a.max_chars) return t('editors.image.attr_too_long', { name, attribute: a.name, max: a.max_chars });
        }
      }
      return null;
    },
    isDirty: () => history.dirty(),
    destroy() {
      observer.disconnect();
      offKeys();
      offGuard();
      document.removeEventListener('keyup', keyUp);
      root.remove();
      img.removeAttribute('src');
    },
  };
}
