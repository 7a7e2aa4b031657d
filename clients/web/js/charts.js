// charts.js - bar and line charts as inline SVG, built with createElementNS
// and presentation attributes / classes only (no style attributes: CSP).
const NS = 'http://www.w3.org/2000/svg';

// The drawing width: narrower on a phone, so the text keeps its size there.
const chartWidth = () => (window.matchMedia?.('(max-width: 699px)').matches ? 340 : 520);

function s(tag, attrs = {}, text) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

// Horizontal bars: data = [{label, value (null = suppressed), note}].
export function barChart(data, { title, suppressedText = '–', cls = '' } = {}) {
  const rowH = 28;
  const width = chartWidth();
  // Room for the longest label (about 8.5 px a character), within 60 % of the chart.
  const longest = Math.max(0, ...data.map((d) => String(d.label).length));
  const labelW = Math.round(Math.min(width * 0.6, Math.max(150, longest * 8.5 + 12)));
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
  const width = chartWidth();
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

// Horizontal bars in groups (one group a row of labels, e.g. a quarter):
// groups = [{label, bars: [{name, value (null: hidden), text}]}]; each bar
// gets class s-<index in the group>, so a legend can name them.
export function groupedBars(groups, { title, legend = [], suppressedText = '–' } = {}) {
  const barH = 16;
  const labelW = 110;
  const width = chartWidth();
  const per = Math.max(1, ...groups.map((g) => g.bars.length));
  const groupH = per * (barH + 4) + 12;
  const height = groups.length * groupH + 30;
  const max = Math.max(1, ...groups.flatMap((g) => g.bars.map((b) => b.value || 0)));
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart bars-grouped', role: 'img', 'aria-label': title });
  svg.append(s('title', {}, title));
  groups.forEach((g, gi) => {
    const y0 = gi * groupH + 6;
    svg.append(s('text', { x: labelW - 8, y: y0 + (per * (barH + 4)) / 2 + 4, 'text-anchor': 'end', class: 'label' }, g.label));
    g.bars.forEach((b, bi) => {
      const y = y0 + bi * (barH + 4);
      const w = b.value === null || b.value === undefined ? 0 : Math.max(2, ((width - labelW - 70) * b.value) / max);
      svg.append(s('rect', { x: labelW, y, width: w, height: barH, rx: 2, class: `s-${bi}` }));
      svg.append(s('text', { x: labelW + w + 6, y: y + barH - 3, class: b.value === null ? 'value muted' : 'value' }, b.value === null ? suppressedText : b.text));
    });
  });
  legend.forEach((name, i) => svg.append(legendItem(8 + (i * width) / 2, height - 8, i, '■', name)));
  return svg;
}

// Dots on a scale (min..max), one row per label, joined by a line: e.g. the
// mean wellbeing at the start and at the end of the courses of a quarter.
// rows = [{label, points: [value|null per series]}], series = [names].
export function dotChart(rows, series, { title, min = 0, max = 100, ticks = 5 } = {}) {
  const rowH = 34;
  const labelW = 110;
  const width = chartWidth();
  const right = 20;
  const height = rows.length * rowH + 56;
  const x = (v) => labelW + ((v - min) / (max - min)) * (width - labelW - right);
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart dots', role: 'img', 'aria-label': title });
  svg.append(s('title', {}, title));
  const axisY = rows.length * rowH + 8;
  for (let i = 0; i < ticks; i++) {
    const v = min + ((max - min) * i) / (ticks - 1);
    svg.append(s('line', { x1: x(v), x2: x(v), y1: 4, y2: axisY, class: 'grid' }));
    svg.append(s('text', { x: x(v), y: axisY + 14, 'text-anchor': 'middle', class: 'axis' }, String(Math.round(v))));
  }
  rows.forEach((r, ri) => {
    const y = ri * rowH + rowH / 2 + 4;
    svg.append(s('text', { x: labelW - 8, y: y + 4, 'text-anchor': 'end', class: 'label' }, r.label));
    const shown = r.points.map((v, i) => [v, i]).filter(([v]) => v !== null && v !== undefined);
    if (shown.length > 1) {
      const xs = shown.map(([v]) => x(v));
      svg.append(s('line', { x1: Math.min(...xs), x2: Math.max(...xs), y1: y, y2: y, class: 'join' }));
    }
    for (const [v, i] of shown) svg.append(s('circle', { cx: x(v), cy: y, r: 6, class: `dot s-${i}` }));
  });
  series.forEach((name, i) => svg.append(legendItem(8 + (i * width) / 3, height - 6, i, i === 0 ? '○' : '●', name)));
  return svg;
}

// A legend entry: the coloured mark, then the name in the text colour.
function legendItem(x, y, i, mark, name) {
  const text = s('text', { x, y, class: 'legend' });
  text.append(s('tspan', { class: `mark s-${i}` }, mark), s('tspan', {}, ` ${name}`));
  return text;
}
