// The explorer's script. Python wrote the steps and every word; this script keeps the numbers
// (the engine's, or recomputed by the graph's own JavaScript when the learner changes a leaf),
// shows the state after each step, and moves the view of the drawing. Every string from the
// data goes in as textContent, never as markup, so a label such as an img tag with an onerror
// attribute shows as those characters and runs nothing.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("explorer-data").textContent);
  // The graph's program and each op's local derivatives, written by the compiler (null: live mode is off).
  var programs = typeof EXPLORER_LIVE === "undefined" ? null : EXPLORER_LIVE;  // eslint-disable-line no-undef
  var live = programs && data.live;
  var WORDS = data.words, nodes = data.nodes, edges = data.edges, groups = data.groups;
  var PLAY_INTERVAL_MS = 1100;

  function $(id) { return document.getElementById(id); }
  function make(tag, className, text) {
    var element = document.createElement(tag);
    if (className) element.className = className;
    if (text !== undefined) element.textContent = text;
    return element;
  }
  function fill(template, values) {  // a sentence of WORDS with its {names} filled in
    return template.replace(/\{(\w+)\}/g, function (all, key) { return key in values ? values[key] : all; });
  }
  var NONFINITE = {"inf": Infinity, "-inf": -Infinity, "nan": NaN};
  function real(x) { return typeof x === "string" ? NONFINITE[x] : x; }
  // Numbers as the graph writes them (4 digits) and as the steps write them (6); nan and inf as text.
  function format(x, digits, operand) {
    if (isNaN(x)) return WORDS.undefined;
    var text = isFinite(x) ? (x === 0 ? "0" : String(Number(x.toPrecision(digits)))) : (x > 0 ? "inf" : "-inf");
    return operand && text.charAt(0) === "-" ? "(" + text + ")" : text;
  }

  // ----- the numbers: values, gradients, local derivatives and products per edge -------------
  var numbers = {values: data.values.map(real), grads: data.grads.map(real),
                 locals: data.locals.map(real), products: data.products.map(real)};
  var before = [], after = [];  // each edge's input gradient before and after the edge adds to it
  var inputEdges = nodes.map(function () { return []; }), uses = nodes.map(function () { return 0; });
  var seen = [];  // edge k is use number seen[k] of its input, of uses[input] in all
  edges.forEach(function (edge, k) { inputEdges[edge[0]].push(k); uses[edge[1]] += 1; seen[k] = uses[edge[1]]; });
  function sums() {
    var partial = nodes.map(function () { return 0; });
    edges.forEach(function (edge, k) {
      before[k] = partial[edge[1]];
      partial[edge[1]] += numbers.products[k];
      after[k] = partial[edge[1]];
    });
  }
  sums();

  var VALUE_OF = {
    v: function (i) { return numbers.values[i]; }, g: function (i) { return numbers.grads[i]; },
    d: function (k) { return numbers.locals[k]; }, c: function (k) { return numbers.products[k]; },
    a: function (k) { return after[k]; }
  };
  function text(pieces) {  // Python's pieces: strings, and [code, index(, operand)] for numbers
    return pieces.map(function (piece) {
      return typeof piece === "string" ? piece : format(VALUE_OF[piece[0]](piece[1]), 6, piece[2] === 1);
    }).join("");
  }
  var ROOT = nodes[0].operand || nodes[0].name;
  function operand(i) { return nodes[i].operand || nodes[i].name; }

  // ----- an operation's step: a reference to its node, written with WORDS and today's numbers --
  function opStep(kind, i) {
    var ks = inputEdges[i], children = ks.map(function (k) { return edges[k][1]; });
    return kind === "forward" ? {kind: kind, node: i, active: [i], focus: children, computed: [i]}
                              : {kind: kind, node: i, active: [i], focus: children, passed: ks, predict: ks[0]};
  }
  function slots(k, inputName) {  // what the op sentences say about edge k (the arrow into input c of node i)
    var i = edges[k][0], c = edges[k][1], g = numbers.grads[i];
    return {op: nodes[i].op, name: nodes[i].name, out: operand(i), root: ROOT,
            "in": inputName || operand(c), inName: inputName || nodes[c].name, formula: edges[k][2], value: format(numbers.values[c], 6),
            d: format(numbers.locals[k], 6), dOp: format(numbers.locals[k], 6, true), gOp: format(g, 6, true),
            before: format(before[k], 6, true), after: format(after[k], 6), c: format(numbers.products[k], 6),
            uses: uses[c], seen: seen[k]};
  }
  function opTitle(step) {
    var node = nodes[step.node];
    return fill(step.kind === "forward" ? WORDS.forwardTitle : WORDS.backwardTitle, {name: node.name, op: node.op});
  }
  function opLines(step) {  // [[kind, text, input node]] for one operation's step
    var i = step.node, node = nodes[i];
    if (step.kind === "forward") {
      var inputs = inputEdges[i].map(function (k) { return format(numbers.values[edges[k][1]], 6, true); });
      var withNumbers = node.notation.replace(/\{(\d+)\}/g, function (all, j) { return j < inputs.length ? inputs[j] : all; });
      return [["value", fill(node.expr ? WORDS.forwardLabelled : WORDS.forward,
                             {name: node.name, expr: node.expr, numbers: withNumbers, value: format(numbers.values[i], 6)})]];
    }
    var lines = [["arriving", fill(WORDS.arriving, {op: node.op, name: node.name, out: operand(i), root: ROOT,
                                                     arrived: format(numbers.grads[i], 6)})]];
    if (numbers.grads[i] === 0) lines.push(["why", fill(WORDS.nothingArrives, {out: operand(i), root: ROOT})]);
    inputEdges[i].forEach(function (k) {
      var s = slots(k), c = edges[k][1], why = edges[k][3];
      lines.push(["local", fill(s.formula ? WORDS.local : WORDS.localNumber, s)]);
      lines.push(["contribution", fill(WORDS.contribution, s), c]);
      if (uses[c] > 1) lines.push(["accumulate", fill(WORDS.accumulate, s)]);
      if (seen[k] === uses[c]) lines.push(["done", fill(WORDS.done, s)]);
      if (whyFlat(k)) lines.push(["why", whyFlat(k)]);
    });
    return lines;
  }
  function whyFlat(k) {  // why (almost) nothing passes along edge k, when the numbers say so; else ""
    var why = edges[k][3], i = edges[k][0];
    var shown = why === "saturated" ? Math.abs(numbers.locals[k]) < data.saturated
                                    : why && numbers.products[k] === 0 && numbers.grads[i] !== 0;
    return shown ? fill(WORDS.why[why], slots(k)) : "";
  }
  data.steps.forEach(function (step, n) {
    if (step.node !== undefined) data.steps[n] = opStep(step.kind, step.node);
    if (step.inner) step.inner = step.inner.map(function (i) { return opStep(step.kind, i); });
  });

  // ----- the drawing: which SVG text shows which number -----------------------------------
  var svg = document.querySelector("#viewport svg"), byTitle = {};
  svg.querySelectorAll("g.node, g.edge").forEach(function (g) {
    var title = g.querySelector("title");
    if (title) byTitle[title.textContent] = g;
  });
  function textsOf(box, start) {
    return box ? Array.prototype.filter.call(box.querySelectorAll("text"), function (t) {
      return t.textContent.indexOf(start) === 0;
    }) : [];
  }
  var fields = nodes.map(function (node) {
    var box = node.own ? byTitle[node.box] : null;
    return {data: textsOf(box, "data ")[0], grad: textsOf(box, "grad ")[0]};
  });
  var boxes = Object.keys(groups).map(function (key) {
    var group = groups[key], box = byTitle[group.box];
    return {group: group, out: textsOf(box, "out ")[0], grad: textsOf(box, "grad ")[0],
            params: box ? Array.prototype.filter.call(box.querySelectorAll("text"), function (t) {
              return t.textContent.indexOf("max |grad| ") > 0;
            })[0] : null};
  });
  boxes.forEach(function (b) { if (b.params) b.paramsHead = b.params.textContent.split("max |grad| ")[0] + "max |grad| "; });
  var arrows = edges.map(function (edge) {  // an arrow's label: "formula = number", or the number alone
    var g = byTitle[edge[4]], label = g ? g.querySelector("text") : null;
    if (!label) return {g: g};
    var words = label.textContent, cut = words.lastIndexOf(" = ");
    return {g: g, label: label, prefix: cut >= 0 ? words.slice(0, cut + 3) : ""};
  });

  // ----- the steps: boxes the learner opened show their ops' steps instead ------------------
  var opened = {}, flat = [], current = 0, timer = null, selected = null;
  function flatten() {
    flat = [];
    data.steps.forEach(function (step) {
      if (step.box && opened[step.box] && step.inner) step.inner.forEach(function (s) { s.within = step.box; flat.push(s); });
      else flat.push(step);
    });
  }
  flatten();

  function state(upto) {  // what is known after flat[0..upto]: replayed from the start, never undone by hand
    var known = {computed: {}, passed: {}, received: {}, count: nodes.map(function () { return 0; }), seeded: false};
    for (var s = 0; s <= upto; s++) {
      var step = flat[s];
      (step.computed || []).forEach(function (i) { known.computed[i] = true; });
      (step.passed || []).forEach(function (k) {
        known.passed[k] = true; known.received[edges[k][1]] = true; known.count[edges[k][1]] += 1;
      });
      if (step.seed) known.seeded = true;
    }
    return known;
  }

  // A box was sized for the numbers it was drawn with; a longer number is squeezed into that room.
  function setText(element, words) {
    if (element.room === undefined) element.room = element.getComputedTextLength() + 3;
    element.textContent = words;
    element.removeAttribute("textLength");
    if (element.getComputedTextLength() > element.room) {
      element.setAttribute("textLength", element.room);
      element.setAttribute("lengthAdjust", "spacingAndGlyphs");
    }
  }
  function drawNumbers(known) {
    var partial = nodes.map(function () { return 0; });
    edges.forEach(function (edge, k) { if (known.passed[k]) partial[edge[1]] += numbers.products[k]; });
    if (known.seeded) partial[0] += 1;
    var hasGrad = function (i) { return known.received[i] || (i === 0 && known.seeded); };
    var hasValue = function (i) { return nodes[i].leaf !== undefined || inputEdges[i].length === 0 || known.computed[i]; };
    fields.forEach(function (field, i) {
      if (field.data) setText(field.data, "data " + (hasValue(i) ? format(numbers.values[i], 4) : "?"));
      if (field.grad) setText(field.grad, "grad " + (hasGrad(i) ? format(partial[i], 4) : "?"));
    });
    boxes.forEach(function (b) {
      var out = b.group.outputs[0];
      if (b.out && out !== undefined) setText(b.out, "out " + (hasValue(out) ? format(numbers.values[out], 4) : "?"));
      if (b.grad && out !== undefined) setText(b.grad, "grad " + (hasGrad(out) ? format(partial[out], 4) : "?"));
      if (b.params) {
        var top = null;
        b.group.params.forEach(function (p) {
          if (hasGrad(p[0]) && (top === null || !(Math.abs(partial[p[0]]) <= Math.abs(partial[top[0]])))) top = p;
        });
        setText(b.params, b.paramsHead + (top === null ? "?" : format(Math.abs(partial[top[0]]), 4) +
          (b.group.params.length > 1 && partial[top[0]] !== 0 ? " (" + top[1] + ")" : "")));
      }
    });
    arrows.forEach(function (arrow, k) {
      if (!arrow.label) return;
      var shown = known.computed[edges[k][0]];
      arrow.label.textContent = shown ? arrow.prefix + format(numbers.locals[k], 4) : "";
    });
    var done = {};
    nodes.forEach(function (node, i) { if ((i === 0 && known.seeded) || (uses[i] > 0 && known.count[i] === uses[i])) done[node.box] = true; });
    return done;
  }

  function mark(className, titles) {
    svg.querySelectorAll("." + className).forEach(function (g) { g.classList.remove(className); });
    titles.forEach(function (title) { if (byTitle[title]) byTitle[title].classList.add(className); });
  }
  function boxesOf(indices) { return indices.map(function (i) { return nodes[i].box; }); }
  function arrowsOf(step) {
    var ks = (step.passed || []).slice();
    (step.computed || []).forEach(function (i) { ks = ks.concat(inputEdges[i]); });
    return ks.map(function (k) { return edges[k][4]; });
  }

  // Step k: the state after it, the marks on the drawing, the panel. In predict mode a backward
  // step first shows the state before it and asks for the sign of what it will add.
  function show(k) {
    current = Math.max(0, Math.min(flat.length - 1, k));
    var step = flat[current], pending = predicting(step);
    var done = drawNumbers(state(pending ? current - 1 : current));
    mark("done", Object.keys(done));
    mark("focus", boxesOf(step.focus || []));
    mark("active", pending ? [] : arrowsOf(step));
    svg.querySelectorAll("[data-active]").forEach(function (g) { g.removeAttribute("data-active"); });
    var active = [];
    boxesOf(step.active || []).forEach(function (title) {
      [title, title + "_op"].forEach(function (t) {
        if (byTitle[t] && active.indexOf(byTitle[t]) < 0) { byTitle[t].setAttribute("data-active", ""); active.push(byTitle[t]); }
      });
    });
    renderPanel(step, pending);
    $("status").textContent = fill(WORDS.status, {k: current, n: flat.length - 1});
    $("prev").disabled = current === 0;
    $("next").disabled = current === flat.length - 1;
    follow(active.length ? active : (step.focus || []).map(function (i) { return byTitle[nodes[i].box]; }).filter(Boolean));
  }

  function renderPanel(step, pending) {
    $("step-title").textContent = step.node !== undefined ? opTitle(step) : text(step.title);
    var hidden = pending ? {contribution: 1, done: 1, accumulate: 1, why: 1} : {};
    var lines = step.node !== undefined ? opLines(step) : [];
    (step.lines || []).forEach(function (line) {
      if (line.edge === undefined) lines.push([line.kind, text(line.text)]);
      else if (whyFlat(line.edge)) lines.push(["why", whyFlat(line.edge)]);
    });
    var items = lines.filter(function (line) { return !hidden[line[0]]; }).map(function (line) {
      var item = make("li", line[0], line[1]);
      if (line[2] !== undefined) item.dataset.node = line[2];
      return item;
    });
    $("lines").replaceChildren.apply($("lines"), items);
    var table = $("box-table");
    table.hidden = !step.table || pending;
    if (step.table && !pending) {
      table.caption.textContent = step.table.caption;
      var head = make("tr");
      step.table.head.forEach(function (h) { head.append(make("th", "", h)); });
      table.tHead.replaceChildren(head);
      table.tBodies[0].replaceChildren.apply(table.tBodies[0], step.table.rows.map(function (row) {
        var tr = make("tr");
        row.forEach(function (cell) { tr.append(make("td", "", typeof cell === "string" ? cell : text([cell]))); });
        return tr;
      }));
    }
    var box = step.box || step.within || (selected && groupOf(selected));
    $("box-line").hidden = !box;
    if (box) {
      $("box-text").textContent = fill(opened[box] ? WORDS.boxOpen : WORDS.boxClosed, {box: box});
      $("open-box").textContent = fill(opened[box] ? WORDS.closeBox : WORDS.openBox, {box: box});
      $("open-box").dataset.box = box;
    }
    $("predict").hidden = !pending;
    if (pending) $("predict-question").textContent = fill(WORDS.ask, slots(step.predict, step.sum));
    $("verdict").hidden = !step.verdict || pending;
    if (step.verdict) $("verdict").textContent = step.verdict;
  }

  function groupOf(title) {
    return Object.keys(groups).filter(function (key) { return groups[key].box === title; })[0];
  }
  function toggleBox(box) {
    var step = flat[current], anchor = step.within === box ? data.steps.filter(function (s) {
      return s.box === box && s.kind === step.kind;
    })[0] : step;
    opened[box] = !opened[box];
    flatten();
    var at = flat.indexOf(anchor);
    if (at < 0) at = flat.findIndex(function (s) { return s.within === box && s.kind === anchor.kind; });
    show(at < 0 ? current : at);
  }
  $("open-box").addEventListener("click", function () { stop(); toggleBox(this.dataset.box); });

  // ----- predict, then reveal --------------------------------------------------------------
  function predicting(step) {
    return $("predict-mode").checked && step.predict !== undefined && !step.verdict;
  }
  document.querySelectorAll("#predict [data-sign]").forEach(function (button) {
    button.addEventListener("click", function () {
      var step = flat[current], truth = numbers.products[step.predict];
      var sign = truth > 0 ? 1 : truth < 0 ? -1 : 0, guess = Number(button.dataset.sign);
      var value = $("predict-value").value, words = [guess === sign ? WORDS.right : WORDS.wrong];
      if (value !== "" && isFinite(Number(value))) words.push(fill(WORDS.yourValue, {value: format(Number(value), 6)}));
      words.push(fill(WORDS.answer, slots(step.predict, step.sum)));
      step.verdict = words.join(" ");
      $("predict-value").value = "";
      show(current);
    });
  });
  $("predict-mode").addEventListener("change", function () { show(current); });

  // ----- stepping --------------------------------------------------------------------------
  function stop() {
    if (timer !== null) clearInterval(timer);
    timer = null;
    $("play").textContent = WORDS.play;
  }
  function play() {
    if (current === flat.length - 1) show(0);
    $("play").textContent = WORDS.pause;
    timer = setInterval(function () {
      show(current + 1);
      if (current === flat.length - 1) stop();
    }, PLAY_INTERVAL_MS);
  }
  function reset() {
    data.steps.forEach(function (s) { delete s.verdict; (s.inner || []).forEach(function (t) { delete t.verdict; }); });
    show(0);
  }
  $("prev").addEventListener("click", function () { stop(); show(current - 1); });
  $("next").addEventListener("click", function () { stop(); show(current + 1); });
  $("reset").addEventListener("click", function () { stop(); reset(); });
  $("play").addEventListener("click", function () { if (timer === null) play(); else stop(); });
  document.addEventListener("keydown", function (event) {
    if (event.target.closest && event.target.closest("input, textarea, select")) return;  // inputs keep their keys
    if (event.key === "ArrowRight") { stop(); show(current + 1); event.preventDefault(); }
    else if (event.key === "ArrowLeft") { stop(); show(current - 1); event.preventDefault(); }
  });

  // ----- the view of the drawing: zoom, pan, and follow the step ----------------------------
  var viewport = $("viewport"), whole = svg.viewBox.baseVal;
  whole = {x: whole.x, y: whole.y, width: whole.width, height: whole.height};
  svg.removeAttribute("width");
  svg.removeAttribute("height");
  var READABLE = 0.8;  // screen pixels per point below which the drawing's 11 pt text gets hard to read
  var MARGIN = 24;     // points kept around what the step acts on
  var view = {x: whole.x + whole.width / 2, y: whole.y + whole.height / 2, scale: 1};
  function size() { return {w: viewport.clientWidth || 1, h: viewport.clientHeight || 1}; }
  function apply() {  // the window onto the drawing; it never wanders off the drawing's edges
    var s = size(), w = s.w / view.scale, h = s.h / view.scale;
    view.x = w >= whole.width ? whole.x + whole.width / 2 : Math.max(whole.x + w / 2, Math.min(whole.x + whole.width - w / 2, view.x));
    view.y = h >= whole.height ? whole.y + whole.height / 2 : Math.max(whole.y + h / 2, Math.min(whole.y + whole.height - h / 2, view.y));
    svg.setAttribute("viewBox", [view.x - w / 2, view.y - h / 2, w, h].join(" "));
  }
  function fitScale() { var s = size(); return Math.min(s.w / whole.width, s.h / whole.height, 2); }
  function fitAll() { view = {x: whole.x + whole.width / 2, y: whole.y + whole.height / 2, scale: fitScale()}; apply(); }
  function zoom(factor, px, py) {  // keep the point under (px, py) where it is
    var s = size();
    if (px === undefined) { px = s.w / 2; py = s.h / 2; }
    var ux = view.x + (px - s.w / 2) / view.scale, uy = view.y + (py - s.h / 2) / view.scale;
    view.scale = Math.max(fitScale() / 2, Math.min(8, view.scale * factor));
    view.x = ux - (px - s.w / 2) / view.scale;
    view.y = uy - (py - s.h / 2) / view.scale;
    apply();
  }
  function extent(elements) {  // the drawing's coordinates of what elements cover
    var frame = viewport.getBoundingClientRect(), s = size(), box = null;
    elements.forEach(function (element) {
      var r = element.getBoundingClientRect();
      var x0 = view.x + (r.left - frame.left - s.w / 2) / view.scale, y0 = view.y + (r.top - frame.top - s.h / 2) / view.scale;
      var x1 = x0 + r.width / view.scale, y1 = y0 + r.height / view.scale;
      box = box ? {x0: Math.min(box.x0, x0), y0: Math.min(box.y0, y0), x1: Math.max(box.x1, x1), y1: Math.max(box.y1, y1)}
                : {x0: x0, y0: y0, x1: x1, y1: y1};
    });
    return box;
  }
  function follow(elements) {  // pan (and zoom out if need be) so the step's boxes are in the window
    var box = extent(elements);
    if (!box) return;
    var s = size(), w = s.w / view.scale, h = s.h / view.scale;
    var inside = box.x0 - MARGIN >= view.x - w / 2 && box.x1 + MARGIN <= view.x + w / 2 &&
                 box.y0 - MARGIN >= view.y - h / 2 && box.y1 + MARGIN <= view.y + h / 2;
    if (inside) return;
    var needed = Math.min(s.w / (box.x1 - box.x0 + 2 * MARGIN), s.h / (box.y1 - box.y0 + 2 * MARGIN));
    if (needed < view.scale) view.scale = Math.max(needed, Math.min(READABLE, view.scale), fitScale() / 2);
    view.x = (box.x0 + box.x1) / 2;
    view.y = (box.y0 + box.y1) / 2;
    apply();
  }
  $("zoom-in").addEventListener("click", function () { zoom(1.25); });
  $("zoom-out").addEventListener("click", function () { zoom(1 / 1.25); });
  $("fit").addEventListener("click", fitAll);
  viewport.addEventListener("wheel", function (event) {
    var frame = viewport.getBoundingClientRect();
    zoom(event.deltaY < 0 ? 1.15 : 1 / 1.15, event.clientX - frame.left, event.clientY - frame.top);
    event.preventDefault();
  }, {passive: false});
  var drag = null;
  viewport.addEventListener("pointerdown", function (event) {
    drag = {x: event.clientX, y: event.clientY, moved: false};
    viewport.setPointerCapture(event.pointerId);
  });
  viewport.addEventListener("pointermove", function (event) {
    if (!drag) return;
    var dx = event.clientX - drag.x, dy = event.clientY - drag.y;
    if (!drag.moved && Math.abs(dx) + Math.abs(dy) < 4) return;
    drag.moved = true;
    viewport.classList.add("dragging");
    view.x -= dx / view.scale; view.y -= dy / view.scale;
    drag.x = event.clientX; drag.y = event.clientY;
    apply();
  });
  viewport.addEventListener("pointerup", function (event) {
    var moved = drag && drag.moved;
    drag = null;
    viewport.classList.remove("dragging");
    if (moved) return;
    var hit = document.elementFromPoint(event.clientX, event.clientY), g = hit && hit.closest("g.node");
    select(g ? g.querySelector("title").textContent : null);
  });
  window.addEventListener("resize", apply);

  // ----- what if: the leaves as inputs, recomputed by the graph's own program ---------------
  var leaves = [];
  nodes.forEach(function (node, i) { if (node.leaf !== undefined) leaves.push(i); });
  var program = live ? programs.graph : null, leafValues = {};
  leaves.forEach(function (i) { leafValues[i] = numbers.values[i]; });
  function recompute() {  // every number again, from the leaves: the program's values and gradients
    var result = program.apply(null, leaves.map(function (i) { return leafValues[i]; }));
    numbers.values = result.values; numbers.grads = result.grads;
    numbers.locals = edges.map(function (edge, k) {
      var local = programs.locals[live.localOf[k][0]];
      return local.apply(null, live.localOf[k][1].map(function (c) { return numbers.values[c]; }))[live.localOf[k][2]];
    });
    numbers.products = edges.map(function (edge, k) { return numbers.grads[edge[0]] * numbers.locals[k]; });
    sums();
  }
  function liveInputs() {
    var shown = !program ? [] : leaves.length <= data.liveAll ? leaves : leaves.filter(function (i) {
      return selected !== null && nodes[i].box === selected;
    });
    shown = shown.slice().sort(function (i, j) { return naturally(nodes[i].leaf, nodes[j].leaf); });  // leaves keeps the program's order
    var inputs = shown.map(function (i) {
      var label = make("label", "", nodes[i].leaf + " "), input = make("input");
      input.type = "number"; input.step = "any"; input.value = String(leafValues[i]); input.dataset.node = i;
      input.addEventListener("change", function () {
        var x = Number(input.value);
        if (input.value === "" || !isFinite(x)) { input.value = String(leafValues[i]); return; }
        leafValues[i] = x;
        recompute();
        show(current);
        readout();
      });
      label.append(input);
      return label;
    });
    $("live-inputs").replaceChildren.apply($("live-inputs"), inputs);
    $("live-note").textContent = !program ? data.liveNote : inputs.length ? WORDS.liveOn : WORDS.liveSelect;
  }
  function naturally(a, b) {  // "L0.N0.w2" before "L0.N0.w10"
    return a.localeCompare(b, undefined, {numeric: true});
  }
  function readout() {
    if (!program) { $("live-readout").textContent = ""; return; }
    var root = nodes[0].name, parts = [root + " = " + format(numbers.values[0], 6)];
    var shown = $("live-inputs").querySelectorAll("input");
    shown.forEach(function (input) {
      var i = Number(input.dataset.node);
      parts.push(fill(WORDS.liveGrad, {root: root, leaf: nodes[i].name, grad: format(numbers.grads[i], 6)}));
    });
    $("live-readout").textContent = parts.join("; ");
  }
  function select(title) {
    selected = title;
    mark("selected", title ? [title] : []);
    liveInputs();
    readout();
    show(current);
  }
  liveInputs();
  readout();

  fitAll();
  if (fitScale() < READABLE) { view.scale = 1; apply(); }  // a phone: readable text around the step, not all of it
  show(0);

  // ----- training: replayed from the same start at the chosen learning rate ----------------
  var training = data.training;
  if (data.trainingNote) { $("training-note").hidden = false; $("training-note").textContent = data.trainingNote; }
  if (!training) return;
  $("training").hidden = false;
  explorerTraining({  // explorer-training.js, included before this script
    words: WORDS, training: training, program: program, inputs: live ? leaves : [],
    leafValues: leafValues, format: format, fill: fill, make: make, real: real,
    load: function (values) {  // a training step's leaves into the graph above, computed to the end
      Object.keys(values).forEach(function (i) { leafValues[i] = values[i]; });
      recompute(); liveInputs(); readout(); show(flat.length - 1);
    }
  });
})();
