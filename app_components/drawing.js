// The Playground's drawing canvas: paint points with the mouse (or a finger) in up to four colours, each colour a
// class; undo the last stroke, clear all. Shipped as is (no build step, nothing fetched): Streamlit's custom
// components v2 load this module and call its default export with the mount's arguments.
//
// The drawing is a list of strokes, each a list of [x, y, colour] with x and y in [0, 1] (y up). It goes to Python
// as the state value "drawing" ({strokes: [...]}) when a stroke ends, on undo and on clear; Python validates it
// (app_components/drawing.py) as it validates an uploaded CSV. `data.strokes` restores a drawing on a new mount.

const SPACING = 0.5; // a stroke drops a dab of points every SPACING brush radii of travel
const PER_DAB = 4; // points per dab, uniform in the brush's disk

export default function (component) {
  const { parentElement, data, setStateValue } = component;
  const root = parentElement.querySelector(".gd-drawing");
  // Streamlit calls this function again on the same element whenever `data` changes, and calls the cleanup it
  // returns only on unmount: let go of the previous call's listeners first, or every call adds its own.
  if (root.gdCleanup) root.gdCleanup();
  const canvas = root.querySelector("canvas");
  const ctx = canvas.getContext("2d");
  const colours = data.colours;
  const maxPoints = data.max_points;
  const maxStrokes = data.max_strokes;
  // While the canvas stays mounted its own strokes are the truth (Python's copy lags a stroke behind when it calls
  // this function again); a fresh mount (the reader left the page and came back) restores Python's.
  if (!root.gdStrokes) root.gdStrokes = Array.isArray(data.strokes) ? data.strokes.map((s) => s.slice()) : [];
  let strokes = root.gdStrokes;
  // the chosen colour and brush outlive a new call of this function (Python's answer to a stroke remounts it)
  let colour = Number(root.dataset.colour || 0);
  let current = null;
  let last = null;

  // the toolbar: one button per colour, the brush size, undo, clear, the count
  const bar = root.querySelector(".gd-bar");
  bar.replaceChildren();
  const swatches = colours.map((c, k) => {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "gd-swatch";
    b.style.background = c.hex;
    b.title = `Paint class ${k + 1} (${c.name})`;
    b.setAttribute("aria-label", `colour ${k + 1}: ${c.name}`);
    b.dataset.colour = String(k);
    b.onclick = () => { colour = k; root.dataset.colour = String(k); mark(); };
    bar.appendChild(b);
    return b;
  });
  const size = document.createElement("input");
  size.type = "range";
  size.min = "0.01";
  size.max = "0.12";
  size.step = "0.01";
  size.value = root.dataset.brush || String(data.brush);
  size.oninput = () => { root.dataset.brush = size.value; };
  size.title = "Brush size";
  size.setAttribute("aria-label", "brush size");
  size.className = "gd-size";
  const sizeLabel = document.createElement("label");
  sizeLabel.className = "gd-label";
  sizeLabel.textContent = "Brush";
  sizeLabel.appendChild(size);
  bar.appendChild(sizeLabel);
  const undo = button("Undo", "gd-undo", () => { strokes.pop(); send(); redraw(); });
  const clear = button("Clear", "gd-clear", () => { strokes.length = 0; send(); redraw(); });
  const count = document.createElement("span");
  count.className = "gd-count";
  bar.append(undo, clear, count);

  function button(text, cls, onclick) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = text;
    b.className = `gd-button ${cls}`;
    b.onclick = onclick;
    return b;
  }

  function mark() {
    swatches.forEach((b, k) => b.classList.toggle("gd-chosen", k === colour));
  }

  function total() {
    return strokes.reduce((n, s) => n + s.length, 0) + (current ? current.length : 0);
  }

  function fit() { // the backing store only: CSS sizes the element (square, the column's width)
    const side = Math.max(50, canvas.clientWidth) * (window.devicePixelRatio || 1);
    if (canvas.width !== Math.round(side)) {
      canvas.width = Math.round(side);
      canvas.height = Math.round(side);
    }
    redraw();
  }

  function dot(p) {
    const w = canvas.width;
    ctx.fillStyle = colours[p[2]] ? colours[p[2]].hex : "#000000";
    ctx.beginPath();
    ctx.arc(p[0] * w, (1 - p[1]) * w, Math.max(1.5, w / 220), 0, 2 * Math.PI);
    ctx.fill();
  }

  function redraw() {
    ctx.fillStyle = "#FFFFFF";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.strokeStyle = "#E5E5E5";
    ctx.lineWidth = 1;
    for (let k = 1; k < 4; k++) { // a light grid, quarters
      const v = (k / 4) * canvas.width;
      ctx.beginPath(); ctx.moveTo(v, 0); ctx.lineTo(v, canvas.height); ctx.stroke();
      ctx.beginPath(); ctx.moveTo(0, v); ctx.lineTo(canvas.width, v); ctx.stroke();
    }
    strokes.forEach((s) => s.forEach(dot));
    if (current) current.forEach(dot);
    const n = total();
    const full = n >= maxPoints || strokes.length >= maxStrokes;
    count.textContent = `${n.toLocaleString("en")} point${n === 1 ? "" : "s"}` + (full ? " (the most)" : "");
    undo.disabled = strokes.length === 0;
    clear.disabled = strokes.length === 0;
  }

  function at(event) { // inside the border, 0 to 1, y up
    const r = canvas.getBoundingClientRect();
    const x = (event.clientX - r.left - canvas.clientLeft) / canvas.clientWidth;
    const y = 1 - (event.clientY - r.top - canvas.clientTop) / canvas.clientHeight;
    return [Math.min(1, Math.max(0, x)), Math.min(1, Math.max(0, y))];
  }

  function dab(x, y) {
    const radius = Number(size.value);
    for (let k = 0; k < PER_DAB && total() < maxPoints; k++) {
      const a = 2 * Math.PI * Math.random();
      const d = radius * Math.sqrt(Math.random());
      const px = x + d * Math.cos(a);
      const py = y + d * Math.sin(a);
      if (px >= 0 && px <= 1 && py >= 0 && py <= 1) {
        const p = [Math.round(px * 10000) / 10000, Math.round(py * 10000) / 10000, colour];
        current.push(p);
        dot(p);
      }
    }
  }

  function onDown(event) {
    if (current || strokes.length >= maxStrokes) return; // one pointer at a time; the line's most strokes
    if (event.button !== undefined && event.button !== 0) return;
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    current = [];
    last = at(event);
    dab(last[0], last[1]);
    redraw();
  }

  function onMove(event) {
    if (!current || (event.buttons === 0 && event.pointerType === "mouse")) return;
    event.preventDefault();
    const p = at(event);
    const step = SPACING * Number(size.value);
    let dist = Math.hypot(p[0] - last[0], p[1] - last[1]);
    while (dist >= step && total() < maxPoints) { // dabs evenly along the path, however fast the mouse moves
      const t = step / dist;
      last = [last[0] + t * (p[0] - last[0]), last[1] + t * (p[1] - last[1])];
      dab(last[0], last[1]);
      dist = Math.hypot(p[0] - last[0], p[1] - last[1]);
    }
    redraw();
  }

  function onUp() {
    if (!current) return;
    if (current.length) strokes.push(current);
    current = null;
    send();
    redraw();
  }

  function send() {
    setStateValue("drawing", { strokes });
  }

  canvas.addEventListener("pointerdown", onDown);
  canvas.addEventListener("pointermove", onMove);
  canvas.addEventListener("pointerup", onUp);
  canvas.addEventListener("pointercancel", onUp);
  canvas.addEventListener("lostpointercapture", onUp);
  const observer = new ResizeObserver(() => requestAnimationFrame(fit)); // not inside the observer's own callback
  observer.observe(canvas);
  mark();
  fit();

  const cleanup = () => { // the next call, or unmount: let go of the listeners
    observer.disconnect();
    canvas.removeEventListener("pointerdown", onDown);
    canvas.removeEventListener("pointermove", onMove);
    canvas.removeEventListener("pointerup", onUp);
    canvas.removeEventListener("pointercancel", onUp);
    canvas.removeEventListener("lostpointercapture", onUp);
    root.gdCleanup = null;
  };
  root.gdCleanup = cleanup;
  return cleanup;
}
