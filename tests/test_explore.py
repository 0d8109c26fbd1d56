"""The explorer page: its data, its escaping, its size, and how it behaves in a real browser.

The browser tests drive the system's Chromium with playwright (its own
browser download is often unreachable). They skip only when playwright or
Chromium is missing, and never in CI, which sets MICROGRAD_ID_REQUIRE_BROWSER.
"""

import json
import math
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from conftest import identity_net_error

from micrograd_id import Value, define_op, viz
import micrograd_id
from micrograd_id.engine import local_derivatives, topological_order
from micrograd_id.explore import _script_json, explore
from micrograd_id.identity import IdentityNet
from micrograd_id.losses import binary_cross_entropy, half_squared_error
from micrograd_id.nn import MLP
from micrograd_id.optim import SGD
from micrograd_id.train import train

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot program is not installed")
pytestmark = needs_dot
HOSTILE = ['</script><script>window.pwned = 1</script>', '<img src=x onerror="window.pwned = 2">',
           "<!--", "\u2028 & \u2029 ]]>"]

TEMPLATES = Path(micrograd_id.__file__).parent / "templates"


def page_data(page):
    """The JSON the page's script reads, decoded as the browser would."""
    text = re.search(r'<script type="application/json" id="explorer-data">(.*?)</script>', page.html, re.S).group(1)
    return json.loads(text)


def engine_walk(root):
    """[(op node, [(input, partial grad after this op's contribution)])]: reverse mode by hand."""
    grads, walk = {root: 1.0}, []
    for v in topological_order(root):
        if v.children:
            sums = []
            for c, d in zip(v.children, local_derivatives(v)):
                grads[c] = grads.get(c, 0.0) + grads[v] * d
                sums.append((c, grads[c]))
            walk.append((v, sums))
    return walk


# ----- the page as text -----------------------------------------------------------------

def test_json_in_a_script_cannot_close_it_and_decodes_to_the_same_text():
    data = {"label": "</script><!-- & \u2028\u2029 <b>"}
    text = _script_json(data)
    assert not re.search("[<>&\u2028\u2029]", text)
    assert json.loads(text) == data


def test_hostile_labels_reach_the_page_only_escaped():
    a, b = Value(2.0, label=HOSTILE[0]), Value(3.0, label=HOSTILE[1])
    out = a * b + Value(1.0, label=HOSTILE[2]) * Value(1.0, label=HOSTILE[3])
    out.label = "out"
    page = explore(out).html
    assert page.count("</script>") == 3  # the ends of the data, the program and the script, nothing else
    assert "<img src=x" not in page and "onerror=\"window" not in page
    assert HOSTILE[0] in json.dumps(page_data(explore(out)), ensure_ascii=False)  # decoded, the text is intact


def test_the_page_is_self_contained():
    _, E = identity_net_error()
    page = explore(E).html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page, re.I)
    assert "@import" not in page and "url(http" not in page
    assert "default-src 'none'" in page  # and the browser is told to fetch nothing at all


def test_page_size_for_the_identity_network_with_a_60_step_history_is_under_2_mib(tmp_path):
    _, E = identity_net_error()
    history = train(IdentityNet(0.3), xs=[0.0, 1.0], lr=2.0, steps=60)
    path = explore(E, history).save(tmp_path / "backprop.html")
    assert path.stat().st_size <= 2 * 1024 * 1024


def test_steps_walk_forward_then_backward_with_the_engines_numbers():
    _, E = identity_net_error()
    data = page_data(explore(E))
    order = topological_order(E)
    computed = [v for v in order if v.children]
    kinds = [s["kind"] for s in data["steps"]]
    assert kinds == ["start"] + ["forward"] * len(computed) + ["backward"] * (1 + len(computed))
    assert [s["node"] for s in data["steps"] if s["kind"] == "forward"] == [order.index(v) for v in reversed(computed)]
    assert [s["node"] for s in data["steps"][len(computed) + 2:]] == [order.index(v) for v in computed]
    # the edges in the order backward passes along them, with the engine's numbers bit for bit
    walk = [(v, c, total) for v, sums in engine_walk(E) for c, total in sums]
    assert [(order[v], order[c]) for v, c, *_ in data["edges"]] == [(v, c) for v, c, _ in walk]
    assert data["grads"] == [grad_of(E, v) for v in order]
    partial = {}
    for (v, c, total), product, local in zip(walk, data["products"], data["locals"]):
        partial[c] = partial.get(c, 0.0) + product
        assert partial[c] == total
        assert local == local_derivatives(v)[v.children.index(c)]


