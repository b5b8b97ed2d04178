// A chart drawn on a <canvas>: the app's static figures (a Plotly figure's JSON, of the kinds the Python side lets
// through: app_components/chart.py) drawn without Plotly. Plotly builds an SVG element for every marker, line,
// tick and label and draws each new figure twice under Streamlit; a canvas is one element, drawn in a few
// milliseconds. Shipped as is (no build step, nothing fetched): served from the app's static files and loaded once
// by each chart's loader (app_components/chart.py), which calls its default export with the mount's arguments,
// again on the same element whenever `data` changes.
//
// What is drawn: scatter traces (lines with dashes, gaps and steps; markers of the app's symbols; error bars;
// fills), bars (grouped or overlaid, with error bars and outside text), histograms, heat maps and contours (lines
// or filled bands; a colour bar), images, shapes (lines, rectangles, paths), annotations, linear, log and
// category axes with Plotly's tick rules, axes tied to an aspect ratio, subplots by domain, a title, a legend, a
// hover label from the trace's hover template, and frames with the figure's own slider (and play and pause
// buttons), scrubbed in the browser. Anything else never reaches here: the Python side hands it to Plotly.

const FONT = 'Source Sans Pro, Helvetica, Arial, sans-serif';
const DEFAULT_MARGIN = { l: 80, r: 80, t: 100, b: 80 };

export default function (component) {
  const { parentElement, data } = component;
  const root = parentElement.querySelector('.gd-chart');
  // the figure's JSON as UTF-8 bytes (app_components/chart.py sends them as they are)
  const spec = decoded(JSON.parse(new TextDecoder().decode(data)));
  root.gdSpec = spec;
  setupFrames(root, spec);
  if (!root.gdHover) { setupHover(root); root.gdHover = true; }
  // the height is set as the data arrives (a write: it forces nothing), so that drawing it in an observer's
  // report does not resize what the observer watches (the browser reports that as a ResizeObserver loop)
  root.querySelector('canvas').style.height = Math.floor((spec.layout || {}).height || 450) + 'px';
  if (!root.gdObserver) {
    // A new chart is drawn once the browser has laid the page out, at the width its observer reports, and drawn
    // again whenever that width changes (the window, the sidebar). Reading the width at once (clientWidth) would
    // force the browser to lay out the whole page for every chart as it arrives: a page of a dozen charts and
    // forty formulas paid for a dozen layouts of itself. A chart that is not laid out (in a hidden view, say
    // app_common.switched's) gets no report until it is shown, and is drawn then: a page that sends views hidden
    // does not pay for drawing them as it loads.
    root.gdFresh = true;
    const observer = (root.gdObserver = new ResizeObserver((entries) => {
      const w = Math.floor(entries[entries.length - 1].contentRect.width);
      if (w && (root.gdFresh || w !== root.gdWidth)) { root.gdFresh = false; root.gdWidth = w; drawSafely(root); }
    }));
    observer.observe(root);
  } else if (!root.gdFresh) {
    drawSafely(root); // new data for a chart on the page: drawn at once, at the width its observer last reported
  } // else: its observer has not reported yet, and draws the newest data when it does
  return () => {
    // Streamlit calls this when the chart leaves the page; a later call on the same element sets things up again
    if (root.gdSpec !== spec) return; // a cleanup of an earlier call: the live one keeps its observer
    if (root.gdObserver) root.gdObserver.disconnect();
    root.gdObserver = null;
    if (root.gdTimer) { clearInterval(root.gdTimer); root.gdTimer = null; }
  };
}

function drawSafely(root) {
  // a figure the canvas fails on says so in its place (and in the console), rather than leaving a blank
  try {
    draw(root);
  } catch (err) {
    console.error('gd_chart: the chart could not be drawn', err);
    const canvas = root.querySelector('canvas');
    const g = canvas.getContext('2d');
    g.setTransform(window.devicePixelRatio || 1, 0, 0, window.devicePixelRatio || 1, 0, 0);
    g.clearRect(0, 0, canvas.width, canvas.height);
    text(g, 10, 20, 'This chart could not be drawn; reloading the page may help.', { size: 14, yanchor: 'top' });
    root.dataset.drawn = String((+root.dataset.drawn || 0) + 1);
  }
}

// ------------------------------------------------------------------ decoding

const DTYPES = { f4: Float32Array, f8: Float64Array, i1: Int8Array, u1: Uint8Array, i2: Int16Array,
  u2: Uint16Array, i4: Int32Array, u4: Uint32Array };

function arr(v) {
  // a plain list, a Plotly typed array ({dtype, bdata, shape}) or nothing
  if (v == null) return null;
  if (Array.isArray(v)) return v;
  if (typeof v === 'object' && v.bdata !== undefined) {
    const bin = atob(v.bdata);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    const flat = Array.from(new DTYPES[v.dtype](bytes.buffer));
    if (!v.shape) return flat;
    const [rows, cols] = String(v.shape).split(',').map(Number);
    if (!cols) return flat;
    const out = [];
    for (let r = 0; r < rows; r++) out.push(flat.slice(r * cols, (r + 1) * cols));
    return out;
  }
  return null;
}

function decoded(v, top = true) {
  // every typed array of the figure as a plain array, once (markers and hovers read them point by point); a
  // figure's frames are left as they come until one is shown (Home's run has 101)
  if (Array.isArray(v)) return v.map((x) => decoded(x, false));
  if (v && typeof v === 'object') {
    if (v.bdata !== undefined && v.dtype) return arr(v);
    for (const k of Object.keys(v)) if (!(top && k === 'frames')) v[k] = decoded(v[k], false);
  }
  return v;
}

