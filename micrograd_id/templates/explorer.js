// The explorer's script: it only replays steps that Python computed and wrote as data.
// Every string from the data goes in as textContent, never as markup, so a label
// such as an img tag with an onerror attribute shows as those characters and runs nothing.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("explorer-data").textContent);
  var steps = data.steps, last = steps.length - 1, current = 0, timer = null;
  var PLAY_INTERVAL_MS = 1100;

  function $(id) { return document.getElementById(id); }
  function num(x) { return String(Number(x.toPrecision(4))); }  // 4 significant digits, as the graph
  function make(tag, className, text) {
    var element = document.createElement(tag);
    if (className) element.className = className;
    if (text !== undefined) element.textContent = text;
    return element;
  }

  // Graphviz names each node and arrow in a <title>: "v3", "g_L0_N1", "v6->v4_op".
  var graph = document.querySelector(".graph svg"), byTitle = {};
  graph.querySelectorAll("g.node, g.edge").forEach(function (g) {
    var title = g.querySelector("title");
    if (title) byTitle[title.textContent] = g;
  });
  // In a Value's own box, the two texts that change: "data …" and "grad …".
  var fields = data.nodes.map(function (node) {
    var found = {}, box = byTitle[node.box];
    if (box && node.own) {
      box.querySelectorAll("text").forEach(function (text) {
        var words = text.textContent;
        if (words.indexOf("data ") === 0) found.data = text;
        else if (words.indexOf("grad ") === 0) found.grad = text;
      });
    }
    return found;
  });

  function mark(className, titles) {
    graph.querySelectorAll("." + className).forEach(function (g) { g.classList.remove(className); });
    titles.forEach(function (title) { if (byTitle[title]) byTitle[title].classList.add(className); });
  }

  // Step k's state is the start plus every change up to k: replayed, never undone by hand.
  function show(k) {
    current = Math.max(0, Math.min(last, k));
    var shown = data.nodes.map(function () { return {}; }), done = [];
    for (var s = 0; s <= current; s++) {
      steps[s].set.forEach(function (change) { shown[change[0]][change[1]] = change[2]; });
      done = done.concat(steps[s].done);
    }
    fields.forEach(function (field, i) {
      if (field.data) field.data.textContent = "data " + shown[i].data;
      if (field.grad) field.grad.textContent = "grad " + shown[i].grad;
    });
    var step = steps[current], box = function (i) { return data.nodes[i].box; };
    mark("done", done.map(box));
    mark("focus", step.focus.map(box));
    mark("active", step.edges);
    renderPanel(step);
    $("status").textContent = "step " + current + " of " + last;
    $("prev").disabled = current === 0;
    $("next").disabled = current === last;
  }

  function renderPanel(step) {
    $("step-title").textContent = step.title;
    $("lines").replaceChildren.apply($("lines"), step.lines.map(function (line) {
      var item = make("li", line.kind, line.text);
      if (line.node !== undefined) item.dataset.node = line.node;
      return item;
    }));
    $("explain").replaceChildren.apply($("explain"), step.explain.map(function (chain) {
      var details = make("details");
      details.open = true;
      details.append(make("summary", "", chain.name + " is " + chain.why + ". The chain rule for it:"),
                     make("pre", "", chain.text));
      return details;
    }));
  }

  function stop() {
    if (timer !== null) clearInterval(timer);
    timer = null;
    $("play").textContent = "Play";
  }
  function play() {
    if (current === last) show(0);
    $("play").textContent = "Pause";
    timer = setInterval(function () {
      show(current + 1);
      if (current === last) stop();
    }, PLAY_INTERVAL_MS);
  }

  $("prev").addEventListener("click", function () { stop(); show(current - 1); });
  $("next").addEventListener("click", function () { stop(); show(current + 1); });
  $("reset").addEventListener("click", function () { stop(); show(0); });
  $("play").addEventListener("click", function () { if (timer === null) play(); else stop(); });
  document.addEventListener("keydown", function (event) {
    if (event.target.closest && event.target.closest("input, textarea, select")) return;  // the slider has its own keys
    if (event.key === "ArrowRight") { stop(); show(current + 1); event.preventDefault(); }
    else if (event.key === "ArrowLeft") { stop(); show(current - 1); event.preventDefault(); }
  });
  show(0);

  // ----- training: E(w) at this step's input, the tangent of slope ∂E/∂w, the step −lr·∂E/∂w -----
  var training = data.training;
  if (!training) return;
  $("training").hidden = false;
  var slider = $("train-step"), chart = $("chart"), SVG = "http://www.w3.org/2000/svg";
  var W = 520, H = 300, left = 48, right = 26, top = 14, bottom = 36;
  slider.max = training.steps.length - 1;
  var maxE = 0;
  training.curves.forEach(function (c) { c.E.forEach(function (e) { maxE = Math.max(maxE, e); }); });
  maxE = maxE * 1.1 || 1;

  function svg(tag, attributes, text) {
    var element = document.createElementNS(SVG, tag);
    Object.keys(attributes).forEach(function (name) { element.setAttribute(name, attributes[name]); });
    if (text !== undefined) element.textContent = text;
    chart.appendChild(element);
    return element;
  }
  function curveAt(curve, w) {  // linear interpolation between the samples
    var ws = curve.w, n = ws.length - 1;
    var t = Math.max(0, Math.min(n, (w - ws[0]) / (ws[n] - ws[0]) * n)), i = Math.min(n - 1, Math.floor(t));
    return curve.E[i] + (curve.E[i + 1] - curve.E[i]) * (t - i);
  }

  function drawChart(step) {
    chart.querySelectorAll(":scope > :not(title)").forEach(function (e) { e.remove(); });
    if (step.curve === null || step.curve === undefined) return;
    var curve = training.curves[step.curve], w0 = curve.w[0], w1 = curve.w[curve.w.length - 1];
    var X = function (w) { return left + (w - w0) / (w1 - w0) * (W - left - right); };
    var Y = function (e) { return H - bottom - e / maxE * (H - top - bottom); };
    var defs = svg("defs", {}), clip = document.createElementNS(SVG, "clipPath");
    clip.id = "plot-area";
    var box = document.createElementNS(SVG, "rect");
    [["x", left], ["y", top], ["width", W - left - right], ["height", H - top - bottom]].forEach(function (a) { box.setAttribute(a[0], a[1]); });
    clip.appendChild(box); defs.appendChild(clip);
    var marker = document.createElementNS(SVG, "marker");
    [["id", "arrowhead"], ["viewBox", "0 0 10 10"], ["refX", "9"], ["refY", "5"], ["markerWidth", "7"],
     ["markerHeight", "7"], ["orient", "auto"]].forEach(function (a) { marker.setAttribute(a[0], a[1]); });
    var head = document.createElementNS(SVG, "path");
    head.setAttribute("d", "M0,0 L10,5 L0,10 z"); head.setAttribute("fill", "#d62728");
    marker.appendChild(head); defs.appendChild(marker);
    svg("line", {"class": "axis", x1: left, y1: H - bottom, x2: W - right, y2: H - bottom});
    svg("line", {"class": "axis", x1: left, y1: top, x2: left, y2: H - bottom});
    svg("text", {x: W - right, y: H - 8, "text-anchor": "end"}, training.param);
    svg("text", {x: 6, y: top + 8}, "E");
    [w0, (w0 + w1) / 2, w1].forEach(function (w) { svg("text", {x: X(w), y: H - bottom + 15, "text-anchor": "middle"}, num(w)); });
    [0, maxE / 1.1].forEach(function (e) { svg("text", {x: left - 4, y: Y(e) + 4, "text-anchor": "end"}, num(e)); });
    svg("polyline", {"class": "curve", points: curve.w.map(function (w, i) { return X(w) + "," + Y(curve.E[i]); }).join(" ")});
    svg("text", {x: left + 6, y: top + 12, fill: "#1f77b4"}, curve.label);
    var half = (w1 - w0) / 6, g = step.g;
    svg("line", {"class": "tangent", "clip-path": "url(#plot-area)", x1: X(step.w - half), y1: Y(step.E - g * half),
                 x2: X(step.w + half), y2: Y(step.E + g * half)});
    if (training.lr !== null && g !== 0) {
      var dw = -training.lr * g;
      svg("line", {"class": "step", "clip-path": "url(#plot-area)", "marker-end": "url(#arrowhead)",
                   x1: X(step.w), y1: Y(step.E), x2: X(step.w + dw), y2: Y(step.E + g * dw)});
      svg("circle", {cx: X(step.w + dw), cy: Y(curveAt(curve, step.w + dw)), r: 4, fill: "#fff", stroke: "#d62728", "stroke-width": 2});
    }
    svg("circle", {cx: X(step.w), cy: Y(step.E), r: 5, fill: "#d62728"});
  }

  function showTraining(k) {
    var step = training.steps[k], p = training.param;
    $("train-readout").textContent = "step " + step.k + " (" + (k + 1) + " of " + training.steps.length + ")";
    var body = $("train-values").tBodies[0];
    body.replaceChildren.apply(body, step.values.map(function (pair) {
      var row = make("tr");
      row.append(make("th", "", pair[0]), make("td", "", pair[1]));
      return row;
    }));
    var line = "";
    if (training.lr !== null) {
      var next = step.w - training.lr * step.g;
      line = "The tangent's slope is ∂E/∂" + p + " = " + num(step.g) + "; the step −lr·∂E/∂" + p +
        " = " + num(-training.lr * step.g) + " (lr = " + num(training.lr) + ") moves " + p +
        " to " + num(next) + (step.g < 0 ? ": the tangent falls to the right, so " + p + " grows and E falls."
        : step.g > 0 ? ": the tangent rises to the right, so " + p + " shrinks and E falls." : ".");
    }
    $("train-step-line").textContent = line;
    $("train-why").textContent = step.why;
    $("train-why").hidden = !step.why;
    drawChart(step);
  }
  $("train-notes").replaceChildren.apply($("train-notes"), training.notes.map(function (note) { return make("li", "why", note); }));
  slider.addEventListener("input", function () { showTraining(Number(slider.value)); });
  showTraining(0);
})();