def grad_of(root, v):
    from micrograd_id import grad
    return 1.0 if v is root else grad(root, [v])[0]


def test_every_sentence_the_script_shows_is_written_in_python():
    script = (TEMPLATES / "explorer.js").read_text(encoding="utf-8")
    script += (TEMPLATES / "explorer-training.js").read_text(encoding="utf-8")
    strings = re.findall(r'"((?:[^"\\]|\\.)*)"', script)  # double-quoted strings (code uses no single quotes)
    prose = [s for s in strings if re.search(r"[A-Za-z]{3,} [A-Za-z]{3,} [A-Za-z]{3,}", s)]
    assert prose == []


def test_an_mlp_page_steps_once_per_neuron_box_each_way_and_stays_small():
    model = MLP(2, [16, 16, 1], seed=0)
    loss = half_squared_error(model([0.5, -1.0]), 1.0)
    page = explore(loss)
    data = page_data(page)
    boxes = [s for s in data["steps"] if s.get("box")]
    assert len(data["steps"]) <= 200 and len(page.html.encode()) <= 1024 * 1024
    assert {s["box"] for s in boxes} == {f"L{i}.N{j}" for i, n in enumerate([16, 16, 1]) for j in range(n)}
    assert len(boxes) == 2 * 33  # one step forward and one backward through each neuron
    backward = next(s for s in boxes if s["box"] == "L1.N3" and s["kind"] == "backward")
    names = [row[0] for row in backward["table"]["rows"]]
    assert names[:16] == [f"L0.N{k}" for k in range(16)]  # the inputs it hands back to, then its parameters
    assert sorted(names[16:]) == sorted([f"L1.N3.w{k}" for k in range(16)] + ["L1.N3.b"])
    assert len(backward["inner"]) == 16 + 16 + 1  # its ops: 16 products, 16 sums and the relu
    text = json.dumps(data, ensure_ascii=False)
    assert "⟨" not in text  # nodes are named by labels and short expressions


def test_the_page_is_refused_under_another_suffix(tmp_path):
    _, E = identity_net_error()
    with pytest.raises(ValueError, match=r"p\.txt.*\.html"):
        explore(E).save(tmp_path / "p.txt")
    assert not (tmp_path / "p.txt").exists()
    assert explore(E).save(tmp_path / "p.HTM").exists()


def test_histories_it_cannot_use_are_refused_clearly_or_left_out_with_a_note():
    from micrograd_id.train import History, fit
    net, E = identity_net_error()
    with pytest.raises(TypeError, match="row 1 is a list"):
        explore(E, History([{"step": 0}, [1, 2]]))
    with pytest.raises(ValueError, match="row 0 has no column 'E'"):
        explore(E, History([{"step": 0, "w": 0.3, "dE/dw": 0.1}], parameters=["w"]))
    model = MLP(2, [2, 1], seed=0)
    fitted = fit(model, np.array([[0.0, 1.0], [1.0, 0.0]]), np.array([0, 1]), loss=binary_cross_entropy,
                 optimizer=SGD(model.parameters(), lr=0.1), epochs=2)
    data = page_data(explore(E, fitted))
    assert "training" not in data and "fit() records one loss per epoch" in data["trainingNote"]
    recorded = History(train(IdentityNet(0.3), xs=[1.0], lr=1.0, steps=3).rows)  # as read back from a file
    training = page_data(explore(E, recorded))["training"]
    assert training["lr"] is None and training["replay"] and [p["name"] for p in training["parameters"]] == ["w"]
    other = train(IdentityNet(0.3, bias=0.0), xs=[1.0], lr=1.0, steps=3)  # b is no leaf of E's graph
    training = page_data(explore(E, other))["training"]
    assert not training["replay"] and "b is not a labelled leaf" in training["notes"][0]