function extent(values) {
  // [min, max] of the finite values (a loop: spreading a long array into Math.min overflows the stack)
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v === null || !Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

const num = (v) => (v === null || v === undefined || v === '' || Number.isNaN(+v) ? null : +v);

// ------------------------------------------------------------------ text (Plotly's few tags)

const ENTITIES = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'", '&nbsp;': '\u00a0' };
const unescape = (s) => s.replace(/&(amp|lt|gt|quot|#39|nbsp);/g, (m) => ENTITIES[m]);

function richLines(text) {
  // lines of runs {text, bold, italic, shift (-1 sub, 1 sup), color}
  const lines = [[]];
  const stack = [{ bold: false, italic: false, shift: 0, color: null }];
  const re = /<(\/?)(b|i|em|strong|sub|sup|span|br)\b([^>]*)>/gi;
  let last = 0;
  const push = (s) => {
    if (!s) return;
    const st = stack[stack.length - 1];
    lines[lines.length - 1].push({ text: unescape(s), ...st });
  };
  let m;
  const src = String(text ?? '');
  while ((m = re.exec(src))) {
    push(src.slice(last, m.index));
    last = re.lastIndex;
    const [, close, tag0, attrs] = m;
    const tag = tag0.toLowerCase();
    if (tag === 'br') { lines.push([]); continue; }
    if (close) { if (stack.length > 1) stack.pop(); continue; }
    const st = { ...stack[stack.length - 1] };
    if (tag === 'b' || tag === 'strong') st.bold = true;
    if (tag === 'i' || tag === 'em') st.italic = true;
    if (tag === 'sub') st.shift = -1;
    if (tag === 'sup') st.shift = 1;
    if (tag === 'span') {
      const c = /color\s*:\s*([^;'"]+)/i.exec(attrs);
      if (c) st.color = c[1].trim();
    }
    stack.push(st);
  }
  push(src.slice(last));
  return lines;
}

function fontOf(size, run) {
  const s = run && run.shift ? size * 0.7 : size;
  return `${run && run.italic ? 'italic ' : ''}${run && run.bold ? 'bold ' : ''}${s}px ${FONT}`;
}

function measureRich(g, lines, size) {
  let w = 0;
  for (const line of lines) {
    let lw = 0;
    for (const run of line) { g.font = fontOf(size, run); lw += g.measureText(run.text).width; }
    w = Math.max(w, lw);
  }
  return { w, h: lines.length * size * 1.3 };
}

// Draws text at (x, y): xanchor left/center/right, yanchor top/middle/bottom of the whole block.
function text(g, x, y, str, { size = 14, color = '#262730', xanchor = 'left', yanchor = 'middle', angle = 0 } = {}) {
  const lines = richLines(str);
  const { w, h } = measureRich(g, lines, size);
  g.save();
  g.translate(x, y);
  if (angle) g.rotate(angle);
  const lh = size * 1.3;
  let top = yanchor === 'top' ? 0 : yanchor === 'bottom' ? -h : -h / 2;
  g.textBaseline = 'middle';
  for (const line of lines) {
    let lw = 0;
    for (const run of line) { g.font = fontOf(size, run); lw += g.measureText(run.text).width; }
    let cx = xanchor === 'left' ? 0 : xanchor === 'right' ? -lw : -lw / 2;
    for (const run of line) {
      g.font = fontOf(size, run);
      g.fillStyle = run.color || color;
      g.fillText(run.text, cx, top + lh / 2 - run.shift * size * 0.35);
      cx += g.measureText(run.text).width;
    }
    top += lh;
  }
  g.restore();
  return { w, h };
}

// ------------------------------------------------------------------ numbers as Plotly writes them

const MINUS = '\u2212';

function d3format(v, fmt) {
  // the subset of d3-format the app's hover templates use: [,][.N](f|g|e|%|s) or empty
  if (typeof v !== 'number' || !Number.isFinite(v)) return String(v);
  const m = /^(,)?(?:\.(\d+))?([fgeps%])?$/.exec(fmt || '');
  if (!m) return String(v);
  const [, comma, p, type] = m;
  const prec = p === undefined ? null : +p;
  let s;
  if (type === 'f') s = v.toFixed(prec ?? 6);
  else if (type === '%') s = (v * 100).toFixed(prec ?? 6) + '%';
  else if (type === 'e') s = v.toExponential(prec ?? 6);
  else if (type === 'g' || type === 'p') {
    s = v.toPrecision(Math.max(1, prec ?? 6)); // as d3, trailing zeros kept
  } else if (type === 's') s = String(+v.toPrecision(prec ?? 6));
  else s = prec === null ? String(+v.toPrecision(12)) : String(+v.toPrecision(prec));
  if (comma) {
    const [i, f] = s.split('.');
    s = i.replace(/\B(?=(\d{3})+(?!\d))/g, ',') + (f !== undefined ? '.' + f : '');
  }
  return s.replace(/^-/, MINUS).replace(/e\+?(-?)(\d+)/, (_, sg, d) => `e${sg ? MINUS : '+'}${d}`);
}

function tickLabel(v, dtick) {
  if (Math.abs(v) < Math.abs(dtick) * 1e-9) v = 0;
  const a = Math.abs(v);
  if (a >= 1e4 && Math.abs(dtick) >= 1e3) {
    const [div, suf] = a >= 1e9 ? [1e9, 'G'] : a >= 1e6 ? [1e6, 'M'] : [1e3, 'k'];
    return (v < 0 ? MINUS : '') + String(+(a / div).toPrecision(6)) + suf;
  }
  const step = String(+Math.abs(dtick).toPrecision(10));
  const decimals = step.includes('e-') ? +step.split('e-')[1] + (step.split('e')[0].split('.')[1] || '').length
    : (step.split('.')[1] || '').length;
  let s = a.toFixed(Math.min(decimals, 12));
  if (s.includes('.')) s = s.replace(/\.?0+$/, '');
  return (v < 0 && +s !== 0 ? MINUS : '') + s;
}

function logLabel(k, ax) {
  // a decade 10^k
  if (ax.exponentformat === 'power') return k === 0 ? '1' : k === 1 ? '10' : `10<sup>${String(k).replace('-', MINUS)}</sup>`;
  const v = Math.pow(10, k);
  if (k >= 4) return tickLabel(v, v);
  return k < 0 ? v.toFixed(-k) : String(v);
}

// ------------------------------------------------------------------ axes

function axisName(ref, letter) {
  // 'x', 'x2' -> 'xaxis', 'xaxis2'
  const n = (ref || letter).slice(1);
  return letter + 'axis' + n;
}

function niceStep(rough) {
  const p = Math.pow(10, Math.floor(Math.log10(rough)));
  const m = rough / p;
  return (m <= 2 ? 2 : m <= 5 ? 5 : 10) * p; // plotly.js roundDTick with its roundBase10 [2, 5, 10]
}

function buildAxes(spec, W, H, margin) {
  const L = spec.layout || {};
  const plot = { x0: margin.l, x1: W - margin.r, y0: margin.t, y1: H - margin.b };
  const axes = {};
  const names = Object.keys(L).filter((k) => /^[xy]axis\d*$/.test(k));
  for (const t of spec.data) {
    names.push(axisName(t.xaxis, 'x'), axisName(t.yaxis, 'y'));
  }
  for (const name of new Set(names)) {
    const a = { ...(L[name] || {}) };
    a.name = name;
    a.letter = name[0];
    a.id = a.letter + name.slice(5);
    a.traces = spec.data.filter((t) => axisName(a.letter === 'x' ? t.xaxis : t.yaxis, a.letter) === name);
    if (!a.type || a.type === '-') {
      const sample = a.traces.map((t) => arr(t[a.letter]) || []).flat().find((v) => v !== null && v !== undefined);
      a.type = typeof sample === 'string' && Number.isNaN(+sample) ? 'category' : 'linear';
      if (typeof sample === 'string' && L.autotypenumbers === 'strict') a.type = 'category';
    }
    const dom = a.domain || [0, 1];
    if (a.letter === 'x') { a.p0 = plot.x0 + dom[0] * (plot.x1 - plot.x0); a.p1 = plot.x0 + dom[1] * (plot.x1 - plot.x0); }
    else { a.p0 = plot.y1 - dom[0] * (plot.y1 - plot.y0); a.p1 = plot.y1 - dom[1] * (plot.y1 - plot.y0); }
    axes[a.id] = a;
  }
  for (const a of Object.values(axes)) setRange(a, spec, L);
  // axes tied to a ratio: the one with more units per pixel keeps its range, the other gives up domain (constrain
  // 'domain') or widens its range ('range', Plotly's default)
  for (const a of Object.values(axes)) {
    if (!a.scaleanchor || !axes[a.scaleanchor]) continue;
    const b = axes[a.scaleanchor];
    const ratio = a.scaleratio ?? 1;
    const upp = (ax) => Math.abs(ax.r1 - ax.r0) / Math.abs(ax.p1 - ax.p0);
    // units per pixel of each, in b's units: the axis showing fewer units per pixel is the loose one
    const ua = upp(a) / ratio;
    const ub = upp(b);
    const loose = ua < ub ? a : b;
    const want = loose === a ? ub * ratio : ua / ratio; // the loose axis's units per pixel once tied
    const span = Math.abs(loose.r1 - loose.r0);
    const constrain = loose.constrain || a.constrain || b.constrain || 'range';
    if (constrain === 'domain') {
      const len = span / want;
      const mid = (loose.p0 + loose.p1) / 2;
      const sgn = Math.sign(loose.p1 - loose.p0);
      loose.p0 = mid - (sgn * len) / 2;
      loose.p1 = mid + (sgn * len) / 2;
    } else {
      const len = Math.abs(loose.p1 - loose.p0) * want;
      const mid = (loose.r0 + loose.r1) / 2;
      const sgn = Math.sign(loose.r1 - loose.r0);
      loose.r0 = mid - (sgn * len) / 2;
      loose.r1 = mid + (sgn * len) / 2;
    }
  }
  for (const a of Object.values(axes)) {
    a.toPx = (v) => {
      const u = a.type === 'log' ? (v > 0 ? Math.log10(v) : NaN) : a.type === 'category' ? a.index(v) : +v;
      return a.p0 + ((u - a.r0) / (a.r1 - a.r0)) * (a.p1 - a.p0);
    };
    a.fromPx = (p) => a.r0 + ((p - a.p0) / (a.p1 - a.p0)) * (a.r1 - a.r0);
  }
  return { axes, plot, margin };
}

function setRange(a, spec, L) {
  if (a.type === 'category') {
    const cats = [];
    for (const t of a.traces) for (const v of arr(t[a.letter]) || []) if (v !== null && v !== undefined && !cats.includes(String(v))) cats.push(String(v));
    a.cats = cats;
    a.index = (v) => {
      const k = cats.indexOf(String(v));
      return k < 0 ? NaN : k;
    };
  }
  if (Array.isArray(a.range) && a.range.length === 2 && a.range.every((v) => v !== null)) {
    [a.r0, a.r1] = a.range.map(Number);
    return;
  }
  if (a.type === 'category') {
    [a.r0, a.r1] = [-0.5, Math.max(a.cats.length, 1) - 0.5];
    if (a.letter === 'y') [a.r0, a.r1] = [a.r0, a.r1];
    return;
  }
  const lo = [];
  const hi = [];
  let pad = false;
  let toZero = false;
  for (const t of a.traces) {
    if (t.visible === false || t.visible === 'legendonly') continue;
    const type = t.type || 'scatter';
    let vals = [];
    if (type === 'image') {
      const d = a.letter === 'x' ? t.dx ?? 1 : t.dy ?? 1;
      const o = a.letter === 'x' ? t.x0 ?? 0 : t.y0 ?? 0;
      const n = a.letter === 'x' ? t._w : t._h;
      if (n) vals = [o - d / 2, o + (n - 0.5) * d];
    } else if (type === 'contour') {
      vals = arr(t[a.letter]) || [];
    } else if (type === 'heatmap') {
      const c = arr(t[a.letter]);
      if (c && c.length > 1) {
        const step0 = c[1] - c[0];
        const step1 = c[c.length - 1] - c[c.length - 2];
        vals = [c[0] - step0 / 2, c[c.length - 1] + step1 / 2];
      } else if (c) vals = c;
    } else {
      const raw = (arr(t[a.letter]) || []).map(num);
      if (type === 'bar' && a.letter === 'y') { toZero = true; }
      const e = a.letter === 'y' ? t.error_y : null;
      vals = raw.filter((v) => v !== null);
      if (e && e.visible !== false && e.array) {
        // each point's bar, read by the point's own index (a gap in the values keeps the others in place)
        const up = arr(e.array);
        const down = e.symmetric === false && e.arrayminus ? arr(e.arrayminus) : up;
        raw.forEach((v, i) => { if (v !== null) vals.push(v + (+up[i] || 0), v - (+down[i] || 0)); });
      }
      if (type === 'bar' && a.letter === 'x' && vals.length) {
        // bars reach half a bar either side of their positions, and Plotly pads them no further
        const sorted = [...vals].sort((p, q) => p - q);
        let gap = Infinity;
        for (let i = 1; i < sorted.length; i++) if (sorted[i] > sorted[i - 1]) gap = Math.min(gap, sorted[i] - sorted[i - 1]);
        const half = (t.width ?? (Number.isFinite(gap) ? gap : 1)) / 2;
        vals = vals.flatMap((v) => [v - half, v + half]);
      }
      const mode = t.mode || 'lines+markers';
      if ((type === 'bar' && a.letter === 'y') || (type !== 'bar' && (mode.includes('markers') || a.letter === 'y' || t.fill))) pad = true;
    }
    for (const v of vals) {
      const u = a.type === 'log' ? (v > 0 ? Math.log10(v) : null) : v;
      if (u !== null && Number.isFinite(u)) { lo.push(u); hi.push(u); }
    }
  }
  const shapes = [];
  for (const sh of L.shapes || []) {
    // Plotly's autorange takes in the shapes placed in the axis's units (unpadded)
    if ((sh[a.letter + 'ref'] || a.letter) !== a.id || sh.type === 'path') continue;
    for (const v of [sh[a.letter + '0'], sh[a.letter + '1']]) {
      const u = a.type === 'log' ? (v > 0 ? Math.log10(v) : null) : num(v);
      if (u !== null && Number.isFinite(u)) shapes.push(u);
    }
  }
  if (!lo.length && shapes.length) { lo.push(...shapes); hi.push(...shapes); shapes.length = 0; }
  let [r0, r1] = extent(lo);
  if (!lo.length) [r0, r1] = a.type === 'log' ? [0, 1] : [-1, 4];
  const zero = a.type !== 'log' && (a.rangemode === 'tozero' || a.rangemode === 'nonnegative');
  if (toZero || (zero && a.rangemode === 'tozero')) { r0 = Math.min(r0, 0); r1 = Math.max(r1, 0); }
  if (r0 === r1) { r0 -= 1; r1 += 1; }
  if (pad) {
    const p = (r1 - r0) * 0.05;
    if (!((toZero || zero) && r0 === 0)) r0 -= p;
    r1 += p;
  }
  if (zero) r0 = Math.max(r0, 0);
  if (shapes.length) { const [s0, s1] = extent(shapes); r0 = Math.min(r0, s0); r1 = Math.max(r1, s1); }
  if (a.autorange === 'reversed') [r0, r1] = [r1, r0];
  [a.r0, a.r1] = [r0, r1];
}

function ticksOf(a) {
  // [{v: position in axis units, label}]
  const len = Math.abs(a.p1 - a.p0);
  const lo = Math.min(a.r0, a.r1);
  const hi = Math.max(a.r0, a.r1);
  const out = [];
  if (a.tickvals) {
    const tv = arr(a.tickvals);
    const tt = arr(a.ticktext);
    tv.forEach((v, i) => {
      const u = a.type === 'log' ? Math.log10(v) : a.type === 'category' ? a.index(v) : +v;
      if (u >= lo - 1e-9 && u <= hi + 1e-9) out.push({ v: u, label: tt ? String(tt[i]) : tickLabel(+v, +v || 1) });
    });
    return out;
  }
  if (a.type === 'category') {
    a.cats.forEach((c, i) => { if (i >= lo && i <= hi) out.push({ v: i, label: c }); });
    return out;
  }
  const nt = a.nticks || Math.max(4, Math.min(9, len / (a.letter === 'x' ? 80 : 40))) + 1;
  if (a.type === 'log') {
    // plotly.js autoTicks on a log axis: whole decades if the rough step is over 0.7 of one; within a decade, a
    // linear step; else every decade with 2 and 5 between ('D2') or every digit ('D1'), labelled small
    const rough = (hi - lo) / nt;
    let dtick = a.dtick;
    if (dtick === undefined || dtick === null) {
      if (rough > 0.7) dtick = Math.ceil(rough);
      else if (hi - lo < 1) dtick = 'L';
      else dtick = rough > 0.3 ? 'D2' : 'D1';
    }
    if (dtick === 'L') {
      const vlo = Math.pow(10, lo);
      const vhi = Math.pow(10, hi);
      const d = niceStep((vhi - vlo) / (1.5 * Math.abs((hi - lo) / rough)));
      for (let v = Math.ceil(vlo / d) * d; v <= vhi * (1 + 1e-9); v += d) out.push({ v: Math.log10(v), label: tickLabel(v, d) });
      return out;
    }
    const step = typeof dtick === 'number' ? Math.max(1, Math.round(dtick)) : 1;
    for (let k = Math.ceil(lo - 1e-9); k <= hi + 1e-9; k += step) out.push({ v: k, label: logLabel(k, a) });
    if (dtick === 'D1' || dtick === 'D2') {
      for (let k = Math.floor(lo); k <= hi; k++) {
        for (const m of dtick === 'D1' ? [2, 3, 4, 5, 6, 7, 8, 9] : [2, 5]) {
          const u = k + Math.log10(m);
          if (u >= lo - 1e-9 && u <= hi + 1e-9) out.push({ v: u, label: String(m), minor: true });
        }
      }
    }
    return out;
  }
  let d = typeof a.dtick === 'number' ? a.dtick : niceStep((hi - lo) / nt);
  if ((hi - lo) / d > 50) d = niceStep((hi - lo) / nt);
  const t0 = a.tick0 ?? 0;
  for (let k = Math.ceil((lo - t0) / d - 1e-9); t0 + k * d <= hi + d * 1e-9; k++) {
    const v = t0 + k * d;
    out.push({ v, label: tickLabel(v, d) });
  }
  return out;
}

// ------------------------------------------------------------------ drawing

const DASHES = { solid: [], dot: [1, 1], dash: [3, 3], longdash: [5, 5], dashdot: [3, 1, 1, 1], longdashdot: [5, 2, 1, 2] };

function setDash(g, dash, width) {
  const d = Math.max(width, 3);
  if (!dash || dash === 'solid') { g.setLineDash([]); return; }
  if (DASHES[dash]) { g.setLineDash(DASHES[dash].map((k) => k * d)); return; }
  g.setLineDash(String(dash).split(/[ ,]+/).map((s) => parseFloat(s)).filter((v) => v > 0));
}

function symbolPath(g, sym, x, y, r) {
  const s = String(sym || 'circle').replace(/-open$/, '');
  g.beginPath();
  if (s === 'square') g.rect(x - r, y - r, 2 * r, 2 * r);
  else if (s === 'diamond') {
    const q = r * 1.3;
    g.moveTo(x, y - q); g.lineTo(x + q, y); g.lineTo(x, y + q); g.lineTo(x - q, y); g.closePath();
  } else if (s === 'star') {
    for (let k = 0; k < 10; k++) {
      const rr = k % 2 ? r * 0.5 : r * 1.3;
      const t = -Math.PI / 2 + (k * Math.PI) / 5;
      const px = x + rr * Math.cos(t);
      const py = y + rr * Math.sin(t);
      if (k) g.lineTo(px, py); else g.moveTo(px, py);
    }
    g.closePath();
  } else if (s === 'line-ew') { g.moveTo(x - r, y); g.lineTo(x + r, y); }
  else if (s === 'line-ns') { g.moveTo(x, y - r); g.lineTo(x, y + r); }
  else if (s === 'x') { g.moveTo(x - r, y - r); g.lineTo(x + r, y + r); g.moveTo(x + r, y - r); g.lineTo(x - r, y + r); }
  else g.arc(x, y, r, 0, 2 * Math.PI);
}

function drawMarker(g, m, k, x, y) {
  const size = pick(m.size, k, 6);
  const r = size / 2;
  const sym = String(pick(m.symbol, k, 'circle'));
  const open = sym.endsWith('-open') || sym.startsWith('line-') || sym === 'x';
  const fill = pick(m.color, k, '#444');
  const line = m.line || {};
  const lw = pick(line.width, k, 0);
  symbolPath(g, sym, x, y, r);
  if (!open) { g.fillStyle = fill; g.fill(); }
  if (lw > 0 || open) {
    g.lineWidth = open ? lw || (sym === 'x' ? Math.max(1.5, size / 5) : 1) : lw;
    g.strokeStyle = open ? fill : pick(line.color, k, '#444'); // Plotly strokes an open symbol in the marker's colour
    g.setLineDash([]);
    g.stroke();
  }
}

function pick(v, k, fallback) {
  // a per-point value (an array) or one for every point
  if (v === undefined || v === null) return fallback;
  if (Array.isArray(v)) return v[k] ?? fallback;
  return v;
}

function errorBars(g, t, xs, ys, X, Y) {
  const e = t.error_y;
  if (!e || e.visible === false || !e.array) return;
  const up = arr(e.array);
  const down = e.symmetric === false && e.arrayminus ? arr(e.arrayminus) : up;
  g.save();
  g.strokeStyle = e.color || (t.line && t.line.color) || pick((t.marker || {}).color, 0, t._c); // Plotly: the trace's
  g.lineWidth = e.thickness ?? 2;
  g.setLineDash([]);
  const w = e.width ?? 4;
  // an end at or below zero on a log axis runs to the axis's edge (no cap), as Plotly draws it
  const edge = Y.type === 'log' ? Math.max(Y.p0, Y.p1) : null;
  for (let i = 0; i < xs.length; i++) {
    const x = X(i);
    if (x === null || ys[i] === null || up[i] === null || up[i] === undefined) continue;
    const yt = Y.toPx(ys[i] + +up[i]);
    const low = ys[i] - +(down[i] ?? up[i]);
    const open = Y.type === 'log' && !(low > 0);
    const yb = open ? edge : Y.toPx(low);
    if (!Number.isFinite(yt) || !Number.isFinite(yb)) continue;
    g.beginPath();
    g.moveTo(x, yt); g.lineTo(x, yb);
    if (w) { g.moveTo(x - w, yt); g.lineTo(x + w, yt); if (!open) { g.moveTo(x - w, yb); g.lineTo(x + w, yb); } }
    g.stroke();
  }
  g.restore();
}

function drawScatter(g, t, ax, ay, hits) {
  const xs = (arr(t.x) || []).map((v) => (ax.type === 'category' ? v : num(v)));
  const ys = (arr(t.y) || []).map((v) => (ay.type === 'category' ? v : num(v)));
  const n = Math.min(xs.length, ys.length);
  const mode = t.mode || (n < 20 ? 'lines+markers' : 'lines');
  const px = xs.map((v) => (v === null ? null : ax.toPx(v)));
  const py = ys.map((v) => (v === null ? null : ay.toPx(v)));
  const ok = (i) => px[i] !== null && py[i] !== null && Number.isFinite(px[i]) && Number.isFinite(py[i]);
  g.save();
  g.globalAlpha = t.opacity ?? 1;
  const line = { ...(t.line || {}), color: (t.line || {}).color || t._c };
  if (t.fill === 'toself' || t.fill === 'tozeroy') {
    g.beginPath();
    let started = false;
    for (let i = 0; i < n; i++) {
      if (!ok(i)) continue;
      if (!started) { if (t.fill === 'tozeroy') { g.moveTo(px[i], ay.toPx(0)); g.lineTo(px[i], py[i]); } else g.moveTo(px[i], py[i]); started = true; }
      else g.lineTo(px[i], py[i]);
    }
    if (t.fill === 'tozeroy') { for (let i = n - 1; i >= 0; i--) if (ok(i)) { g.lineTo(px[i], ay.toPx(0)); break; } }
    g.closePath();
    g.fillStyle = t.fillcolor || line.color || '#444';
    g.fill();
  }
  if (mode.includes('lines') && (line.width ?? 2) > 0) {
    g.strokeStyle = line.color || '#444';
    g.lineWidth = line.width ?? 2;
    g.lineJoin = 'round';
    setDash(g, line.dash, g.lineWidth);
    g.beginPath();
    let pen = false;
    for (let i = 0; i < n; i++) {
      if (!ok(i)) { pen = false; continue; }
      if (!pen) { g.moveTo(px[i], py[i]); pen = true; continue; }
      if (line.shape === 'hvh') {
        const mid = (px[i - 1] + px[i]) / 2;
        g.lineTo(mid, py[i - 1]); g.lineTo(mid, py[i]);
      } else if (line.shape === 'hv') g.lineTo(px[i], py[i - 1]);
      else if (line.shape === 'vh') g.lineTo(px[i - 1], py[i]);
      g.lineTo(px[i], py[i]);
    }
    g.stroke();
    g.setLineDash([]);
  }
  errorBars(g, t, xs, ys, (i) => (ok(i) ? px[i] : null), ay);
  const m = { ...(t.marker || {}) };
  if (m.color === undefined) m.color = line.color; // Plotly: a marker takes its line's colour
  if (mode.includes('markers')) {
    g.globalAlpha = (t.opacity ?? 1) * (m.opacity ?? 1);
    for (let i = 0; i < n; i++) if (ok(i)) drawMarker(g, m, i, px[i], py[i]);
  }
  if (mode.includes('text') && t.text) {
    const tx = arr(t.text) || t.text; // a list, or one text for every point
    for (let i = 0; i < n; i++) if (ok(i)) text(g, px[i], py[i] - 8, pick(tx, i, ''), { size: 12, xanchor: 'center', yanchor: 'bottom' });
  }
  g.restore();
  if (t.hoverinfo !== 'skip' && t.hoverinfo !== 'none') {
    for (let i = 0; i < n; i++) if (ok(i)) hits.push({ x: px[i], y: py[i], t, i, xv: xs[i], yv: ys[i] });
  }
}

function drawBars(g, traces, axes, L, hits) {
  // bars share slots per category (grouped) or sit over each other (overlay)
  const groups = {};
  for (const t of traces) {
    const key = (t.xaxis || 'x') + (t.yaxis || 'y');
    (groups[key] = groups[key] || []).push(t);
  }
  for (const list of Object.values(groups)) {
    const ax = axes[list[0].xaxis || 'x'];
    const ay = axes[list[0].yaxis || 'y'];
    // the smallest gap between positions is a slot
    const pos = new Set();
    for (const t of list) for (const v of arr(t.x) || []) pos.add(ax.type === 'category' ? ax.index(v) : +v);
    const sorted = [...pos].filter(Number.isFinite).sort((p, q) => p - q);
    let slot = 1;
    for (let i = 1; i < sorted.length; i++) slot = Math.min(slot === 1 && i === 1 ? Infinity : slot, sorted[i] - sorted[i - 1]);
    if (!Number.isFinite(slot) || slot <= 0) slot = 1;
    const gap = L.bargap ?? 0.2;
    const grouped = (L.barmode || 'group') === 'group';
    const visible = list.filter((t) => t.visible !== false);
    visible.forEach((t, j) => {
      const xs = arr(t.x) || [];
      const ys = (arr(t.y) || []).map(num);
      const width = t.width ?? (slot * (1 - gap)) / (grouped ? visible.length : 1);
      const shift = grouped && t.width === undefined ? (j - (visible.length - 1) / 2) * width : 0;
      const m = { color: t._c, ...(t.marker || {}) };
      const centres = [];
      g.save();
      g.globalAlpha = (t.opacity ?? 1) * (m.opacity ?? 1);
      for (let i = 0; i < xs.length; i++) {
        const c = (ax.type === 'category' ? ax.index(xs[i]) : +xs[i]) + shift;
        if (!Number.isFinite(c) || ys[i] === null) { centres.push(null); continue; }
        const toU = (u) => ax.p0 + ((u - ax.r0) / (ax.r1 - ax.r0)) * (ax.p1 - ax.p0);
        const xa = toU(c - width / 2);
        const xb = toU(c + width / 2);
        const y0 = ay.toPx(ay.type === 'log' ? Math.pow(10, Math.min(ay.r0, ay.r1)) : 0);
        const y1 = ay.toPx(ys[i]);
        centres.push((xa + xb) / 2);
        const fill = pick(m.color, i, '#444');
        g.fillStyle = fill;
        const [l, r] = [Math.round(Math.min(xa, xb)), Math.round(Math.max(xa, xb))];
        g.fillRect(l, Math.min(y0, y1), Math.max(1, r - l), Math.abs(y1 - y0));
        const lw = pick((m.line || {}).width, i, 0);
        if (lw > 0) {
          g.strokeStyle = pick((m.line || {}).color, i, '#444');
          g.lineWidth = lw;
          g.strokeRect(Math.min(xa, xb), Math.min(y0, y1), Math.abs(xb - xa), Math.abs(y1 - y0));
        }
        if (t.hoverinfo !== 'skip') hits.push({ x: (xa + xb) / 2, y: y1, t, i, xv: xs[i], yv: ys[i], bar: [xa, xb, y0, y1] });
      }
      g.globalAlpha = t.opacity ?? 1;
      errorBars(g, t, xs, ys, (i) => centres[i], ay);
      if (t.text && t.textposition === 'outside') {
        const tx = arr(t.text) || t.text;
        const up = t.error_y && t.error_y.array ? arr(t.error_y.array) : null;
        for (let i = 0; i < xs.length; i++) {
          if (centres[i] === null) continue;
          const neg = ys[i] < 0;
          const end = ys[i] + (up ? (neg ? -1 : 1) * (+up[i] || 0) : 0);
          text(g, centres[i], ay.toPx(end) + (neg ? 3 : -3), pick(tx, i, ''), { size: (t.textfont || {}).size || 12, xanchor: 'center', yanchor: neg ? 'top' : 'bottom', color: '#262730' });
        }
      }
      g.restore();
    });
  }
}

const COLOURS = new Map(); // parsed once each: a heat map asks for its scale's colours at every cell

function parseColor(c) {
  // '#rrggbb', 'rgb(r,g,b)', 'rgba(r,g,b,a)' -> [r,g,b,a 0-255] (frozen: the same array is handed out again)
  if (Array.isArray(c)) return c;
  let out = COLOURS.get(c);
  if (!out) {
    out = Object.freeze(readColor(String(c).trim()));
    if (COLOURS.size < 10000) COLOURS.set(c, out);
  }
  return out;
}

function readColor(s) {
  if (s[0] === '#') {
    const h = s.length === 4 ? s.slice(1).split('').map((ch) => ch + ch).join('') : s.slice(1);
    return [parseInt(h.slice(0, 2), 16), parseInt(h.slice(2, 4), 16), parseInt(h.slice(4, 6), 16), 255];
  }
  const m = /rgba?\(([^)]+)\)/.exec(s);
  if (m) {
    const p = m[1].split(',').map((v) => parseFloat(v));
    return [p[0], p[1], p[2], p.length > 3 ? Math.round(p[3] * 255) : 255];
  }
  return [0, 0, 0, 255];
}

function scaleColor(scale, f) {
  f = Math.min(1, Math.max(0, f));
  for (let k = 1; k < scale.length; k++) {
    const [t1, c1] = scale[k];
    const [t0, c0] = scale[k - 1];
    if (f <= t1 || k === scale.length - 1) {
      const u = t1 > t0 ? (f - t0) / (t1 - t0) : 0;
      const a = parseColor(c0);
      const b = parseColor(c1);
      return a.map((v, i) => v + (b[i] - v) * Math.min(1, Math.max(0, u)));
    }
  }
  return parseColor(scale[0][1]);
}

function heatScale(t) {
  let scale = t.colorscale;
  if (!Array.isArray(scale)) scale = [[0, '#ffffff'], [1, '#000000']];
  if (t.reversescale) scale = scale.map(([p, c]) => [1 - p, c]).reverse();
  return scale;
}

function heatLimits(t, z) {
  let lo = t.zmin;
  let hi = t.zmax;
  if (lo === undefined || hi === undefined) {
    const [a, b] = extent(z.flat().map(num));
    if (lo === undefined) lo = a;
    if (hi === undefined) hi = b;
  }
  return [lo, hi === lo ? lo + 1 : hi];
}

function gridHits(t, z, xs, ys, ax, ay, hits) {
  // a heat map's or contour's cells to hover, on a grid of at most 60 x 60 of their centres
  if (t.hoverinfo === 'skip' || t.hoverinfo === 'none') return;
  const stepX = Math.max(1, Math.floor(xs.length / 60));
  const stepY = Math.max(1, Math.floor(ys.length / 60));
  for (let r = 0; r < z.length; r += stepY) {
    for (let c = 0; c < z[r].length; c += stepX) hits.push({ x: ax.toPx(xs[c]), y: ay.toPx(ys[r]), t, i: [r, c], xv: xs[c], yv: ys[r], zv: z[r][c] });
  }
}

function drawHeatmap(g, t, ax, ay, hits) {
  const z = arr(t.z);
  if (!z || !z.length || !Array.isArray(z[0]) || !z[0].length) return; // nothing to draw
  const ny = z.length;
  const nx = z[0].length;
  const xs = arr(t.x) || [...Array(nx).keys()];
  const ys = arr(t.y) || [...Array(ny).keys()];
  const scale = heatScale(t);
  const [lo, hi] = heatLimits(t, z);
  const off = document.createElement('canvas');
  off.width = nx;
  off.height = ny;
  const og = off.getContext('2d');
  const img = og.createImageData(nx, ny);
  for (let r = 0; r < ny; r++) {
    for (let c = 0; c < nx; c++) {
      const v = num(z[r][c]);
      const o = (r * nx + c) * 4;
      if (v === null) { img.data[o + 3] = 0; continue; }
      const col = scaleColor(scale, (v - lo) / (hi - lo));
      img.data[o] = col[0]; img.data[o + 1] = col[1]; img.data[o + 2] = col[2]; img.data[o + 3] = col[3];
    }
  }
  og.putImageData(img, 0, 0);
  // image pixel (c, r) is cell (c, r): its centre goes to (xs[c], ys[r]), whichever way the axes run
  const half = (c, k) => (c.length > 1 ? (c[Math.min(k + 1, c.length - 1)] - c[Math.max(k - 1, 0)]) / (Math.min(k + 1, c.length - 1) - Math.max(k - 1, 0)) / 2 : 0.5);
  let X0, Y0, sx, sy;
  const best = t.zsmooth === 'best' && nx > 1 && ny > 1;
  g.save();
  g.globalAlpha = t.opacity ?? 1;
  if (best) {
    // Plotly's 'best' interpolates between cell centres and draws from the first centre to the last
    sx = (ax.toPx(xs[nx - 1]) - ax.toPx(xs[0])) / (nx - 1);
    sy = (ay.toPx(ys[ny - 1]) - ay.toPx(ys[0])) / (ny - 1);
    X0 = ax.toPx(xs[0]) - sx / 2;
    Y0 = ay.toPx(ys[0]) - sy / 2;
    const xa = ax.toPx(xs[0]); const xb = ax.toPx(xs[nx - 1]); const ya = ay.toPx(ys[0]); const yb = ay.toPx(ys[ny - 1]);
    g.beginPath();
    g.rect(Math.min(xa, xb), Math.min(ya, yb), Math.abs(xb - xa), Math.abs(yb - ya));
    g.clip();
  } else {
    const xa = ax.toPx(xs[0] - half(xs, 0));
    const xb = ax.toPx(xs[nx - 1] + half(xs, nx - 1));
    const ya = ay.toPx(ys[0] - half(ys, 0));
    const yb = ay.toPx(ys[ny - 1] + half(ys, ny - 1));
    sx = (xb - xa) / nx; sy = (yb - ya) / ny; X0 = xa; Y0 = ya;
  }
  g.imageSmoothingEnabled = best;
  g.setTransform(g.getTransform().multiply(new DOMMatrix([sx, 0, 0, sy, X0, Y0])));
  g.drawImage(off, 0, 0);
  g.restore();
  gridHits(t, z, xs, ys, ax, ay, hits);
}

function colorbarBox(t, plot) {
  // where Plotly puts a colour bar: x in the plot's fractions (its left edge 10 pixels on), its length a share of
  // the plot's height, centred on y; and how far right its labels and side title reach
  const cb = t.colorbar || {};
  const len = (cb.len ?? 1) * (plot.y1 - plot.y0);
  const thick = cb.thickness ?? 30;
  const x = plot.x0 + (cb.x ?? 1.02) * (plot.x1 - plot.x0) + 10;
  const side = cb.title && cb.title.side === 'right';
  return { cb, len, thick, x, side, reach: x + thick + 4 + 30 + (side ? 22 : 0) };
}

function drawColorbar(g, t, plot) {
  const { cb, len, thick, x, side } = colorbarBox(t, plot);
  const z = arr(t.z);
  const [lo, hi] = heatLimits(t, z);
  const scale = heatScale(t);
  const yc = plot.y1 - (cb.y ?? 0.5) * (plot.y1 - plot.y0);
  const top = yc - len / 2;
  const grad = g.createLinearGradient(0, top + len, 0, top);
  for (const [p, c] of scale) { const rgba = parseColor(c); grad.addColorStop(p, `rgba(${rgba[0]},${rgba[1]},${rgba[2]},${rgba[3] / 255})`); }
  g.fillStyle = grad;
  g.fillRect(x, top, thick, len);
  const a = { r0: lo, r1: hi, p0: top + len, p1: top, letter: 'y', type: 'linear' };
  for (const tk of ticksOf({ ...a, nticks: Math.max(3, Math.round(len / 50)) })) {
    const py = top + len - ((tk.v - lo) / (hi - lo)) * len;
    text(g, x + thick + 4, py, tk.label, { size: 12, color: '#262730' });
  }
  const title = cb.title && (cb.title.text ?? cb.title);
  if (title && typeof title === 'string') {
    if (side) text(g, x + thick + 36, yc, title, { size: 14, xanchor: 'center', yanchor: 'middle', angle: -Math.PI / 2 });
    else text(g, x, top - 6, title, { size: 12, yanchor: 'bottom' });
  }
}

function refPx(ref, v, axes, plot, letter) {
  // a position given in data units, in the plot's fraction ('paper') or in an axis's domain fraction
  const r = ref || letter;
  if (r === 'paper') return letter === 'x' ? plot.x0 + v * (plot.x1 - plot.x0) : plot.y1 - v * (plot.y1 - plot.y0);
  const m = /^([xy]\d*)( domain)?$/.exec(r);
  const a = m && axes[m[1]];
  if (!a) return NaN;
  if (m[2]) return a.p0 + v * (a.p1 - a.p0);
  return a.toPx(v);
}

function drawShape(g, s, axes, plot) {
  g.save();
  g.globalAlpha = s.opacity ?? 1;
  const line = s.line || {};
  const X = (v) => refPx(s.xref, v, axes, plot, 'x');
  const Y = (v) => refPx(s.yref, v, axes, plot, 'y');
  // Plotly clips a shape placed in an axis's units to that axis's extent
  const inUnits = (ref, letter) => /^[xy]\d*$/.test(ref || letter) && axes[ref || letter];
  const cx = inUnits(s.xref, 'x');
  const cy = inUnits(s.yref, 'y');
  if (cx || cy) {
    g.beginPath();
    const [x0, x1] = cx ? [cx.p0, cx.p1] : [0, 1e5];
    const [y0, y1] = cy ? [cy.p0, cy.p1] : [0, 1e5];
    g.rect(Math.min(x0, x1), Math.min(y0, y1), Math.abs(x1 - x0), Math.abs(y1 - y0));
    g.clip();
  }
  g.beginPath();
  if (s.type === 'path') {
    const tokens = String(s.path).match(/[MLZ]|-?[\d.]+(?:e[-+]?\d+)?/gi) || [];
    let cmd = 'M';
    for (let i = 0; i < tokens.length;) {
      const tok = tokens[i];
      if (/^[MLZ]$/i.test(tok)) { cmd = tok.toUpperCase(); i++; if (cmd === 'Z') g.closePath(); continue; }
      const x = X(+tokens[i]);
      const y = Y(+tokens[i + 1]);
      i += 2;
      if (cmd === 'M') { g.moveTo(x, y); cmd = 'L'; } else g.lineTo(x, y);
    }
  } else if (s.type === 'rect') {
    const xa = X(s.x0); const xb = X(s.x1); const ya = Y(s.y0); const yb = Y(s.y1);
    g.rect(Math.min(xa, xb), Math.min(ya, yb), Math.abs(xb - xa), Math.abs(yb - ya));
  } else {
    g.moveTo(X(s.x0), Y(s.y0)); g.lineTo(X(s.x1), Y(s.y1));
  }
  if (s.fillcolor && s.type !== 'line') { g.fillStyle = s.fillcolor; g.fill(); }
  const lw = line.width ?? 2;
  if (lw > 0 && line.color !== 'rgba(0,0,0,0)') {
    g.strokeStyle = line.color || '#444';
    g.lineWidth = lw;
    g.lineJoin = 'round';
    setDash(g, line.dash, lw);
    g.stroke();
  }
  g.restore();
}

function drawAnnotation(g, a, axes, plot, L, W) {
  const x = refPx(a.xref, a.x, axes, plot, 'x');
  const y = refPx(a.yref, a.y, axes, plot, 'y');
  const auto = (v) => (v < 1 / 3 ? 'left' : v > 2 / 3 ? 'right' : 'center');
  const paper = (r) => r === 'paper' || /domain$/.test(r || '');
  const xanchor = a.xanchor && a.xanchor !== 'auto' ? a.xanchor : paper(a.xref) ? auto(a.x) : 'center';
  const yanchor = a.yanchor && a.yanchor !== 'auto' ? a.yanchor : paper(a.yref) ? ({ left: 'bottom', right: 'top', center: 'middle' })[auto(a.y)] : 'middle';
  const font = a.font || {};
  let size = font.size || (L.font || {}).size || 12;
  const lines = richLines(a.text);
  const left = (width) => (xanchor === 'left' ? x : xanchor === 'right' ? x - width : x - width / 2);
  // a note running past the figure's edge is set smaller until it fits (Plotly would cut it)
  while (size > 9 && (left(measureRich(g, lines, size).w) < 0 || left(measureRich(g, lines, size).w) + measureRich(g, lines, size).w > W)) size -= 1;
  const { w, h } = measureRich(g, lines, size);
  const bx = left(w);
  const by = yanchor === 'top' ? y : yanchor === 'bottom' ? y - h : y - h / 2;
  if (a.bgcolor) { g.fillStyle = a.bgcolor; g.fillRect(bx - 2, by - 1, w + 4, h + 2); }
  const tx = (a.align || 'center') === 'left' ? bx : a.align === 'right' ? bx + w : bx + w / 2;
  text(g, tx, by, a.text, { size, color: font.color || (L.font || {}).color, xanchor: a.align || 'center', yanchor: 'top' });
}

function anchorOf(a, axes) {
  // the axis of the other letter this one is drawn along (Plotly's default: the first one, 'x' or 'y')
  return axes[a.anchor] || axes[a.letter === 'x' ? 'y' : 'x'];
}

function spaced(ticks, a, g, size) {
  // leave out labels that would overprint their neighbours: minor ones (2, 5) first, then every other one
  const extent = (t) => {
    if (a.letter !== 'x') return size * 1.2;
    g.font = fontOf(t.minor ? size * 0.75 : size);
    return g.measureText(t.label).width + 6;
  };
  const at = (t) => a.p0 + ((t.v - a.r0) / (a.r1 - a.r0)) * (a.p1 - a.p0);
  const fits = (list) => {
    const sorted = [...list].sort((p, q) => at(p) - at(q));
    for (let i = 1; i < sorted.length; i++) {
      if (Math.abs(at(sorted[i]) - at(sorted[i - 1])) < (extent(sorted[i]) + extent(sorted[i - 1])) / 2) return false;
    }
    return true;
  };
  let list = ticks;
  if (!fits(list)) list = list.filter((t) => !t.minor);
  for (let step = 2; !fits(list) && step < 64; step *= 2) list = ticks.filter((t, i) => !t.minor && i % step === 0);
  return list;
}

function drawGridAndTicks(g, a, other, L, plot, axes) {
  if (a.visible === false) return;
  const ticks = ticksOf(a);
  const font = { ...(L.font || {}), ...(a.tickfont || {}) };
  const size = font.size || 12;
  const col = font.color || '#262730';
  const perp = other ? [other.p0, other.p1] : a.letter === 'x' ? [plot.y1, plot.y0] : [plot.x0, plot.x1];
  g.save();
  g.lineWidth = 1;
  g.setLineDash([]);
  const pos = (u) => a.p0 + ((u - a.r0) / (a.r1 - a.r0)) * (a.p1 - a.p0);
  if (a.showgrid !== false && a.type !== 'category') {
    g.strokeStyle = a.gridcolor || '#EBF0F8';
    g.lineWidth = a.gridwidth ?? 1;
    g.beginPath();
    for (const t of ticks) {
      const p = Math.round(pos(t.v)) + 0.5;
      if (a.letter === 'x') { g.moveTo(p, perp[0]); g.lineTo(p, perp[1]); } else { g.moveTo(perp[0], p); g.lineTo(perp[1], p); }
    }
    g.stroke();
  }
  if (a.zeroline !== false && a.type === 'linear' && Math.min(a.r0, a.r1) < 0 && Math.max(a.r0, a.r1) > 0) {
    g.strokeStyle = a.zerolinecolor || '#EBF0F8';
    g.lineWidth = a.zerolinewidth ?? 2;
    g.beginPath();
    const p = pos(0);
    if (a.letter === 'x') { g.moveTo(p, perp[0]); g.lineTo(p, perp[1]); } else { g.moveTo(perp[0], p); g.lineTo(perp[1], p); }
    g.stroke();
  }
  g.restore();
  if (a.showticklabels === false) return;
  const anchor = anchorOf(a, axes) || other;
  const side = anchor ? [anchor.p0, anchor.p1] : perp;
  const at = a.letter === 'x' ? Math.max(side[0], side[1]) : Math.min(side[0], side[1]);
  a._labelExtent = 0;
  for (const t of spaced(ticks, a, g, size)) {
    const p = pos(t.v);
    const s = t.minor ? size * 0.75 : size;
    if (a.letter === 'x') {
      const r = text(g, p, at + 6, t.label, { size: s, color: col, xanchor: 'center', yanchor: 'top' });
      a._labelExtent = Math.max(a._labelExtent, r.h);
    } else {
      const r = text(g, at - 6, p, t.label, { size: s, color: col, xanchor: 'right', yanchor: 'middle' });
      a._labelExtent = Math.max(a._labelExtent, r.w);
    }
  }
}

function axisTitle(g, a, other, L, plot, axes, W) {
  const title = a.title && (typeof a.title === 'string' ? a.title : a.title.text);
  if (!title || a.visible === false) return;
  const font = { ...(L.font || {}), size: Math.round(1.2 * ((L.font || {}).size || 12)), ...((a.title && a.title.font) || {}) };
  let size = font.size;
  const standoff = (a.title && a.title.standoff) ?? 15;
  const anchor = anchorOf(a, axes) || other;
  const perp = anchor ? [anchor.p0, anchor.p1] : a.letter === 'x' ? [plot.y1, plot.y0] : [plot.x0, plot.x1];
  if (a.letter === 'x') {
    const y = Math.max(perp[0], perp[1]) + 6 + (a._labelExtent || size) + standoff - 6;
    // a title wider than the figure is set smaller until it fits (Plotly would cut it at the edge)
    const mid = (a.p0 + a.p1) / 2;
    const room = 2 * Math.min(mid, W - mid) - 4;
    while (size > 9 && measureRich(g, richLines(title), size).w > room) size -= 1;
    text(g, mid, y, title, { size, color: font.color, xanchor: 'center', yanchor: 'top' });
  } else {
    const x = Math.min(perp[0], perp[1]) - 6 - (a._labelExtent || size) - standoff + 4;
    text(g, x, (a.p0 + a.p1) / 2, title, { size, color: font.color, xanchor: 'center', yanchor: 'bottom', angle: -Math.PI / 2 });
  }
}

function legendItems(spec) {
  const L = spec.layout || {};
  if (L.showlegend === false) return [];
  const items = [];
  const showByDefault = spec.data.filter((t) => t.type !== 'image').length > 1 || L.showlegend === true;
  spec.data.forEach((t, k) => {
    const shown = t.showlegend === undefined ? showByDefault && !['heatmap', 'contour'].includes(t.type) : t.showlegend;
    if (!shown || t.visible === false || t.type === 'image') return; // Plotly gives images no legend entry
    if (Array.isArray(t.x) && !t.x.length && Array.isArray(t.y) && !t.y.length) return; // nor a trace of no points
    items.push({ t, rank: t.legendrank ?? 1000, k });
  });
  items.sort((p, q) => p.rank - q.rank || p.k - q.k);
  return items.map((it) => it.t);
}

function drawLegendSymbol(g, t, x, y, itemsizing) {
  const type = t.type || 'scatter';
  g.save();
  g.globalAlpha = Math.min(1, (t.opacity ?? 1) < 0.3 ? 0.6 : t.opacity ?? 1);
  if (type === 'bar' || type === 'histogram') {
    const m = t.marker || {};
    g.fillStyle = pick(m.color, 0, t._c);
    g.fillRect(x + 6, y - 7, 28, 14);
    const lw = pick((m.line || {}).width, 0, 0);
    if (lw > 0) { g.strokeStyle = pick((m.line || {}).color, 0, '#444'); g.lineWidth = Math.min(lw, 3); g.strokeRect(x + 6, y - 7, 28, 14); }
  } else if (type === 'contour' && ((t.contours || {}).coloring === 'none')) {
    g.strokeStyle = (t.line || {}).color || t._c;
    g.lineWidth = Math.min((t.line || {}).width ?? 2, 4);
    setDash(g, (t.line || {}).dash, g.lineWidth);
    g.beginPath(); g.moveTo(x + 5, y); g.lineTo(x + 35, y); g.stroke();
    g.setLineDash([]);
  } else if (type === 'heatmap' || type === 'contour') {
    const scale = heatScale(t);
    const grad = g.createLinearGradient(x + 6, 0, x + 34, 0);
    for (const [p, c] of scale) { const v = parseColor(c); grad.addColorStop(p, `rgba(${v[0]},${v[1]},${v[2]},${v[3] / 255})`); }
    g.fillStyle = grad;
    g.fillRect(x + 6, y - 7, 28, 14);
  } else {
    const mode = t.mode || 'lines';
    const line = { ...(t.line || {}), color: (t.line || {}).color || t._c };
    if (t.fill === 'toself' || t.fill === 'tozeroy') { g.fillStyle = t.fillcolor || line.color || '#444'; g.fillRect(x + 6, y - 7, 28, 14); }
    if (mode.includes('lines') && (line.width ?? 2) > 0) {
      g.strokeStyle = line.color || '#444';
      g.lineWidth = Math.min(line.width ?? 2, 5);
      setDash(g, line.dash, g.lineWidth);
      g.beginPath(); g.moveTo(x + 5, y); g.lineTo(x + 35, y); g.stroke();
      g.setLineDash([]);
    }
    if (mode.includes('markers')) {
      const m = { ...(t.marker || {}) };
      if (m.color === undefined) m.color = line.color;
      const c = pick(m.color, 0, '#444');
      g.globalAlpha = (m.opacity ?? 1) * Math.max(t.opacity ?? 1, 0.6);
      const legendMarker = { ...m, color: c, size: Math.min(pick(m.size, 0, 6), 16), symbol: pick(m.symbol, 0, 'circle') };
      if ((legendMarker.symbol || '').startsWith('line-')) legendMarker.size = 20;
      if (itemsizing === 'constant' && !String(legendMarker.symbol).startsWith('line-')) legendMarker.size = 12;
      drawMarker(g, legendMarker, 0, x + 20, y);
    }
  }
  g.restore();
}

function belowAxes(axes, L, plot) {
  // how far down the x axes' tick labels and titles reach under the plot
  const fs = (L.font || {}).size || 12;
  let low = plot.y1;
  for (const a of Object.values(axes || {})) {
    if (a.letter !== 'x' || a.visible === false) continue;
    const anchor = anchorOf(a, axes);
    const base = anchor ? Math.max(anchor.p0, anchor.p1) : plot.y1;
    const title = a.title && (typeof a.title === 'string' ? a.title : a.title.text);
    const tsize = ((a.title && a.title.font) || {}).size || Math.round(1.2 * fs);
    const labels = a.showticklabels === false ? 0 : 6 + fs * 1.3;
    low = Math.max(low, base + labels + (title ? ((a.title && a.title.standoff) ?? 15) + richLines(title).length * tsize * 1.3 - 6 : 0));
  }
  return low;
}

const SLIDER_HEIGHT = 58; // the range input's box: its value, the input, its step labels

function sliderTop(spec, plot, axes) {
  // where the figure's own slider starts: Plotly's place for it (y in the plot's fractions, its pad above), and
  // never over the x axes' labels and titles
  const sl = ((spec.layout || {}).sliders || [])[0];
  if (!sl || !spec.frames) return null;
  const top = plot.y1 - (sl.y ?? 0) * (plot.y1 - plot.y0) + ((sl.pad || {}).t ?? 20);
  return top > plot.y1 && axes ? Math.max(top, belowAxes(axes, spec.layout || {}, plot) + 4) : top;
}

function layoutLegend(g, spec, plot, W, axes) {
  // the legend's items, rows and box; null if there is none
  const L = spec.layout || {};
  const items = legendItems(spec);
  if (!items.length) return null;
  const lg = L.legend || {};
  const size = (lg.font || {}).size || (L.font || {}).size || 12;
  const color = (lg.font || {}).color || (L.font || {}).color;
  const horizontal = lg.orientation === 'h';
  const rowH = Math.max(size * 1.3, 19);
  const widths = items.map((t) => 40 + measureRich(g, richLines(t.name), size).w + (horizontal ? 12 : 8));
  const pw = plot.x1 - plot.x0;
  const ph = plot.y1 - plot.y0;
  let x = plot.x0 + (lg.x ?? (horizontal ? 0 : 1.02)) * pw;
  let y = plot.y1 - (lg.y ?? (horizontal ? -0.1 : 1)) * ph;
  const xanchor = lg.xanchor || 'left';
  const yanchor = lg.yanchor || 'top';
  // rows: a horizontal legend wraps at the figure's width
  const rows = [[]];
  let rw = 0;
  const maxW = W - 10 - (xanchor === 'left' ? x : 0);
  items.forEach((t, k) => {
    if (horizontal) {
      if (rw + widths[k] > maxW && rows[rows.length - 1].length) { rows.push([]); rw = 0; }
      rows[rows.length - 1].push(k);
      rw += widths[k];
    } else {
      if (rows[rows.length - 1].length) rows.push([]);
      rows[rows.length - 1].push(k);
    }
  });
  const boxW = Math.max(...rows.map((r) => r.reduce((sum, k) => sum + widths[k], 0)));
  const boxH = rows.length * rowH + 6;
  if (xanchor === 'right') x -= boxW; else if (xanchor === 'center') x -= boxW / 2;
  if (yanchor === 'bottom') y -= boxH; else if (yanchor === 'middle') y -= boxH / 2;
  // a legend under the plot starts below the x axes' titles (Plotly's, drawn taller, leaves that gap by itself)
  if (horizontal && y > plot.y1 && axes) {
    y = Math.max(y, belowAxes(axes, L, plot) + 4);
    const top = sliderTop(spec, plot, axes);
    if (top !== null && top > plot.y1 && y > top - SLIDER_HEIGHT) y = Math.max(y, top + SLIDER_HEIGHT); // and under the slider
  }
  return { items, rows, widths, x, y, boxW, boxH, rowH, size, color, bgcolor: lg.bgcolor, itemsizing: lg.itemsizing, W };
}

function drawLegend(g, box) {
  if (!box) return;
  if (box.bgcolor) { g.fillStyle = box.bgcolor; g.fillRect(box.x, box.y, box.boxW, box.boxH); }
  box.rows.forEach((row, r) => {
    let cx = box.x;
    const cy = box.y + 3 + r * box.rowH + box.rowH / 2;
    for (const k of row) {
      drawLegendSymbol(g, box.items[k], cx, cy, box.itemsizing);
      let size = box.size;
      const lines = richLines(box.items[k].name);
      while (size > 9 && cx + 40 + measureRich(g, lines, size).w > box.W - 2) size -= 1; // too wide: smaller
      text(g, cx + 40, cy, box.items[k].name, { size, color: box.color, yanchor: 'middle' });
      cx += box.widths[k];
    }
  });
}

function overflow(g, spec, axes, plot, W, H) {
  // how far tick labels, axis titles and the legend reach past the figure's edges (Plotly's automargin pushes the
  // plot area in by as much)
  const L = spec.layout || {};
  const fs = (L.font || {}).size || 12;
  let bottom = 0;
  let left = 0;
  for (const a of Object.values(axes)) {
    if (a.automargin === false || a.visible === false) continue;
    const title = a.title && (typeof a.title === 'string' ? a.title : a.title.text);
    const tsize = ((a.title && a.title.font) || {}).size || Math.round(1.2 * fs);
    const tlines = title ? richLines(title).length : 0;
    const standoff = (a.title && a.title.standoff) ?? 15;
    if (a.letter === 'x') {
      const base = Math.max(...Object.values(axes).filter((b) => b.letter === 'y').map((b) => Math.max(b.p0, b.p1)), plot.y1);
      const reach = base + (a.showticklabels === false ? 0 : 6 + fs * 1.3) + (tlines ? standoff + tlines * tsize * 1.3 - 6 : 0);
      bottom = Math.max(bottom, reach - H);
    } else {
      g.font = fontOf(fs);
      const widest = a.showticklabels === false ? 0 : Math.max(0, ...ticksOf(a).map((t) => g.measureText(t.label).width));
      const reach = Math.min(a.p0, a.p1) < 0 ? 0 : Math.min(...Object.values(axes).filter((b) => b.letter === 'x').map((b) => Math.min(b.p0, b.p1)), plot.x0)
        - 6 - widest - (tlines ? standoff + tlines * tsize * 1.3 - 4 : 0);
      left = Math.max(left, 4 - reach); // 4 pixels spare: a rotated title's ascenders
    }
  }
  const box = layoutLegend(g, spec, plot, W, axes);
  if (box) bottom = Math.max(bottom, box.y + box.boxH - H);
  const top = sliderTop(spec, plot, axes);
  if (top !== null) bottom = Math.max(bottom, top + SLIDER_HEIGHT - H);
  let right = 0;
  for (const t of spec.data) {
    if ((t.type === 'heatmap' || t.type === 'contour') && t.showscale !== false) right = Math.max(right, colorbarBox(t, plot).reach - W);
  }
  return { b: Math.ceil(bottom), l: Math.ceil(left), r: Math.ceil(right) };
}

function draw(root) {
  const spec = root.gdSpec;
  if (!spec) return;
  const L = spec.layout || {};
  const canvas = root.querySelector('canvas');
  const W = Math.max(100, Math.floor(L.width || root.gdWidth || 600)); // gdWidth: the observer's (0: none)
  const H = Math.floor(L.height || 450);
  const dpr = window.devicePixelRatio || 1;
  if (canvas.width !== Math.round(W * dpr) || canvas.height !== Math.round(H * dpr)) {
    canvas.width = Math.round(W * dpr);
    canvas.height = Math.round(H * dpr);
  }
  canvas.style.width = W + 'px';
  canvas.style.height = H + 'px';
  const g = canvas.getContext('2d');
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, W, H);
  const images = spec.data.filter((t) => t.type === 'image');
  // an image trace's size (in pixels of its PNG) decides its autorange: read them before the axes
  const pending = images.filter((t) => !t._w && !t._failed).map((t) => new Promise((resolve) => {
    const im = new Image();
    im.onload = () => { t._w = im.naturalWidth; t._h = im.naturalHeight; t._img = im; resolve(); };
    im.onerror = () => { t._w = t._h = 0; t._failed = true; resolve(); }; // drawn without it, not retried
    im.src = t.source;
  }));
  if (pending.length) { Promise.all(pending).then(() => { if (root.gdSpec === spec) drawSafely(root); }); return; }
  for (const t of spec.data) if (t.type === 'histogram' && !t._bars) binned(t);
  const colorway = L.colorway || ['#636efa', '#EF553B', '#00cc96', '#ab63fa', '#FFA15A', '#19d3f3', '#FF6692', '#B6E880', '#FF97FF', '#FECB52'];
  spec.data.forEach((t, k) => { t._c = colorway[k % colorway.length]; });
  const margin = { ...DEFAULT_MARGIN, ...(L.margin || {}) };
  let built = buildAxes(spec, W, H, margin);
  for (let k = 0; k < 4; k++) {
    const over = overflow(g, spec, built.axes, built.plot, W, H);
    if (over.b <= 0 && over.l <= 0 && over.r <= 0) break;
    margin.b += Math.max(0, over.b);
    margin.l += Math.max(0, over.l);
    margin.r += Math.max(0, over.r);
    built = buildAxes(spec, W, H, margin);
  }
  const { axes, plot } = built;
  root.gdAxes = axes;
  if (L.paper_bgcolor && L.paper_bgcolor !== 'rgba(0,0,0,0)') { g.fillStyle = L.paper_bgcolor; g.fillRect(0, 0, W, H); }
  // plot areas: one per pair of axes that carry traces (or the main pair)
  const pairs = new Map();
  for (const t of spec.data) pairs.set((t.xaxis || 'x') + '|' + (t.yaxis || 'y'), [t.xaxis || 'x', t.yaxis || 'y']);
  for (const a of Object.values(axes)) if (a.letter === 'x' && a.anchor && axes[a.anchor]) pairs.set(a.id + '|' + a.anchor, [a.id, a.anchor]);
  if (!pairs.size) pairs.set('x|y', ['x', 'y']);
  for (const [xid, yid] of pairs.values()) {
    const ax = axes[xid];
    const ay = axes[yid];
    if (!ax || !ay) continue;
    g.fillStyle = L.plot_bgcolor || '#fff';
    g.fillRect(Math.min(ax.p0, ax.p1), Math.min(ay.p0, ay.p1), Math.abs(ax.p1 - ax.p0), Math.abs(ay.p1 - ay.p0));
  }
  const drawn = new Set();
  for (const [xid, yid] of pairs.values()) {
    const ax = axes[xid];
    const ay = axes[yid];
    if (!ax || !ay) continue;
    if (!drawn.has(xid)) { drawGridAndTicks(g, ax, ay, L, plot, axes); drawn.add(xid); }
    if (!drawn.has(yid)) { drawGridAndTicks(g, ay, ax, L, plot, axes); drawn.add(yid); }
  }
  const shapes = L.shapes || [];
  for (const s of shapes) if (s.layer === 'below') drawShape(g, s, axes, plot);
  const hits = [];
  // images first (Plotly draws them under every other trace), then the rest in order, each clipped to its panel
  const order = spec.data.filter((t) => t.type === 'image').concat(spec.data.filter((t) => t.type !== 'image'));
  const bars = order.filter((t) => t.type === 'bar');
  let barsDone = false;
  for (const t of order) {
    if (t.visible === false || t.visible === 'legendonly') continue;
    const ax = axes[t.xaxis || 'x'];
    const ay = axes[t.yaxis || 'y'];
    if (!ax || !ay) continue;
    g.save();
    g.beginPath();
    g.rect(Math.min(ax.p0, ax.p1), Math.min(ay.p0, ay.p1), Math.abs(ax.p1 - ax.p0), Math.abs(ay.p1 - ay.p0));
    g.clip();
    const type = t.type || 'scatter';
    if (type === 'scatter') drawScatter(g, t, ax, ay, hits);
    else if (type === 'heatmap') drawHeatmap(g, t, ax, ay, hits);
    else if (type === 'contour') drawContour(g, t, ax, ay, hits);
    else if (type === 'image' && t._img) drawImageTraceNow(g, t, ax, ay);
    else if (type === 'bar' && !barsDone) { g.restore(); g.save(); drawBars(g, bars, axes, L, hits); barsDone = true; }
    g.restore();
  }
  for (const s of shapes) if (s.layer !== 'below') drawShape(g, s, axes, plot);
  for (const t of spec.data) if ((t.type === 'heatmap' || t.type === 'contour') && t.showscale !== false) drawColorbar(g, t, plot);
  for (const [xid, yid] of pairs.values()) {
    if (axes[xid] && !axes[xid]._titled) { axisTitle(g, axes[xid], axes[yid], L, plot, axes, W); axes[xid]._titled = true; }
    if (axes[yid] && !axes[yid]._titled) { axisTitle(g, axes[yid], axes[xid], L, plot, axes, W); axes[yid]._titled = true; }
  }
  for (const a of L.annotations || []) drawAnnotation(g, a, axes, plot, L, W);
  const title = L.title && (typeof L.title === 'string' ? L.title : L.title.text);
  if (title) {
    const tf = { ...(L.font || {}), ...((L.title && L.title.font) || {}) };
    const tx = L.title.x ?? 0.5;
    const xref = L.title.xref || 'container';
    const x = xref === 'paper' ? plot.x0 + tx * (plot.x1 - plot.x0) : tx * W;
    const tyAnchor = L.title.yanchor && L.title.yanchor !== 'auto' ? L.title.yanchor : 'middle';
    const y = L.title.y !== undefined && L.title.y !== 'auto' ? (1 - L.title.y) * H : plot.y0 / 2;
    text(g, tx === 0 && xref !== 'paper' ? Math.max(x, 10) : x, y, title, {
      size: tf.size || 17, color: tf.color, xanchor: L.title.xanchor && L.title.xanchor !== 'auto' ? L.title.xanchor : tx < 1 / 3 ? 'left' : tx > 2 / 3 ? 'right' : 'center',
      yanchor: tyAnchor,
    });
  }
  const legend = layoutLegend(g, spec, plot, W, axes);
  drawLegend(g, legend);
  // the legend's entries as text for screen readers (and for tests), beside the title on the canvas's label
  let list = root.querySelector('.gd-legend-text');
  if (!list) { list = document.createElement('ul'); list.className = 'gd-legend-text'; root.appendChild(list); }
  list.replaceChildren(...(legend ? legend.items : []).map((t) => {
    const li = document.createElement('li');
    li.textContent = richLines(t.name).map((l) => l.map((r) => r.text).join('')).join(' ');
    return li;
  }));
  root.gdHits = hits;
  placeFrames(root, spec, plot, axes);
  root.dataset.drawn = String((+root.dataset.drawn || 0) + 1); // a change on the page once drawn (tests, bench)
  canvas.setAttribute('aria-label', richLines(title || 'chart').map((l) => l.map((r) => r.text).join('')).join(' '));
  // the title as text too, its runs marked up as drawn (bold as <b>): for screen readers, and for checks that a
  // reader's text in a title stays characters
  let heading = root.querySelector('.gd-title-text');
  if (!heading) {
    heading = document.createElement('div');
    heading.className = 'gd-title-text';
    heading.setAttribute('aria-hidden', 'true'); // a screen reader has the canvas's label
    root.appendChild(heading);
  }
  heading.replaceChildren(...richLines(title || '').flatMap((line, n) => (n ? [document.createElement('br')] : []).concat(line.map((run) => {
    const el = document.createElement(run.bold ? 'b' : run.shift > 0 ? 'sup' : run.shift < 0 ? 'sub' : 'span');
    el.textContent = run.text;
    return el;
  }))));
}

function drawImageTraceNow(g, t, ax, ay) {
  const im = t._img;
  const w = im.naturalWidth;
  const h = im.naturalHeight;
  const dx = t.dx ?? 1;
  const dy = t.dy ?? 1;
  const x0 = (t.x0 ?? 0) - dx / 2;
  const y0 = (t.y0 ?? 0) - dy / 2;
  const xa = ax.toPx(x0);
  const xb = ax.toPx(x0 + w * dx);
  const ya = ay.toPx(y0);
  const yb = ay.toPx(y0 + h * dy);
  g.save();
  g.globalAlpha = t.opacity ?? 1;
  g.imageSmoothingEnabled = Math.abs(xb - xa) < w;
  g.translate(xa, ya);
  g.scale((xb - xa) / w, (yb - ya) / h);
  g.drawImage(im, 0, 0);
  g.restore();
}


// ------------------------------------------------------------------ histograms

function binned(t) {
  // a histogram as the bars Plotly draws: counts in the given bins (start, end, size), normalised as asked; the
  // trace is a bar trace from then on (its x the bins' centres, its width a bin's)
  const xs = (arr(t.x) || []).map(num).filter((v) => v !== null && Number.isFinite(v));
  const b = t.xbins || {};
  if (!xs.length) { t.type = 'bar'; t._bars = true; t.x = []; t.y = []; return; }
  let [lo, hi] = extent(xs);
  const size = b.size || niceStep((hi - lo) / 20 || 1);
  const start = b.start ?? Math.floor(lo / size) * size;
  const end = b.end ?? hi;
  const n = Math.max(1, Math.ceil((end - start) / size - 1e-9));
  const counts = new Array(n).fill(0);
  for (const v of xs) {
    const k = Math.floor((v - start) / size + 1e-9); // a value on an edge opens the next bin, as in Plotly
    if (k >= 0 && k < n) counts[k] += 1;
    else if (k === n && v <= end) counts[n - 1] += 1;
  }
  const norm = t.histnorm === 'probability' ? 1 / Math.max(1, xs.length) : t.histnorm === 'percent' ? 100 / Math.max(1, xs.length) : 1;
  // Plotly leaves out the empty bins at either end (they would widen the axis's range)
  let first = counts.findIndex((c) => c > 0);
  if (first < 0) first = 0;
  let last = counts.length - 1;
  while (last > first && counts[last] === 0) last--;
  t.type = 'bar';
  t._bars = true;
  t.x = counts.slice(first, last + 1).map((_, k) => start + (first + k + 0.5) * size);
  t.y = counts.slice(first, last + 1).map((c) => c * norm);
  t.width = size;
}

// ------------------------------------------------------------------ contours

function contourLevels(t, z) {
  // the levels Plotly draws: given (start, end, size), or its automatic ones (about ncontours nice steps)
  const c = t.contours || {};
  if (c.start !== undefined && c.end !== undefined && c.size) {
    const out = [];
    for (let v = c.start; v <= c.end + c.size * 1e-9; v += c.size) out.push(v);
    return out;
  }
  const [zmin, zmax] = extent(z.flat().map(num));
  const size = niceStep((zmax - zmin) / (t.ncontours || 15));
  let start = Math.ceil(zmin / size - 1e-9) * size;
  let end = Math.floor(zmax / size + 1e-9) * size;
  if (Math.abs(start - zmin) < size * 1e-9) start += size;
  if (Math.abs(end - zmax) < size * 1e-9) end -= size;
  if (start > end) start = end = (start + end) / 2;
  const out = [];
  for (let v = start; v <= end + size * 1e-9; v += size) out.push(v);
  return out;
}

function isolines(g, z, xs, ys, level, ax, ay) {
  // marching squares: in each cell, the level's crossing of the cell's edges (linear between corners), as segments
  const X = xs.map((v) => ax.toPx(v));
  const Y = ys.map((v) => ay.toPx(v));
  const cross = (a, b, pa, pb) => pa + ((level - a) / (b - a)) * (pb - pa);
  g.beginPath();
  for (let r = 0; r + 1 < z.length; r++) {
    for (let c = 0; c + 1 < z[r].length; c++) {
      const v00 = num(z[r][c]); const v01 = num(z[r][c + 1]); const v10 = num(z[r + 1][c]); const v11 = num(z[r + 1][c + 1]);
      if (v00 === null || v01 === null || v10 === null || v11 === null) continue;
      // edges: bottom (00-01), right (01-11), top (10-11), left (00-10); a point on each edge the level crosses
      const pts = [];
      if ((v00 >= level) !== (v01 >= level)) pts.push([cross(v00, v01, X[c], X[c + 1]), Y[r], 0]);
      if ((v01 >= level) !== (v11 >= level)) pts.push([X[c + 1], cross(v01, v11, Y[r], Y[r + 1]), 1]);
      if ((v10 >= level) !== (v11 >= level)) pts.push([cross(v10, v11, X[c], X[c + 1]), Y[r + 1], 2]);
      if ((v00 >= level) !== (v10 >= level)) pts.push([X[c], cross(v00, v10, Y[r], Y[r + 1]), 3]);
      if (pts.length === 2) { g.moveTo(pts[0][0], pts[0][1]); g.lineTo(pts[1][0], pts[1][1]); }
      else if (pts.length === 4) {
        // a saddle: the cell's mean decides which corners the level joins
        const above = (v00 + v01 + v10 + v11) / 4 >= level;
        const pairs = above === (v00 >= level) ? [[0, 1], [2, 3]] : [[0, 3], [1, 2]];
        for (const [i, j] of pairs) { g.moveTo(pts[i][0], pts[i][1]); g.lineTo(pts[j][0], pts[j][1]); }
      }
    }
  }
  g.stroke();
}

function drawContour(g, t, ax, ay, hits) {
  const z = arr(t.z);
  if (!z || z.length < 2 || !Array.isArray(z[0]) || z[0].length < 2) return; // no cell to draw a level in
  const ny = z.length;
  const nx = z[0].length;
  const xs = arr(t.x) || [...Array(nx).keys()];
  const ys = arr(t.y) || [...Array(ny).keys()];
  const levels = contourLevels(t, z);
  const coloring = (t.contours || {}).coloring || 'fill';
  g.save();
  g.globalAlpha = t.opacity ?? 1;
  if (coloring === 'fill' && nx > 1 && ny > 1) {
    // each pixel between the first and last centres: z interpolated in its cell, coloured by the band it falls in
    // plotly.js make_color_map: the scale spans the levels (from zmin to zmax where both are given and the levels
    // reach them); the band above a level takes the colour half a step above it
    const scale = heatScale(t);
    const [lo, hi] = heatLimits(t, z);
    const size = levels.length > 1 ? levels[1] - levels[0] : ((t.contours || {}).size || (hi - lo) / 2);
    let start = levels[0];
    let end = levels[levels.length - 1];
    let nc = levels.length;
    let extra = 1;
    if (typeof t.zmin === 'number' && typeof t.zmax === 'number' && (start <= t.zmin || end >= t.zmax)) {
      start = Math.max(start, t.zmin);
      end = Math.min(end, t.zmax);
      nc = Math.floor((end - start) / size + 1e-9) + 1;
      extra = 0;
    }
    const colourAt = (v) => scaleColor(scale, ((v - start) / size + extra / 2) / Math.max(1, nc + extra - 1));
    const xa = ax.toPx(xs[0]); const xb = ax.toPx(xs[nx - 1]); const ya = ay.toPx(ys[0]); const yb = ay.toPx(ys[ny - 1]);
    const w = Math.max(1, Math.round(Math.abs(xb - xa)));
    const h = Math.max(1, Math.round(Math.abs(yb - ya)));
    const off = document.createElement('canvas');
    off.width = w;
    off.height = h;
    const og = off.getContext('2d');
    const img = og.createImageData(w, h);
    const colours = [];
    for (let k = 0; k <= levels.length; k++) colours.push(colourAt(k === 0 ? levels[0] - size / 2 : levels[k - 1] + size / 2));
    const uniform = (c) => c.length < 3 || Math.abs((c[c.length - 1] - c[0]) / (c.length - 1) - (c[1] - c[0])) < 1e-9 * Math.abs(c[1] - c[0]) * c.length;
    const locate = (c, v) => {
      // the cell index and fraction of v along the coordinates c
      if (uniform(c)) { const u = ((v - c[0]) / (c[c.length - 1] - c[0])) * (c.length - 1); const i = Math.min(c.length - 2, Math.max(0, Math.floor(u))); return [i, u - i]; }
      let i = 0;
      while (i < c.length - 2 && c[i + 1] < v) i++;
      return [i, (v - c[i]) / (c[i + 1] - c[i])];
    };
    for (let py = 0; py < h; py++) {
      const yv = ay.fromPx(Math.min(ya, yb) + py + 0.5);
      const [r, fy] = locate(ys, yv);
      for (let px = 0; px < w; px++) {
        const xv = ax.fromPx(Math.min(xa, xb) + px + 0.5);
        const [c, fx] = locate(xs, xv);
        const v = (num(z[r][c]) * (1 - fx) + num(z[r][c + 1]) * fx) * (1 - fy) + (num(z[r + 1][c]) * (1 - fx) + num(z[r + 1][c + 1]) * fx) * fy;
        if (!Number.isFinite(v)) continue;
        let k = 0;
        while (k < levels.length && v >= levels[k]) k++;
        const col = colours[k];
        const o = (py * w + px) * 4;
        img.data[o] = col[0]; img.data[o + 1] = col[1]; img.data[o + 2] = col[2]; img.data[o + 3] = col[3];
      }
    }
    og.putImageData(img, 0, 0);
    g.drawImage(off, Math.min(xa, xb), Math.min(ya, yb));
  }
  const line = t.line || {};
  const lw = line.width ?? (coloring === 'fill' ? 0.5 : 2);
  if (lw > 0) {
    g.strokeStyle = line.color || (coloring === 'fill' ? 'rgba(0,0,0,0.5)' : t._c);
    g.lineWidth = lw;
    setDash(g, line.dash, lw);
    for (const level of levels) isolines(g, z, xs, ys, level, ax, ay);
    g.setLineDash([]);
  }
  g.restore();
  gridHits(t, z, xs, ys, ax, ay, hits);
}

// ------------------------------------------------------------------ hover

function hoverText(h) {
  const t = h.t;
  const tpl = t.hovertemplate;
  const name = t.name || '';
  if (!tpl) {
    const fmt = (v) => (typeof v === 'number' ? d3format(v, '.4g').replace(/\.?0+$/, '') : String(v));
    const z = h.zv !== undefined ? `, ${fmt(num(h.zv))}` : '';
    return { body: `(${fmt(h.xv)}, ${fmt(h.yv)}${z})`, extra: name };
  }
  let extra = name;
  let body = tpl.replace(/<extra>([\s\S]*?)<\/extra>/, (_, e) => { extra = e; return ''; });
  body = body.replace(/%\{([^}:]+)(?::([^}]*))?\}/g, (_, key, fmt) => {
    let v;
    const k = h.i;
    if (key === 'x') v = h.xv;
    else if (key === 'y') v = h.yv;
    else if (key === 'z') v = num(h.zv);
    else if (key === 'text') v = pick(arr(t.text) || t.text, k, '');
    else if (key === 'fullData.name' || key === 'data.name') v = name;
    else {
      const m = /^customdata(?:\[(\d+)\])?$/.exec(key);
      if (m) {
        const cd = arr(t.customdata) || [];
        const row = cd[k];
        v = m[1] !== undefined ? (Array.isArray(row) ? row[+m[1]] : row) : row;
      } else v = '';
    }
    if (typeof v === 'number' && fmt !== undefined) return d3format(v, fmt);
    if (typeof v === 'number') return d3format(v, '');
    return v ?? '';
  });
  return { body, extra };
}

function setupHover(root) {
  const tip = document.createElement('div');
  tip.className = 'gd-tip';
  root.appendChild(tip);
  const canvas = root.querySelector('canvas');
  canvas.addEventListener('mousemove', (ev) => {
    const hits = root.gdHits || [];
    const r = canvas.getBoundingClientRect();
    const x = ev.clientX - r.left;
    const y = ev.clientY - r.top;
    let best = null;
    let bd = 20 * 20;
    for (const h of hits) {
      let d;
      if (h.bar) {
        const [xa, xb, y0, y1] = h.bar;
        const inside = x >= Math.min(xa, xb) && x <= Math.max(xa, xb) && y >= Math.min(y0, y1) - 4 && y <= Math.max(y0, y1);
        d = inside ? 0 : Infinity;
      } else d = (h.x - x) ** 2 + (h.y - y) ** 2;
      if (d < bd) { bd = d; best = h; }
    }
    if (!best) { tip.style.display = 'none'; return; }
    const { body, extra } = hoverText(best);
    tip.replaceChildren();
    const mk = (s, cls) => {
      const el = document.createElement('div');
      if (cls) el.className = cls;
      for (const [n, line] of richLines(s).entries()) {
        if (n) el.appendChild(document.createElement('br'));
        for (const run of line) {
          const sp = document.createElement(run.shift > 0 ? 'sup' : run.shift < 0 ? 'sub' : 'span');
          sp.textContent = run.text;
          if (run.bold) sp.style.fontWeight = 'bold';
          if (run.color) sp.style.color = run.color;
          el.appendChild(sp);
        }
      }
      return el;
    };
    tip.appendChild(mk(body));
    if (extra) tip.appendChild(mk(extra, 'gd-tip-name'));
    const lineColor = (best.t.line && best.t.line.color) || pick((best.t.marker || {}).color, best.i, '#444');
    tip.style.borderColor = typeof lineColor === 'string' ? lineColor : '#444';
    tip.style.display = 'block';
    const left = best.x + 12 + tip.offsetWidth > canvas.clientWidth ? best.x - 12 - tip.offsetWidth : best.x + 12;
    tip.style.left = `${Math.max(0, left)}px`;
    tip.style.top = `${Math.max(0, best.y - tip.offsetHeight / 2)}px`;
  });
  canvas.addEventListener('mouseleave', () => { tip.style.display = 'none'; });
}

// ------------------------------------------------------------------ frames: scrubbed in the browser

function merged(into, from) {
  // Plotly's animate: a frame's objects merge into the figure's, key by key; arrays and values replace
  for (const [k, v] of Object.entries(from)) {
    if (v && typeof v === 'object' && !Array.isArray(v) && into[k] && typeof into[k] === 'object' && !Array.isArray(into[k])) merged(into[k], v);
    else into[k] = v;
  }
  return into;
}

function applyFrame(spec, frame) {
  if (!frame._decoded) { decoded(frame, false); frame._decoded = true; }
  (frame.data || []).forEach((t, i) => {
    const k = frame.traces ? frame.traces[i] : i;
    if (!spec.data[k]) return;
    if (t.source !== undefined) { for (const key of ['_img', '_w', '_h', '_failed']) delete spec.data[k][key]; } // a new PNG
    merged(spec.data[k], t);
  });
  const L = spec.layout;
  for (const [key, v] of Object.entries(frame.layout || {})) {
    if ((key === 'shapes' || key === 'annotations') && Array.isArray(v)) {
      // a list merges item by item: an empty item leaves the figure's item as it is
      const list = L[key] || (L[key] = []);
      v.forEach((item, i) => { list[i] = merged(list[i] || {}, item); });
    } else if (v && typeof v === 'object' && !Array.isArray(v) && L[key] && typeof L[key] === 'object') merged(L[key], v);
    else L[key] = v;
  }
}

function setupFrames(root, spec) {
  // the figure's own slider (and its play and pause buttons): an HTML range input over the place Plotly's slider
  // takes in the figure; moving it applies the step's frame and draws again, with no message to the server
  for (const old of root.querySelectorAll('.gd-frames, .gd-frames-buttons')) old.remove();
  root.gdFrames = null;
  root.gdMenus = [];
  if (root.gdTimer) { clearInterval(root.gdTimer); root.gdTimer = null; }
  const slider = ((spec.layout || {}).sliders || [])[0];
  if (!slider || !spec.frames || !spec.frames.length) return;
  const frames = Object.fromEntries(spec.frames.map((f) => [String(f.name), f]));
  const steps = slider.steps || [];
  const box = document.createElement('div');
  box.className = 'gd-frames';
  const shown = document.createElement('div');
  shown.className = 'gd-frames-value';
  const input = document.createElement('input');
  input.type = 'range';
  input.min = '0';
  input.max = String(Math.max(0, steps.length - 1));
  input.step = '1';
  input.value = String(slider.active ?? 0);
  const ticks = document.createElement('div');
  ticks.className = 'gd-frames-ticks';
  root.gdTickLabels = steps.map((st, k) => {
    const t = document.createElement('span');
    t.textContent = st.label ?? String(k);
    t.style.left = `${steps.length > 1 ? (100 * k) / (steps.length - 1) : 0}%`;
    return t;
  });
  const cv = slider.currentvalue || {};
  const label = (k) => `${cv.prefix || ''}${(steps[k] || {}).label ?? k}${cv.suffix || ''}`;
  const go = (k) => {
    const st = steps[k];
    const name = st && st.args && st.args[0] && st.args[0][0];
    if (name === undefined || !frames[String(name)]) return;
    applyFrame(spec, frames[String(name)]);
    slider.active = k;
    input.value = String(k);
    input.setAttribute('aria-valuetext', label(k));
    if (cv.visible !== false) shown.textContent = label(k);
    drawSafely(root);
  };
  input.setAttribute('aria-label', cv.prefix ? cv.prefix.replace(/[:=\s]+$/, '') : 'frame');
  input.setAttribute('aria-valuetext', label(+input.value));
  if (cv.visible !== false) shown.textContent = label(+input.value);
  input.addEventListener('input', () => go(+input.value));
  box.append(shown, input, ticks);
  root.appendChild(box);
  root.gdFrames = { box, go, count: steps.length };
  // play and pause (updatemenus of buttons that animate)
  const menus = ((spec.layout || {}).updatemenus || []).filter((m) => (m.type || 'dropdown') === 'buttons');
  for (const m of menus) {
    const bar = document.createElement('div');
    bar.className = 'gd-frames-buttons';
    for (const b of m.buttons || []) {
      const btn = document.createElement('button');
      btn.type = 'button';
      btn.textContent = b.label;
      const playing = b.args && b.args[0] === null;
      btn.addEventListener('click', () => {
        if (root.gdTimer) { clearInterval(root.gdTimer); root.gdTimer = null; }
        if (!playing) return;
        const ms = Math.max(30, ((b.args[1] || {}).frame || {}).duration ?? 250);
        let k = +input.value;
        if (k >= steps.length - 1) { k = 0; go(0); }
        root.gdTimer = setInterval(() => {
          k += 1;
          if (k >= steps.length) { clearInterval(root.gdTimer); root.gdTimer = null; return; }
          go(k);
        }, ms);
      });
      bar.appendChild(btn);
    }
    root.appendChild(bar);
    root.gdMenus.push({ bar, menu: m });
  }
}

function placeFrames(root, spec, plot, axes) {
  // the slider where Plotly puts its own: x, len and y in the plot's fractions, anchored at its top
  const f = root.gdFrames;
  if (!f) return;
  const sl = spec.layout.sliders[0];
  const pw = plot.x1 - plot.x0;
  const ph = plot.y1 - plot.y0;
  const len = (sl.len ?? 1) * pw;
  let left = plot.x0 + (sl.x ?? 0) * pw;
  if (sl.xanchor === 'right') left -= len; else if (sl.xanchor === 'center') left -= len / 2;
  const top = sliderTop(spec, plot, axes);
  Object.assign(f.box.style, { left: `${left}px`, top: `${top}px`, width: `${len}px` });
  // the step labels under the slider: every k-th, so that none overprints the next (12-pixel text, about 7 a char),
  // the last always
  const labels = root.gdTickLabels || [];
  const widest = Math.max(1, ...labels.map((t) => t.textContent.length * 7 + 10));
  const room = (len - 16) / Math.max(1, labels.length - 1);
  const every = Math.max(1, Math.ceil(widest / Math.max(1, room)));
  const ticks = f.box.querySelector('.gd-frames-ticks');
  ticks.replaceChildren(...labels.filter((t, k) => (k % every === 0 && (labels.length - 1 - k) * room >= widest) || k === labels.length - 1));
  for (const { bar, menu } of root.gdMenus) {
    const x = plot.x0 + (menu.x ?? 0) * pw;
    const y = plot.y1 - (menu.y ?? 1) * ph;
    Object.assign(bar.style, { left: `${x}px`, top: `${y}px` });
    bar.style.transform = `translate(${menu.xanchor === 'right' ? '-100%' : menu.xanchor === 'center' ? '-50%' : '0'}, ${menu.yanchor === 'bottom' ? '-100%' : menu.yanchor === 'middle' ? '-50%' : '0'})`;
  }
}
