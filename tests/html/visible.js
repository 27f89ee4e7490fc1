// SPDX-License-Identifier: MIT
// What a reader of fintrace's HTML report sees, as Chromium lays it out:
// the rendered text (innerText; textContent for SVG labels) of the
// headline, the tiles, the facts, every table cell, the notes under the
// lists and the chart labels, and the chart lines nobody can see (each
// under an identical one drawn over it). Run by tests/html/check.sh through
// WebDriver's execute/sync; tests/html/visible.jq compares it with the
// JSON report of the same run. No data-* attribute is read.
const q = (s) => document.querySelector(s);
const all = (s) => Array.from(document.querySelectorAll(s));
const text = (e) => (e ? e.innerText.trim() : null);
const shown = (e) => {
  const r = e.getBoundingClientRect();
  return r.width > 0 && r.height > 0 &&
    getComputedStyle(e).visibility !== 'hidden';
};
const table = (sel) => {
  const t = q(sel);
  if (!t)
    return null;
  return {
    shown: shown(t),
    head: Array.from(t.tHead.rows[0].cells).map(text),
    rows: Array.from(t.tBodies[0].rows).map(
      (tr) => Array.from(tr.cells).map(text))
  };
};
// An SVG chart's labels; "hidden" counts labels with no box on screen.
const labels = (sel) => {
  const svg = q(sel);
  if (!svg)
    return null;
  const ts = Array.from(svg.querySelectorAll('text'));
  return {
    all: ts.map((t) => t.textContent.trim()),
    axis: ts.filter((t) => !t.closest('g')).map((t) => t.textContent.trim()),
    hidden: ts.filter((t) => t.textContent.trim() !== '' &&
      !(t.getBBox().width > 0 && shown(t))).length
  };
};
// Lines of a chart that nobody can see: each under a later-drawn line
// with the same points and a stroke at least as wide.
const covered = (sel) => {
  const ls = Array.from(document.querySelectorAll(sel + ' polyline'));
  const w = (l) => parseFloat(getComputedStyle(l).strokeWidth);
  return ls.filter((l, i) => ls.slice(i + 1).some((m) =>
    m.getAttribute('points') === l.getAttribute('points') &&
    w(m) >= w(l))).length;
};
const headline = q('#headline');
return {
  title: document.title,
  headline: text(headline),
  headlineShown: shown(headline),
  tiles: all('#verdict-counts li').map(text),
  facts: Object.fromEntries(all('dl.facts dt').map(
    (dt) => [text(dt), text(dt.nextElementSibling)])),
  services: table('#service-table'),
  clients: table('#client-table'),
  more: {
    services: text(q('#services-more')),
    clients: text(q('#clients-more')),
    worst: text(q('#worst-more'))
  },
  worst: table('#worst-table'),
  worstEmpty: text(q('#worst-empty')),
  timewait: table('#timewait-table'),
  timewaitVerdicts: all('#timewait p.verdict').map(text),
  timewaitMore: text(q('#timewait-more')),
  timelineNote: text(q('#timeline p.note')),
  timeline: labels('#timeline-chart'),
  timelineCovered: covered('#timeline-chart'),
  timelineLegend: all('#timeline-legend span').map(text),
  timelineMore: text(q('#timeline-more')),
  histogram: labels('#histogram-chart'),
  histogramBins: all('#histogram-chart g').map(
    (g) => Array.from(g.querySelectorAll('text')).map(
      (t) => t.textContent.trim())),
  scripts: all('script').length,
  handlers: all('*').filter((e) => Array.from(e.attributes)
    .some((a) => a.name.toLowerCase().startsWith('on'))).length,
  height: document.documentElement.scrollHeight
};