def test_a_user_op_without_javascript_turns_live_mode_off_with_a_note():
    softplus = define_op("softplus", forward=lambda a: math.log1p(math.exp(a)),
                         rule=lambda g, out, a: (g * (1.0 - math.exp(-out)),))
    w = Value(0.3, label="w")
    data = page_data(explore(softplus(w) * 2.0))
    assert "live" not in data and "softplus" in data["liveNote"] and "\n" not in data["liveNote"]


def test_an_mlp_is_drawn_collapsed_and_a_too_big_graph_gets_draw_dots_error():
    model = MLP(2, [4, 1], seed=0)
    loss = half_squared_error(model([1.0, -1.0]), 1.0)
    data = page_data(explore(loss))
    assert any(node["box"].startswith("g_L0_N") and "own" not in node for node in data["nodes"])
    with pytest.raises(ValueError, match="max_nodes"):
        explore(loss, collapse=None, max_nodes=10)
    with pytest.raises(TypeError, match="explore needs a Value"):
        explore(1.0)


def test_a_million_node_chain_is_refused_before_it_is_ordered(monkeypatch):
    import micrograd_id.description as description

    v = Value(0.5, label="x")
    for _ in range(1_000_000):
        v = v * 1.0

    def no_ordering(root):
        raise AssertionError("the graph was ordered before the size check")

    monkeypatch.setattr(description, "topological_order", no_ordering)
    with pytest.raises(ValueError, match="more than 3000 Values.*max_nodes=3000"):
        explore(v)


@pytest.mark.parametrize("timeout", [float("nan"), 0.0, -5, "60"])
def test_a_timeout_that_is_not_a_positive_number_is_refused_first(timeout):
    _, E = identity_net_error()
    with pytest.raises(ValueError, match="timeout must be a positive number of seconds"):
        explore(E, timeout=timeout)


def test_without_dot_the_error_says_so(monkeypatch):
    _, E = identity_net_error()
    monkeypatch.setattr(viz.shutil, "which", lambda *args, **kwargs: None)
    with pytest.raises(viz.GraphvizNotFound, match="explorer's graph.*dot"):
        explore(E)


def test_repr_html_holds_the_whole_page_in_an_iframe():
    _, E = identity_net_error()
    page = explore(E)
    inline = page._repr_html_()
    assert inline.startswith("<iframe") and "srcdoc=" in inline and "<script" not in inline
    assert "Next step" in inline


def test_the_cli_writes_the_page(tmp_path, capsys):
    from micrograd_id.cli import main

    assert main(["explore", "-o", str(tmp_path / "bp.html"), "--w", "0.5", "--steps", "4"]) == 0
    assert "wrote" in capsys.readouterr().out and (tmp_path / "bp.html").read_text().startswith("<!DOCTYPE html>")
    assert main(["explore", "-o", str(tmp_path / "bp.png")]) == 2


