// charts.js - bar and line charts as inline SVG, built with createElementNS
// and presentation attributes / classes only (no style attributes: CSP).
const NS = 'http://www.w3.org/2000/svg';

function s(tag, attrs = {}, text) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

// Horizontal bars: data = [{label, value (null = suppressed), note}].
export function barChart(data, { title, suppressedText = '–', cls = '' } = {}) {
  const rowH = 28;
  const labelW = 150;
  const width = 520;
  const height = data.length * rowH + 10;
  const max = Math.max(1, ...data.map((d) => d.value || 0));
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, class: `chart bar ${cls}`, role: 'img', 'aria-label': title });
  svg.append(s('title', {}, title));
  data.forEach((d, i) => {
    const y = i * rowH + 5;
    const w = d.value === null ? 0 : Math.max(2, ((width - labelW - 60) * d.value) / max);
    const g = s('g', { class: d.value === null ? 'suppressed' : '', 'data-label': d.label });
    g.append(s('text', { x: labelW - 8, y: y + 17, 'text-anchor': 'end', class: 'label' }, d.label));
    g.append(s('rect', { x: labelW, y: y + 3, width: w, height: rowH - 8, rx: 3, class: `bar-${i % 6}` }));
    g.append(s('text', { x: labelW + w + 6, y: y + 17, class: 'value' }, d.value === null ? suppressedText : String(d.value)));
    svg.append(g);
  });
  return svg;
}

// Lines over categories: series = [{name, points: [value|null]}], labels = x labels.
export function lineChart(labels, series, { title, min = 0, max = 100 } = {}) {
  const width = 520;
  const height = 240;
  const pad = { l: 40, r: 36, t: 16, b: 40 };
  const iw = width - pad.l - pad.r;
  const ih = height - pad.t - pad.b;
  const x = (i) => pad.l + (labels.length <= 1 ? iw / 2 : (iw * i) / (labels.length - 1));
  const y = (v) => pad.t + ih - ((v - min) / (max - min)) * ih;
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart line', role: 'img', 'aria-label': title });
  svg.append(s('title', {}, title));
  for (let v = min; v <= max; v += (max - min) / 4) {
    svg.append(s('line', { x1: pad.l, x2: width - pad.r, y1: y(v), y2: y(v), class: 'grid' }));
    svg.append(s('text', { x: pad.l - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'axis' }, String(Math.round(v))));
  }
  labels.forEach((l, i) => svg.append(s('text', { x: x(i), y: height - pad.b + 18, 'text-anchor': 'middle', class: 'axis' }, l)));
  series.forEach((ser, si) => {
    let d = '';
    ser.points.forEach((v, i) => {
      if (v === null || v === undefined) return;
      d += `${d ? 'L' : 'M'}${x(i).toFixed(1)},${y(v).toFixed(1)}`;
      svg.append(s('circle', { cx: x(i), cy: y(v), r: 4, class: `dot s-${si}` }));
    });
    if (d) svg.append(s('path', { d, class: `series s-${si}`, fill: 'none' }));
    svg.append(s('text', { x: pad.l + 8 + si * 150, y: height - 6, class: `legend s-${si}` }, `● ${ser.name}`));
  });
  return svg;
}
