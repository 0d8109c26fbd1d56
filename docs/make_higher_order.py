"""Recompute every number in docs/higher_order.md by running micrograd_id.

Each table in the page sits between ``<!-- BEGIN name -->`` and
``<!-- END name -->``; this script rebuilds the tables and rewrites the page
whole (atomically), leaving the prose alone. ``--check`` rewrites nothing and
exits 1 if a table differs from what the library computes now.

    .venv/bin/python docs/make_higher_order.py [--check]
"""

import argparse
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # docs/_sections.py, also when loaded by path

from _sections import markdown_table, sections_in, update  # noqa: E402

from micrograd_id import grad  # noqa: E402
from micrograd_id.identity import IdentityNet, forward, hand_gradient
from micrograd_id.losses import half_squared_error
from micrograd_id.optim import Newton
from micrograd_id.train import train

PAGE = Path(__file__).with_name("higher_order.md")
THRESHOLD = 1e-3  # full-batch mean error to reach
SGD_CAP = 20_000
NEWTON_CAP = 2_000
STARTS = [(0.3, 0.0), (0.0, 0.0), (-2.0, 0.0), (3.0, 3.0), (-4.0, 2.0), (-3.0, -3.0)]
SGD_RATES = [0.5, 5.0, 50.0, 500.0]
NEWTON_FALLBACKS = [1.0, 10.0]


table = markdown_table


def num(x, digits=10):
    return f"{x:.{digits}g}"


def derivatives_of_identity_error(w, x, order):
    """[E, E', E'', ...] of the identity network at (w, x) by repeated grad(create_graph=True)."""
    net = IdentityNet(w)
    out = [half_squared_error(net(x), x)]
    for _ in range(order):
        (d,) = grad(out[-1], [net.w], create_graph=True)
        out.append(d)
    return [d.data for d in out]


def worked_example(w=0.3, x=1.0):
    E, dE, d2E, d3E = derivatives_of_identity_error(w, x, 3)
    a = forward(w, x)
    by_hand = x * x * a * (1 - a) * (a * (1 - a) + (a - x) * (1 - 2 * a))
    h = 1e-5
    rows = [
        ["ŷ = A(w·x)", num(a), "", ""],
        ["E", num(E), num(0.5 * (a - x) ** 2), ""],
        ["dE/dw", num(dE), num(hand_gradient(w, x)),
         num((derivatives_of_identity_error(w + h, x, 0)[0] - derivatives_of_identity_error(w - h, x, 0)[0]) / (2 * h))],
        ["d²E/dw²", num(d2E), num(by_hand), num((hand_gradient(w + h, x) - hand_gradient(w - h, x)) / (2 * h))],
        ["d³E/dw³", num(d3E), "",
         num((derivatives_of_identity_error(w + h, x, 2)[2] - derivatives_of_identity_error(w - h, x, 2)[2]) / (2 * h))],
    ]
    return table(["quantity", "autodiff (grad of grad)", "by hand", "central difference (h = 1e-5)"], rows)


def curvature_sign(x=1.0):
    rows = []
    for w in [-4.0, -2.0, -1.0, -math.log(2.0), -0.5, 0.0, 0.3, 1.0, 2.0, 4.0]:
        _, dE, d2E = derivatives_of_identity_error(w, x, 2)
        net = IdentityNet(w)
        info = Newton([net.w]).step(half_squared_error(net(x), x))
        raw = w - dE / d2E if d2E != 0.0 else math.nan
        action = "Newton step" if info.newton else "gradient fallback"
        rows.append([num(w, 4), num(forward(w, x), 4), num(dE, 4), num(d2E, 4), num(raw, 4), action,
                     num(net.w.data, 4)])
    header = ["w", "ŷ = A(w)", "E′(w)", "E″(w)", "w − E′/E″ (unguarded)", "Newton.step takes", "new w"]
    return table(header, rows)


def newton_one_weight(w=0.3, x=1.0, steps=6, lr=0.5):
    net, slow = IdentityNet(w), IdentityNet(w)
    opt = Newton([net.w])
    history = train(slow, xs=[x], lr=lr, steps=steps).rows
    rows = []
    for k in range(steps):
        info = opt.step(half_squared_error(net(x), x))
        rows.append([str(k), num(info.loss, 4), num(info.gradient[0], 4), num(info.hessian[0][0], 4),
                     num(-info.delta[0], 4), num(net.w.data, 4), num(history[k]["E"], 4)])
    return table(["step", "E", "E′", "E″", "E′/E″", "w after", f"E of SGD (lr {lr:g}) at this step"], rows)


def mean_error(net):
    return (half_squared_error(net(0.0), 0.0) + half_squared_error(net(1.0), 1.0)) * 0.5


def newton_steps(start, fallback_lr):
    """(steps until the mean error is below THRESHOLD, how many of them fell back), or None."""
    net = IdentityNet(start[0], bias=start[1])
    opt = Newton(net.parameters(), fallback_lr=fallback_lr)
    fallbacks = 0
    for step in range(NEWTON_CAP):
        loss = mean_error(net)
        if loss.data < THRESHOLD:
            return step, fallbacks
        fallbacks += not opt.step(loss).newton
    return None


def sgd_steps(start, lr, chunk=1000):
    """Full-batch SGD steps (train's rows record E before each update) until below THRESHOLD, or None."""
    net = IdentityNet(start[0], bias=start[1])
    done = 0
    while done < SGD_CAP:
        errors = train(net, xs=[0, 1], lr=lr, steps=min(chunk, SGD_CAP - done), full_batch=True).column("E")
        hit = next((i for i, e in enumerate(errors) if e < THRESHOLD), None)
        if hit is not None:
            return done + hit
        done += len(errors)
    return None


def steps_to_threshold():
    header = ["start (w, b)", "E at start"]
    header += [f"Newton, fallback_lr {f:g}" for f in NEWTON_FALLBACKS]
    header += [f"SGD lr {lr:g}" for lr in SGD_RATES]
    rows = []
    for start in STARTS:
        row = [f"({start[0]:g}, {start[1]:g})", num(mean_error(IdentityNet(start[0], bias=start[1])).data, 4)]
        for f in NEWTON_FALLBACKS:
            result = newton_steps(start, f)
            row.append(f"> {NEWTON_CAP}" if result is None else f"{result[0]} ({result[1]} fallback)")
        for lr in SGD_RATES:
            result = sgd_steps(start, lr)
            row.append(f"> {SGD_CAP}" if result is None else str(result))
        rows.append(row)
    return table(header, rows)


TABLES = {
    "worked-example": worked_example,
    "curvature-sign": curvature_sign,
    "newton-one-weight": newton_one_weight,
    "steps-to-threshold": steps_to_threshold,
}


tables_in = sections_in


def compute():
    return {name: build() for name, build in TABLES.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the page's tables are stale")
    args = parser.parse_args(argv)
    return update(PAGE, compute(), check=args.check, script=f"python docs/{Path(__file__).name}")


if __name__ == "__main__":
    sys.exit(main())