def test_the_page_works_from_an_installed_wheel(tmp_path):
    """Built as a wheel, the templates come along: explore() runs from the unpacked wheel."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", root, "-w", str(tmp_path)],
                           capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    (wheel,) = tmp_path.glob("micrograd_id-*.whl")
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    script = ("import sys; sys.path.insert(0, sys.argv[1]); import micrograd_id; "
              "assert micrograd_id.__file__.startswith(sys.argv[1]), micrograd_id.__file__; "
              "from micrograd_id.explore import explore; from micrograd_id import Value; "
              "w = Value(0.3, label='w'); print(explore(w * 2.0).save(sys.argv[2]))")
    run = subprocess.run([sys.executable, "-I", "-c", script, str(site), str(tmp_path / "p.html")],
                         capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "Next step" in (tmp_path / "p.html").read_text(encoding="utf-8")


# ----- in a real browser ---------------------------------------------------------------

@pytest.fixture
def open_page(chromium, tmp_path):
    """Save an Explorer, open it from disk; fail the test on a console error, a page error or a request.

    The page's Content-Security-Policy is bypassed: the escaping alone must make hostile
    labels inert (and the tests may evaluate JavaScript).
    """
    pages, errors = [], []

    def open_(explorer, name="page.html", width=1280):
        path = explorer.save(tmp_path / name)
        page = chromium.new_page(viewport={"width": width, "height": 900}, bypass_csp=True)
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("request", lambda request: None if request.url == path.as_uri() else errors.append(request.url))
        page.goto(path.as_uri())
        pages.append(page)
        return page

    yield open_
    for page in pages:
        page.close()
    assert errors == []


def status(page):
    return page.get_by_role("status").text_content()


def test_every_backward_step_shows_the_engines_numbers(open_page, tmp_path):
    a = Value(1.5, label="a")
    w = Value(-0.7, label="w")
    out = (a * w).tanh() * a + a  # a is used three times: its grad accumulates
    out.label = "out"
    out.backward()
    page = open_page(explore(out))
    n = int(status(page).split(" of ")[1])
    assert status(page) == f"step 0 of {n}"
    walk, order = iter(engine_walk(out)), topological_order(out)
    for k in range(1, n + 1):
        page.get_by_role("button", name="Next step").click()
        assert status(page) == f"step {k} of {n}"
        items = page.locator("#lines li.contribution")
        if page.locator("#step-title").text_content().startswith("Backward through"):
            _, sums = next(walk)
            assert items.count() == len(sums)
            for item, (c, total) in zip(items.all(), sums):
                assert int(item.get_attribute("data-node")) == order.index(c)
                shown = item.text_content().rsplit("= ", 1)[1].strip("()")
                assert float(shown) == pytest.approx(total, rel=1e-5)
    assert next(walk, None) is None
    assert page.get_by_role("button", name="Next step").is_disabled()
    for v in order:  # the finished graph shows every gradient backward() left
        box = page.locator("g.node", has=page.locator("title", has_text=re.compile(rf"^v{order.index(v)}$")))
        assert f"grad {v.grad:.4g}" in box.text_content()
        assert "done" in box.get_attribute("class")
    page.screenshot(path=str(tmp_path / "end.png"))


def test_previous_reset_keys_and_play(open_page):
    from playwright.sync_api import expect

    _, E = identity_net_error()
    page = open_page(explore(E))
    n = int(status(page).split(" of ")[1])
    previous = page.get_by_role("button", name="Previous step")
    assert previous.is_disabled()
    for _ in range(3):
        page.get_by_role("button", name="Next step").click()
    previous.click()
    assert status(page) == f"step 2 of {n}"
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert status(page) == f"step 4 of {n}"
    page.keyboard.press("ArrowLeft")
    assert status(page) == f"step 3 of {n}"
    page.get_by_role("button", name="Reset").click()
    assert status(page) == f"step 0 of {n}"
    page.get_by_role("button", name="Play").click()
    pause = page.get_by_role("button", name="Pause")
    assert pause.is_visible()
    expect(page.get_by_role("status")).not_to_have_text(f"step 0 of {n}")  # waits: it plays
    pause.click()
    assert page.get_by_role("button", name="Play").is_visible()
    stopped = status(page)
    assert stopped != f"step 0 of {n}"
    page.get_by_role("button", name="Next step").click()  # paused: only the button moves it
    assert status(page) != stopped


def test_hostile_labels_run_nothing_and_show_as_text(open_page):
    a, b = Value(2.0, label=HOSTILE[0]), Value(3.0, label=HOSTILE[1])
    out = a * b
    out.label = HOSTILE[1] + "!"
    page = open_page(explore(out))
    while not page.get_by_role("button", name="Next step").is_disabled():
        page.get_by_role("button", name="Next step").click()
    assert page.evaluate("window.pwned") is None
    assert page.locator("img").count() == 0
    assert HOSTILE[0] in page.locator("section.graph").text_content()
    assert HOSTILE[1] in page.locator("#lines").text_content()


def test_the_training_slider_redraws_the_chart_and_loads_the_step_into_the_graph(open_page):
    _, E = identity_net_error()
    history = train(IdentityNet(0.3), xs=[0.0, 1.0], lr=2.0, steps=6)
    page = open_page(explore(E, history))
    slider = page.get_by_label("Training step")
    assert slider.input_value() == "1"  # the step the graph shows: x = 1, w = 0.3 (step 0 was x = 0)
    slider.fill("0")
    assert "does not move w" in page.locator("#train-step-line").text_content()  # x = 0: ∂E/∂w = 0
    slider.fill("1")
    assert "E along w" in page.locator("#chart").text_content()
    assert page.locator("#chart .curve").count() == 1 and page.locator("#chart .tangent").count() == 1
    assert "w grows and E falls" in page.locator("#train-step-line").text_content()
    row = history.rows[1]  # the graph above now shows step 1: its x, w, E and dE/dw
    graph = page.get_by_label("Computation graph")
    assert f"data {row['w']:.4g}" in graph.text_content() and f"data {row['E']:.4g}" in graph.text_content()
    assert f"grad {row['dE/dw']:.4g}" in graph.text_content()
    ticks = [t for t in page.locator("#chart text").all_text_contents() if re.fullmatch(r"-?[\d.]+", t)]
    assert ticks and all(len(t.lstrip("-")) <= 4 for t in ticks)  # round numbers, not -0.7892


def press_next(page, times=1):
    for _ in range(times):
        page.get_by_role("button", name="Next step").click()


def inside(inner, outer):
    return (inner["x"] >= outer["x"] - 0.5 and inner["y"] >= outer["y"] - 0.5 and
            inner["x"] + inner["width"] <= outer["x"] + outer["width"] + 0.5 and
            inner["y"] + inner["height"] <= outer["y"] + outer["height"] + 0.5)


@pytest.mark.parametrize("width", [1280, 400])
def test_the_active_node_is_in_view_at_every_step_and_the_page_never_scrolls(open_page, width):
    _, E = identity_net_error()
    history = train(IdentityNet(0.3), xs=[0.0, 1.0], lr=2.0, steps=6)
    page = open_page(explore(E, history), width=width)
    n = int(status(page).split(" of ")[1])
    graph = page.get_by_label("Computation graph")
    for k in range(1, n + 1):
        press_next(page)
        frame = graph.bounding_box()
        active = page.locator("[data-active]")
        assert active.count() >= 1, f"step {k}"
        for box in active.all():
            assert inside(box.bounding_box(), frame), f"step {k}: the active node is out of view"
        assert page.evaluate("window.scrollY") == 0
    font = page.evaluate("""() => { const t = document.querySelector('#viewport svg text');
        return t.getBoundingClientRect().height; }""")
    assert font >= 9  # readable at 400 px too: zoomed to the active part, not all of it


def test_zoom_buttons_fit_wheel_and_drag_move_the_view(open_page):
    model = MLP(2, [4, 4, 1], seed=0)
    page = open_page(explore(half_squared_error(model([0.5, -1.0]), 1.0)))
    viewbox = lambda: [float(x) for x in page.locator("#viewport svg").get_attribute("viewBox").split()]  # noqa: E731
    page.get_by_role("button", name="Fit").click()
    fit = viewbox()
    page.get_by_role("button", name="Zoom in").click()
    zoomed = viewbox()
    assert zoomed[2] < fit[2] and zoomed[3] < fit[3]
    page.get_by_role("button", name="Zoom out").click()
    page.get_by_role("button", name="Zoom out").click()
    assert viewbox()[2] > zoomed[2]
    page.get_by_role("button", name="Zoom in").click()
    page.get_by_role("button", name="Zoom in").click()
    before = viewbox()
    frame = page.locator("#viewport").bounding_box()
    page.mouse.move(frame["x"] + 200, frame["y"] + 200)
    page.mouse.down()
    page.mouse.move(frame["x"] + 260, frame["y"] + 240, steps=4)
    page.mouse.up()
    assert viewbox()[:2] != before[:2] and viewbox()[2:] == before[2:]  # dragged: moved, same zoom
    page.mouse.wheel(0, -300)
    assert viewbox()[2] < before[2]
    page.get_by_role("button", name="Fit").click()
    assert viewbox() == fit


def test_nothing_has_a_number_before_forward_computes_it(open_page):
    _, E = identity_net_error()
    page = open_page(explore(E))
    order = topological_order(E)
    for i, v in enumerate(order):
        box = page.locator("g.node", has=page.locator("title", has_text=re.compile(rf"^v{i}$"))).text_content()
        assert "grad ?" in box
        assert ("data ?" in box) == bool(v.children)
    labels = page.locator("#viewport g.edge text").all_text_contents()
    assert labels and all(not re.search(r"\d", t) for t in labels)
    press_next(page)  # forward reaches z = w·x: its arrows get their local derivatives
    labels = page.locator("#viewport g.edge text").all_text_contents()
    assert sorted(t for t in labels if t) == ["w = 0.3", "x = 1"]


def test_changing_a_leaf_recomputes_every_number_in_the_page(open_page):
    _, E = identity_net_error()
    page = open_page(explore(E))
    w = page.get_by_label("w", exact=True)
    w.fill("1")
    w.dispatch_event("change")
    readout = page.locator("#live-readout").text_content()
    assert "E = 0.0361647" in readout and "∂E/∂w = -0.0528771" in readout
    n = int(status(page).split(" of ")[1])
    press_next(page, n)
    graph = page.get_by_label("Computation graph").text_content()
    assert "data 0.03616" in graph and "grad -0.05288" in graph
    assert "w.grad = 0 + (-0.0528771) · 1 = -0.0528771" in page.locator("#lines").text_content()


def test_a_history_without_its_learning_rate_replays_at_the_rate_typed(open_page):
    from micrograd_id.train import History
    _, E = identity_net_error()
    history = History(train(IdentityNet(0.3), xs=[0.0, 1.0], lr=2.0, steps=6).rows)  # no lr recorded
    page = open_page(explore(E, history))
    assert "does not say which learning rate" in page.locator("#regime").text_content()
    rate = page.get_by_label("Learning rate")
    rate.fill("2")
    rate.dispatch_event("change")
    page.get_by_label("Training step").fill("5")
    assert page.locator("#train-values td").nth(2).text_content() == f"{history.rows[5]['w']:.6g}"


def test_the_learning_rate_replays_training_with_trains_numbers(open_page):
    _, E = identity_net_error()
    history = train(IdentityNet(0.3), xs=[0.0, 1.0], lr=2.0, steps=8)
    page = open_page(explore(E, history))
    rate = page.get_by_label("Learning rate")
    assert rate.input_value() == "2"
    rate.fill("0.5")
    rate.dispatch_event("change")
    page.get_by_label("Training step").fill("3")
    expected = train(IdentityNet(0.3), xs=[0.0, 1.0], lr=0.5, steps=8).rows[3]
    table = dict(zip(page.locator("#train-values th").all_text_contents(),
                     page.locator("#train-values td").all_text_contents()))
    assert table["w"] == f"{expected['w']:.6g}" and table["dE/dw"] == f"{expected['dE/dw']:.6g}"
    assert "converge" in page.locator("#regime").text_content()
    for lr, regime in (("0.001", "crawl"), ("1000", "converge")):  # no bias: no valley to overshoot
        rate.fill(lr)
        rate.dispatch_event("change")
        assert regime in page.locator("#regime").text_content(), lr


def test_a_bias_gives_a_valley_to_overshoot_and_diverge(open_page):
    net, E = identity_net_error(bias=0.0)
    history = train(IdentityNet(0.3, bias=0.0), xs=[0.0, 1.0], lr=1.0, steps=30)
    page = open_page(explore(E, history))
    rate = page.get_by_label("Learning rate")
    for lr, regime in (("1", "converge"), ("40", "overshoot"), ("100", "diverge")):
        rate.fill(lr)
        rate.dispatch_event("change")
        assert regime in page.locator("#regime").text_content(), lr


def test_predict_then_reveal_asks_for_the_sign_first(open_page):
    _, E = identity_net_error()
    page = open_page(explore(E))
    page.get_by_label("Predict each gradient first").check()
    n = int(status(page).split(" of ")[1])
    press_next(page, n - 2)  # the last three steps are backward through ops
    walk = engine_walk(E)[-3:]
    for k, (v, sums) in enumerate(walk):
        if k:
            press_next(page)
        assert page.locator("#predict").is_visible() and page.locator("#lines li.contribution").count() == 0
        assert "positive, negative or zero" in page.locator("#predict-question").text_content()
        product = local_derivatives(v)[0] * grad_of(E, v)
        guess = "Negative" if product > 0 else "Positive"  # a wrong guess, then a right one
        page.get_by_role("button", name=guess if k != 1 else ("Positive" if product > 0 else "Negative")
                         if product else "Zero").click()
        verdict = page.locator("#verdict").text_content()
        assert verdict.startswith("Not this time." if k != 1 or not product else "Right.")
        assert f"= {product:.6g}." in verdict
        assert page.locator("#lines li.contribution").count() == len(sums)


def test_a_box_opens_into_its_operations(open_page):
    model = MLP(2, [3, 1], seed=0)
    page = open_page(explore(half_squared_error(model([0.5, -1.0]), 1.0)))
    n = int(status(page).split(" of ")[1])
    press_next(page)
    assert re.fullmatch(r"Forward: L0\.N\d", page.locator("#step-title").text_content())
    assert "weighted sum" in page.locator("#lines").text_content()
    box = page.locator("#step-title").text_content().split(": ")[1]
    page.get_by_role("button", name=f"Open {box}").click()
    # each way, one step became five (2 products, 2 sums, relu): the box is open forward and backward
    assert int(status(page).split(" of ")[1]) == n + 2 * (5 - 1)
    assert page.locator("#step-title").text_content().startswith("Forward: ")
    page.get_by_role("button", name=f"Close {box}").click()
    assert int(status(page).split(" of ")[1]) == n


def test_why_lines_follow_the_numbers(open_page):
    a = Value(-2.0, label="a")
    s = (a * 10.0).sigmoid() + a.relu() + a * a
    s.label = "s"
    page = open_page(explore(s))
    n = int(status(page).split(" of ")[1])
    seen = ""
    for _ in range(n):
        press_next(page)
        seen += page.locator("#lines").text_content()
    assert "sigmoid is saturated" in seen and "relu is inactive" in seen and "a is used 4 times" in seen
    field = page.get_by_label("a", exact=True)
    field.fill("2")
    field.dispatch_event("change")
    page.get_by_role("button", name="Reset").click()
    seen = ""
    for _ in range(n):
        press_next(page)
        seen += page.locator("#lines").text_content()
    assert "relu is inactive" not in seen


def test_the_page_computes_the_engines_numbers_for_every_built_in_op(open_page):
    a, b = Value(0.7, label="a"), Value(1.3, label="b")
    terms = [a + b, a - b, a * b, a / b, a ** b, -a, a.exp(), a.log(), a.sqrt(), abs(a - b), a.tanh(),
             a.sigmoid(), (a - b).relu(), a.relu(), a.sin(), a.cos(), a.tan(), a.arcsin(), a.arccos(),
             a.arctan(), a ** 2, a ** -0.5]
    out = terms[0]
    for t in terms[1:]:
        out = out + t
    out.label = "out"
    explorer = explore(out)
    data = page_data(explorer)
    page = open_page(explorer)
    inputs = [data["values"][i] for i, node in enumerate(data["nodes"]) if "leaf" in node]  # the program's inputs
    computed = page.evaluate("""([inputs, localOf]) => {
        const r = EXPLORER_LIVE.graph(...inputs);
        const local = ([f, children, i]) => EXPLORER_LIVE.locals[f](...children.map((c) => r.values[c]))[i];
        return [r.values, r.grads, localOf.map(local)]; }""", [inputs, data["live"]["localOf"]])
    for name, page_numbers in zip(("values", "grads", "locals"), computed):
        for shown, engine in zip(page_numbers, data[name]):
            assert shown == pytest.approx(engine, rel=1e-12, abs=1e-300), name


def test_non_finite_numbers_show_as_text(open_page):
    from micrograd_id.train import History
    w = Value(0.0, label="w")
    E = w.sqrt()  # d√w/dw at 0 is inf, as in PyTorch
    E.label = "E"
    history = History([{"step": 0, "w": 0.0, "E": 0.0, "dE/dw": math.inf}], parameters=["w"], lr=0.1)
    page = open_page(explore(E, history))
    press_next(page, int(status(page).split(" of ")[1]))
    assert "inf" in page.get_by_label("Computation graph").text_content()
    assert "inf" in page.locator("#train-values").text_content()


def test_on_a_big_graph_the_selected_box_gets_the_inputs(open_page):
    model = MLP(2, [4, 1], seed=0)
    page = open_page(explore(half_squared_error(model([0.5, -1.0]), 1.0)))
    assert page.locator("#live-inputs input").count() == 0  # 15 labelled leaves: more than 12
    assert "Click a box" in page.locator("#live-note").text_content()
    page.get_by_role("button", name="Fit").click()
    page.locator("g.node", has=page.locator("title", has_text="g_L1_N0")).first.click()
    labels = [f"L1.N0.w{k}" for k in range(4)] + ["L1.N0.b"]
    assert [page.get_by_label(label, exact=True).count() for label in labels] == [1] * 5
    bias = page.get_by_label("L1.N0.b", exact=True)
    bias.fill("5")
    bias.dispatch_event("change")
    for p in model.parameters():
        if p.label == "L1.N0.b":
            p.data = 5.0
    E = half_squared_error(model([0.5, -1.0]), 1.0)
    assert f"E = {E.data:.6g}" in page.locator("#live-readout").text_content()


def test_the_active_box_is_in_view_at_every_step_of_an_mlp(open_page):
    model = MLP(2, [16, 16, 1], seed=0)
    page = open_page(explore(half_squared_error(model([0.5, -1.0]), 1.0)))
    n = int(status(page).split(" of ")[1])
    graph = page.get_by_label("Computation graph")
    for k in range(1, n + 1):
        press_next(page)
        frame = graph.bounding_box()
        assert all(inside(box.bounding_box(), frame) for box in page.locator("[data-active]").all()), f"step {k}"


def test_without_live_mode_the_page_steps_and_says_why_in_one_line(open_page):
    softplus = define_op("softplus", forward=lambda a: math.log1p(math.exp(a)),
                         rule=lambda g, out, a: (g * (1.0 - math.exp(-out)),))
    w = Value(0.3, label="w")
    out = softplus(w) * 2.0
    out.label = "out"
    page = open_page(explore(out))
    assert "softplus" in page.locator("#live-note").text_content()
    page.locator("g.node", has=page.locator("title", has_text=re.compile(r"^v\d+$"))).last.click()
    assert page.locator("#live-inputs input").count() == 0
    press_next(page, int(status(page).split(" of ")[1]))
    assert f"grad {2.0 * (1.0 - math.exp(-math.log1p(math.exp(0.3)))):.4g}" in \
        page.get_by_label("Computation graph").text_content()


def test_a_screenshot_of_an_mlp_mid_backward(open_page, tmp_path):
    model = MLP(2, [16, 16, 1], seed=0)
    page = open_page(explore(half_squared_error(model([0.5, -1.0]), 1.0)))
    n = int(status(page).split(" of ")[1])
    assert n < 200
    press_next(page, n - 20)
    assert "Backward through L1." in page.locator("#step-title").text_content()
    frame = page.get_by_label("Computation graph").bounding_box()
    assert all(inside(box.bounding_box(), frame) for box in page.locator("[data-active]").all())
    page.screenshot(path=str(tmp_path / "mlp.png"))


def test_a_notebook_cell_shows_the_page(chromium, tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.v4.new_notebook()
    notebook.cells.append(nbformat.v4.new_code_cell(
        "from micrograd_id.identity import IdentityNet\nfrom micrograd_id.losses import half_squared_error\n"
        "from micrograd_id.explore import explore\n"
        "net = IdentityNet(w=0.3)\nE = half_squared_error(net(1.0), 1.0)\nE.backward()\nexplore(E)"))
    nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    html = notebook.cells[0].outputs[0]["data"]["text/html"]
    (tmp_path / "cell.html").write_text(f"<!DOCTYPE html><html><body>{html}</body></html>", encoding="utf-8")
    page = chromium.new_page()
    page.goto((tmp_path / "cell.html").as_uri())
    frame = page.frame_locator("iframe")
    frame.get_by_role("button", name="Next step").click()
    assert frame.get_by_role("status").text_content().startswith("step 1 of ")
    page.close()
