// The explorer's training panel. Training is replayed here, from the history's first row, at the
// learning rate the learner types: each step runs the graph's program at that step's inputs and
// moves the parameters as train()'s SGD does (with the history's momentum). The chart is E along
// the first parameter, computed by the same program with the step's other leaves fixed.
function explorerTraining(ctx) {  // eslint-disable-line no-unused-vars
  "use strict";
  var T = ctx.training, WORDS = ctx.words, format = ctx.format, fill = ctx.fill, make = ctx.make, real = ctx.real;
  T.rows.forEach(function (row) {  // nan and inf arrive as text
    row.E = real(row.E); row.p = row.p.map(real); row.g = row.g.map(real); row.feed = row.feed.map(real);
  });
  var SVGNS = "http://www.w3.org/2000/svg", CURVE_POINTS = 121;
  var chart = document.getElementById("chart"), slider = document.getElementById("train-step");
  var rateInput = document.getElementById("learning-rate");
  var first = T.parameters[0].name;
  var canReplay = Boolean(ctx.program) && T.replay;

  function leavesAt(feed, params) {  // the program's inputs: the graph's leaves, with this step's put in
    var values = {};
    Object.keys(ctx.leafValues).forEach(function (i) { values[i] = ctx.leafValues[i]; });
    T.feeds.forEach(function (f, j) { f.nodes.forEach(function (i) { values[i] = feed[j]; }); });
    T.parameters.forEach(function (p, j) { p.nodes.forEach(function (i) { values[i] = params[j]; }); });
    return values;
  }
  function run(feed, params) {  // {E, g}: the error and its gradient per parameter
    var values = leavesAt(feed, params);
    var result = ctx.program.apply(null, ctx.inputs.map(function (i) { return values[i]; }));
    return {E: result.values[0], g: T.parameters.map(function (p) {
      return p.nodes.reduce(function (sum, i) { return sum + result.grads[i]; }, 0);
    })};
  }
  function recorded() {
    return T.rows.map(function (row) { return {step: row.step, feed: row.feed, p: row.p, E: row.E, g: row.g}; });
  }
  function replay(lr) {  // train()'s loop: row k's inputs, gradient, then p -= lr * (velocity)
    var p = T.rows[0].p.slice(), velocity = p.map(function () { return 0; }), out = [];
    for (var k = 0; k < T.rows.length; k++) {
      var row = T.rows[k], at = run(row.feed, p);
      out.push({step: row.step, feed: row.feed, p: p.slice(), E: at.E, g: at.g});
      if (!isFinite(at.E) || !at.g.every(isFinite)) break;
      p = p.map(function (value, j) {
        velocity[j] = T.momentum ? T.momentum * velocity[j] + at.g[j] : at.g[j];
        return value - lr * velocity[j];
      });
    }
    return out;
  }
  function same(a, b) { return a === b || Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b)); }
  if (canReplay) {  // a history recorded on another graph cannot be replayed on this one
    var check = run(T.rows[0].feed, T.rows[0].p);
    canReplay = same(check.E, T.rows[0].E) && check.g.every(function (g, j) { return same(g, T.rows[0].g[j]); });
    if (!canReplay) T.notes.push(WORDS.otherGraph);
  }
  if (!canReplay && !ctx.program) T.notes.push(WORDS.noProgram);

  // The regime of a run, from E summed over one pass through the samples, pass after pass,
  // beside E at the start: falling slowly, falling, rising on the way down, or ending higher.
  var samples = [];
  T.rows.forEach(function (row) {
    var key = JSON.stringify(row.feed);
    if (samples.every(function (s) { return JSON.stringify(s) !== key; })) samples.push(row.feed);
  });
  function regime(trace, rate) {
    if (!canReplay) return "";
    var start = samples.reduce(function (sum, feed) { return sum + run(feed, T.rows[0].p).E; }, 0);
    var totals = [start], rises = 0;
    for (var k = 0; k + samples.length <= trace.length; k += samples.length) {
      totals.push(trace.slice(k, k + samples.length).reduce(function (sum, s) { return sum + s.E; }, 0));
    }
    totals.forEach(function (total, j) { if (j > 1 && total > totals[j - 1] * (1 + 1e-9)) rises += 1; });
    var last = totals[totals.length - 1];
    var name = trace.length < T.rows.length || !isFinite(last) || last > start ? "diverge"
             : rises ? "overshoot" : start - last < 0.05 * start ? "crawl" : "converge";
    return fill(WORDS.regimes[name], {lr: format(rate, 6), rises: rises});
  }

  var steps = [], lr = T.lr;
  function replayAt(rate) {
    lr = rate;
    steps = canReplay && rate !== null ? replay(rate) : recorded();
    slider.max = steps.length - 1;
    if (Number(slider.value) > steps.length - 1) slider.value = String(steps.length - 1);
    document.getElementById("regime").textContent = rate === null ? WORDS.noRate : regime(steps, rate);
  }

  // ----- the chart -----------------------------------------------------------------------
  var W = 520, H = 300, left = 54, right = 20, top = 16, bottom = 40;
  function el(tag, attributes, words) {
    var element = document.createElementNS(SVGNS, tag);
    Object.keys(attributes).forEach(function (name) { element.setAttribute(name, attributes[name]); });
    if (words !== undefined) element.textContent = words;
    chart.appendChild(element);
    return element;
  }
  function ticks(lo, hi) {  // about five round numbers (1, 2 or 5 times a power of ten) in [lo, hi]
    var raw = (hi - lo) / 5, power = Math.pow(10, Math.floor(Math.log10(raw))), unit = power;
    [1, 2, 5, 10].some(function (m) { unit = m * power; return unit >= raw; });
    var out = [];
    for (var t = Math.ceil(lo / unit) * unit; t <= hi + unit * 1e-9; t += unit) out.push(Number(t.toPrecision(12)));
    return out;
  }
  function drawChart(k) {
    chart.querySelectorAll(":scope > :not(title)").forEach(function (e) { e.remove(); });
    var s = steps[k], ws = steps.map(function (t) { return t.p[0]; }).filter(isFinite);
    var lo = Math.min.apply(null, ws), hi = Math.max.apply(null, ws), span = Math.max(hi - lo, 1);
    lo -= 0.3 * span; hi += 0.3 * span;
    var curve = [];
    if (canReplay) {
      for (var j = 0; j < CURVE_POINTS; j++) {
        var w = lo + (hi - lo) * j / (CURVE_POINTS - 1), params = s.p.slice();
        params[0] = w;
        curve.push([w, run(s.feed, params).E]);
      }
    }
    var es = curve.map(function (c) { return c[1]; }).concat(steps.map(function (t) { return t.E; })).filter(isFinite);
    var maxE = Math.max.apply(null, es.concat([0])) * 1.08 || 1;
    var X = function (w) { return left + (w - lo) / (hi - lo) * (W - left - right); };
    var Y = function (e) { return H - bottom - Math.min(e, maxE * 1.5) / maxE * (H - top - bottom); };
    var clip = el("clipPath", {id: "plot-area"});
    var area = document.createElementNS(SVGNS, "rect");
    [["x", left], ["y", top], ["width", W - left - right], ["height", H - top - bottom]].forEach(function (a) { area.setAttribute(a[0], a[1]); });
    clip.appendChild(area);
    el("line", {"class": "axis", x1: left, y1: H - bottom, x2: W - right, y2: H - bottom});
    el("line", {"class": "axis", x1: left, y1: top, x2: left, y2: H - bottom});
    el("text", {x: W - right, y: H - 6, "text-anchor": "end"}, first);
    el("text", {x: 6, y: top + 4}, "E");
    ticks(lo, hi).forEach(function (t) { el("text", {x: X(t), y: H - bottom + 16, "text-anchor": "middle"}, format(t, 4)); });
    ticks(0, maxE).forEach(function (t) { el("text", {x: left - 5, y: Y(t) + 4, "text-anchor": "end"}, format(t, 4)); });
    if (curve.length) {
      el("polyline", {"class": "curve", "clip-path": "url(#plot-area)", points: curve.filter(function (c) { return isFinite(c[1]); })
        .map(function (c) { return X(c[0]) + "," + Y(c[1]); }).join(" ")});
      el("text", {x: left + 6, y: top + 12, fill: "#1f77b4"}, fill(WORDS.curve, {p: first}));
    }
    var key = JSON.stringify(s.feed);  // the path on this curve: the steps so far with this step's inputs
    var path = steps.slice(0, k + 1).filter(function (t) {
      return JSON.stringify(t.feed) === key && isFinite(t.p[0]) && isFinite(t.E);
    });
    el("polyline", {"class": "path", "clip-path": "url(#plot-area)", points: path.map(function (t) { return X(t.p[0]) + "," + Y(t.E); }).join(" ")});
    path.forEach(function (t) { el("circle", {cx: X(t.p[0]), cy: Y(t.E), r: 2.5, fill: "#d62728", "clip-path": "url(#plot-area)"}); });
    if (isFinite(s.E) && isFinite(s.g[0])) {
      var half = (hi - lo) / 8;
      el("line", {"class": "tangent", "clip-path": "url(#plot-area)", x1: X(s.p[0] - half), y1: Y(s.E - s.g[0] * half),
                  x2: X(s.p[0] + half), y2: Y(s.E + s.g[0] * half)});
      el("circle", {cx: X(s.p[0]), cy: Y(s.E), r: 5, fill: "#d62728"});
    }
  }

  // ----- one training step, shown -----------------------------------------------------------
  function showStep(k) {
    var s = steps[k];
    document.getElementById("train-readout").textContent = fill(WORDS.trainStep, {step: s.step, last: steps[steps.length - 1].step});
    var rows = T.feeds.map(function (f, j) { return [f.name, s.feed[j]]; });
    T.parameters.forEach(function (p, j) { rows.push([p.name, s.p[j]]); });
    rows.push(["E", s.E]);
    T.parameters.forEach(function (p, j) { rows.push(["dE/d" + p.name, s.g[j]]); });
    var body = document.getElementById("train-values").tBodies[0];
    body.replaceChildren.apply(body, rows.map(function (pair) {
      var row = make("tr");
      row.append(make("th", "", pair[0]), make("td", "", format(pair[1], 6)));
      return row;
    }));
    var line = "";
    if (lr !== null && isFinite(s.g[0])) {
      line = fill(WORDS.stepLine, {p: first, g: format(s.g[0], 6), dw: format(-lr * s.g[0], 6, true),
                                   lr: format(lr, 6), next: format(s.p[0] - lr * s.g[0], 6)}) + " " +
             (s.g[0] < 0 ? fill(WORDS.grows, {p: first}) : s.g[0] > 0 ? fill(WORDS.shrinks, {p: first}) : fill(WORDS.still, {p: first}));
    }
    document.getElementById("train-step-line").textContent = line;
    drawChart(k);
  }
  function load(k) {  // the step's inputs and parameters into the graph above
    if (!canReplay) return;
    var s = steps[k];
    ctx.load(leavesAt(s.feed, s.p));
  }

  var notes = document.getElementById("train-notes");
  notes.replaceChildren.apply(notes, T.notes.concat([canReplay ? WORDS.trainingLink : ""]).filter(Boolean)
    .map(function (note) { return make("li", "why", note); }));
  rateInput.disabled = !canReplay;
  rateInput.value = T.lr === null ? "" : String(T.lr);
  rateInput.addEventListener("change", function () {
    var rate = Number(rateInput.value);
    if (rateInput.value === "" || !isFinite(rate) || rate < 0) { rateInput.value = lr === null ? "" : String(lr); return; }
    replayAt(rate);
    showStep(Number(slider.value));
  });
  slider.addEventListener("input", function () { showStep(Number(slider.value)); load(Number(slider.value)); });
  replayAt(T.lr);
  // Start at the step the graph above shows (its inputs and parameters), if the history has it.
  var shown = steps.findIndex(function (s) {
    var leaves = leavesAt(s.feed, s.p);
    return Object.keys(leaves).every(function (i) { return leaves[i] === ctx.leafValues[i]; });
  });
  slider.value = String(Math.max(shown, 0));
  showStep(Math.max(shown, 0));
}
