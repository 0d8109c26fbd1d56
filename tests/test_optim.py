"""Adam, AdamW and SGD take torch.optim's steps; bad hyperparameters are refused by name."""

import math

import pytest

from micrograd_id import Value
from micrograd_id.optim import SGD, Adam, AdamW

START = [0.5, -1.5, 2.0]


def loss_of(a, b, c, tanh):
    """A small non-quadratic loss, written once for both libraries."""
    return (a - 1.0) ** 2 + 3.0 * tanh(b * c) ** 2 + 0.1 * (c ** 4) + a * b


def run_ours(make, steps=100):
    params = [Value(v) for v in START]
    opt = make(params)
    for _ in range(steps):
        opt.zero_grad()
        loss_of(*params, tanh=Value.tanh).backward()
        opt.step()
    return [p.data for p in params]


def run_torch(make, steps=100):
    torch = pytest.importorskip("torch")
    params = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in START]
    opt = make(params)
    for _ in range(steps):
        opt.zero_grad()
        loss_of(*params, tanh=torch.tanh).backward()
        opt.step()
    return [p.item() for p in params]


CASES = [
    ("Adam", {}),
    ("Adam", dict(lr=0.05)),
    ("Adam", dict(lr=0.02, betas=(0.5, 0.9), eps=1e-6, weight_decay=0.1)),
    ("AdamW", {}),
    ("AdamW", dict(lr=0.05, weight_decay=0.3)),
    ("AdamW", dict(lr=0.01, betas=(0.0, 0.99), weight_decay=0.0)),
    ("SGD", dict(lr=0.01)),
    ("SGD", dict(lr=0.01, momentum=0.9, weight_decay=0.05)),
]


@pytest.mark.parametrize("name, options", CASES)
def test_100_steps_equal_torch_optim_within_1e_12(name, options):
    torch = pytest.importorskip("torch")
    ours = run_ours(lambda ps: {"Adam": Adam, "AdamW": AdamW, "SGD": SGD}[name](ps, **options))
    theirs = run_torch(lambda ps: getattr(torch.optim, name)(ps, **options))
    assert ours != START
    for mine, reference in zip(ours, theirs):
        assert abs(mine - reference) <= 1e-12 * max(1.0, abs(reference)), (ours, theirs)


def test_adam_first_step_moves_each_parameter_by_lr_whatever_its_gradient():
    params = [Value(0.0), Value(0.0)]
    opt = Adam(params, lr=0.01)
    params[0].grad, params[1].grad = 1000.0, -0.001
    opt.step()
    assert params[0].data == pytest.approx(-0.01, rel=1e-8)
    assert params[1].data == pytest.approx(0.01, rel=1e-4)


def test_adamw_decay_shrinks_a_weight_with_no_gradient():
    w = Value(2.0)
    AdamW([w], lr=0.1, weight_decay=0.5).step()
    assert w.data == 2.0 * (1 - 0.1 * 0.5)
    w = Value(2.0)
    Adam([w], lr=0.1, weight_decay=0.0).step()
    assert w.data == 2.0


@pytest.mark.parametrize("make, message", [
    (lambda p: Adam(p, lr=0.0), "lr must be > 0, got 0"),
    (lambda p: Adam(p, lr="0.1"), "lr must be a real number"),
    (lambda p: Adam(p, betas=(0.9, 1.0)), "beta2 must be in \\[0, 1\\), got 1"),
    (lambda p: Adam(p, betas=(-0.1, 0.9)), "beta1 must be in \\[0, 1\\), got -0.1"),
    (lambda p: Adam(p, betas=0.9), "betas must be a pair"),
    (lambda p: Adam(p, eps=0.0), "eps must be > 0, got 0"),
    (lambda p: AdamW(p, weight_decay=-0.01), "weight_decay must be >= 0, got -0.01"),
    (lambda p: AdamW(p, weight_decay=math.inf), "weight_decay must be finite"),
    (lambda p: SGD(p, weight_decay=-1), "weight_decay must be >= 0, got -1"),
    (lambda p: SGD(p, momentum=1.0), "momentum must be in \\[0, 1\\), got 1"),
])
def test_bad_hyperparameters_are_named(make, message):
    with pytest.raises((TypeError, ValueError), match=message):
        make([Value(1.0)])


@pytest.mark.parametrize("make", [SGD, Adam, AdamW])
def test_a_parameter_listed_twice_is_refused_rather_than_stepped_twice(make):
    w = Value(1.0, label="w")
    with pytest.raises(ValueError, match=rf"{make.__name__} got the same parameter twice \(w\): list each"):
        make([w, Value(2.0), w])


@pytest.mark.parametrize("name, options", CASES)
def test_update_on_arrays_takes_the_step_the_values_take(name, options):
    """fit(compiled=True) trains arrays with update(); it must give the numbers step() gives the Values."""
    import numpy as np

    make = {"Adam": Adam, "AdamW": AdamW, "SGD": SGD}[name]
    values = [Value(v) for v in START]
    on_values, on_arrays = make(values, **options), make([Value(v) for v in START], **options)
    data = np.array(START)
    for k in range(5):
        grads = [math.sin(3.0 * k + i) for i in range(len(START))]
        for p, g in zip(values, grads):
            p.grad = g
        on_values.step()
        data = on_arrays.update(data, np.array(grads))
        assert [p.data for p in values] == data.tolist()


def test_an_overflowing_step_gives_inf_as_floats_do_without_a_warning():
    import warnings

    w = Value(1e308)
    w.grad = -1e308
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        SGD([w], lr=10.0).step()
    assert w.data == math.inf
