"""Modules, state dicts, SGD and the MLP (against PyTorch when it is installed)."""

import collections
import json
import math
import pickle
import random
import re

import pytest
from conftest import FUZZ
from hypothesis import given, settings
from hypothesis import strategies as st

from micrograd_id import Value, identity
from micrograd_id.losses import half_squared_error
from micrograd_id.nn import MLP, Layer, Neuron
from micrograd_id.optim import SGD


# ----- MLP structure -------------------------------------------------------------

def test_mlp_has_the_parameters_and_names_micrograd_users_expect():
    net = MLP(2, [16, 16, 1], seed=0)
    assert len(net.parameters()) == (2 * 16 + 16) + (16 * 16 + 16) + (16 + 1)
    names = list(net.state_dict())
    assert names[:3] == ["L0.N0.w0", "L0.N0.w1", "L0.N0.b"]
    assert names[-1] == "L2.N0.b"
    assert len(set(names)) == len(names)
    assert all(p.label == name for name, p in net.named_parameters())


def test_mlp_initialisation_is_reproducible_by_seed():
    assert MLP(3, [4, 2], seed=7).state_dict() == MLP(3, [4, 2], seed=7).state_dict()
    assert MLP(3, [4, 2], seed=7).state_dict() != MLP(3, [4, 2], seed=8).state_dict()


def test_mlp_returns_a_value_for_one_output_and_a_list_for_several():
    assert isinstance(MLP(2, [3, 1])([0.5, -1.0]), Value)
    outs = MLP(2, [3, 2])([0.5, -1.0])
    assert isinstance(outs, list) and len(outs) == 2


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "linear"])
def test_hidden_layers_use_the_activation_and_the_last_layer_is_linear(activation):
    net = MLP(2, [3, 1], seed=1, activation=activation)
    hidden = net.layers[0]([0.3, -0.7])
    expected_op = "+" if activation == "linear" else activation
    assert all(h.op == expected_op for h in hidden)
    assert net([0.3, -0.7]).op == "+"


def test_neuron_computes_activation_of_w_dot_x_plus_b():
    n = Neuron(2, activation="tanh", rng=random.Random(3))
    w0, w1, b = (p.data for p in n.parameters())
    assert n([0.5, -2.0]).data == pytest.approx(math.tanh(w0 * 0.5 - 2.0 * w1 + b), rel=1e-15)


@pytest.mark.parametrize("make, message", [
    (lambda: Neuron(0), "nin must be a positive int"),
    (lambda: Neuron(2, activation="softmax"), "activation must be one of"),
    (lambda: MLP(2, []), "at least one layer"),
    (lambda: MLP(2, [0]), "layer sizes must be positive ints, got 0"),
    (lambda: MLP(2, [4, -1]), "layer sizes must be positive ints, got -1"),
    (lambda: MLP(2, [2.0]), "layer sizes must be positive ints, got 2.0"),
    (lambda: MLP(2, [3, 1])([1.0, 2.0, 3.0]), "takes 2 inputs, got 3"),
])
def test_bad_shapes_and_options_are_refused_clearly(make, message):
    with pytest.raises(ValueError, match=message):
        make()


@pytest.mark.parametrize("nouts, message", [
    (16, r"nouts must be a list of layer sizes such as \[16\] for one layer of 16, got int 16"),
    ("16", r"nouts must be a list of layer sizes such as \[16, 16, 1\], got str '16'"),
    (None, r"such as \[16, 16, 1\], got NoneType None"),
])
def test_one_layer_size_instead_of_a_list_says_to_pass_a_list(nouts, message):
    with pytest.raises(TypeError, match=message):
        MLP(2, nouts)


def test_zero_grad_clears_every_parameter():
    net = MLP(2, [3, 1], seed=0)
    half_squared_error(net([1.0, 2.0]), 1.0).backward()
    assert any(p.grad != 0.0 for p in net.parameters())
    net.zero_grad()
    assert all(p.grad == 0.0 for p in net.parameters())


def test_layer_parameters_follow_its_neurons():
    layer = Layer(2, 3, name="L4")
    assert [p.label for p in layer.parameters()][:3] == ["L4.N0.w0", "L4.N0.w1", "L4.N0.b"]


# ----- state dicts ----------------------------------------------------------------

def test_state_dict_round_trips_exactly():
    net, other = MLP(2, [4, 1], seed=0), MLP(2, [4, 1], seed=1)
    other.load_state_dict(net.state_dict())
    assert [float(v).hex() for v in other.state_dict().values()] == \
           [float(v).hex() for v in net.state_dict().values()]


def test_state_dict_is_plain_floats():
    state = MLP(2, [2, 1], seed=0).state_dict()
    assert all(type(k) is str and type(v) is float for k, v in state.items())


def test_load_state_dict_accepts_integers():
    net = MLP(1, [1], seed=0)
    net.load_state_dict({"L0.N0.w0": 2, "L0.N0.b": -1})
    assert net.state_dict() == {"L0.N0.w0": 2.0, "L0.N0.b": -1.0}


def test_load_state_dict_errors_name_the_problem():
    net = MLP(1, [1], seed=0)
    with pytest.raises(KeyError, match=r"missing \['L0.N0.b'\]"):
        net.load_state_dict({"L0.N0.w0": 1.0})
    with pytest.raises(KeyError, match=r"unknown \['bogus'\]"):
        net.load_state_dict({"L0.N0.w0": 1.0, "L0.N0.b": 0.0, "bogus": 1.0})
    with pytest.raises(TypeError, match="'L0.N0.b' must be a real number, got str"):
        net.load_state_dict({"L0.N0.w0": 1.0, "L0.N0.b": "0.5"})
    with pytest.raises(ValueError, match="'L0.N0.w0' must be finite"):
        net.load_state_dict({"L0.N0.w0": math.nan, "L0.N0.b": 0.0})


# ----- SGD ------------------------------------------------------------------------

def test_sgd_step_is_exactly_w_minus_lr_times_grad():
    w, b = Value(0.3), Value(-1.25)
    w.grad, b.grad = 0.1234, -2.5
    SGD([w, b], lr=0.5).step()
    assert w.data == 0.3 - 0.5 * 0.1234
    assert b.data == -1.25 - 0.5 * -2.5


def test_sgd_zero_grad():
    w = Value(1.0)
    w.grad = 3.0
    SGD([w], lr=0.1).zero_grad()
    assert w.grad == 0.0


def test_sgd_momentum_accumulates_a_velocity():
    w = Value(0.0)
    opt = SGD([w], lr=0.1, momentum=0.9)
    for _ in range(3):
        w.grad = 1.0
        opt.step()
    # velocities 1, 1.9, 2.71: w = -0.1 * (1 + 1.9 + 2.71)
    assert w.data == pytest.approx(-0.561, rel=1e-14)


@pytest.mark.parametrize("lr", [0, -0.1, math.nan, math.inf, "0.1", None, True])
def test_sgd_refuses_a_bad_learning_rate(lr):
    with pytest.raises((TypeError, ValueError), match=r"lr must be (> 0|finite|a real number), got"):
        SGD([Value(1.0)], lr=lr)


@pytest.mark.parametrize("momentum", [-0.1, 1.0, math.nan, "0.9"])
def test_sgd_refuses_a_bad_momentum(momentum):
    with pytest.raises((TypeError, ValueError), match=r"momentum must be (in \[0, 1\)|finite|a real number), got"):
        SGD([Value(1.0)], lr=0.1, momentum=momentum)


def test_sgd_refuses_no_parameters_or_non_values():
    with pytest.raises(ValueError, match="no parameters"):
        SGD([], lr=0.1)
    with pytest.raises(TypeError, match="parameters must be Values, got float"):
        SGD([0.5], lr=0.1)


# ----- against PyTorch ----------------------------------------------------------

def torch_twin(net, torch):
    """The same MLP in PyTorch (float64), parameter by parameter."""
    params = {name: torch.tensor(value, dtype=torch.float64, requires_grad=True)
              for name, value in net.state_dict().items()}

    def forward(x):
        acts = [torch.tensor(v, dtype=torch.float64) for v in x]
        for i, layer in enumerate(net.layers):
            outs = []
            for j, neuron in enumerate(layer.neurons):
                total = params[f"L{i}.N{j}.b"]
                for k, a in enumerate(acts):
                    total = total + params[f"L{i}.N{j}.w{k}"] * a
                act = neuron.activation
                outs.append(total if act == "linear" else getattr(torch, act)(total))
            acts = outs
        return acts[0]

    return params, forward


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10**6), activation=st.sampled_from(["relu", "tanh", "sigmoid"]),
       xs=st.lists(st.tuples(st.floats(-3, 3), st.floats(-3, 3)), min_size=1, max_size=4))
def test_mlp_loss_and_gradients_match_pytorch(seed, activation, xs):
    torch = pytest.importorskip("torch")
    net = MLP(2, [5, 4, 1], seed=seed, activation=activation)
    params, forward = torch_twin(net, torch)
    loss = sum(half_squared_error(net(list(x)), 1.0) for x in xs)
    loss.backward()
    torch_loss = sum(0.5 * (forward(x) - 1.0) ** 2 for x in xs)
    torch_loss.backward()
    assert loss.data == pytest.approx(torch_loss.item(), rel=1e-12, abs=1e-15)
    for name, p in net.named_parameters():
        assert p.grad == pytest.approx(params[name].grad.item(), rel=1e-12, abs=1e-14), name


def test_an_mlp_takes_a_list_a_tuple_or_a_numpy_row_alike():
    import numpy as np

    net = MLP(2, [16, 16, 1], seed=0)
    outputs = {net(x).data for x in ([1.0, 2.0], (1.0, 2.0), np.array([1.0, 2.0]), np.array([1, 2], dtype=np.int32))}
    assert len(outputs) == 1
    with pytest.raises(ValueError, match=r"one sample .* shape \(2, 2\)"):
        net(np.ones((2, 2)))


def test_a_numpy_row_is_the_inputs():
    import numpy as np

    net = MLP(2, [3, 1], seed=0)
    assert net(np.array([1.0, 2.0])).data == net([1.0, 2.0]).data
    assert net(np.array([1.0, 2.0], dtype=np.float32)).data == pytest.approx(net([1.0, 2.0]).data)
    with pytest.raises(ValueError, match="one sample at a time"):
        net(np.array([[1.0, 2.0]]))
    assert MLP(1, [1], seed=0)(np.float64(0.5)).data == MLP(1, [1], seed=0)(0.5).data


# ----- state dicts: JSON only, validated, all or nothing --------------------------------

class _PickleBomb:
    """Unpickling this prints a marker: proof that a loader ran pickle on the file."""

    def __reduce__(self):
        return (print, ("PICKLE-PAYLOAD-EXECUTED",))


@pytest.fixture
def net():
    return identity.IdentityNet(w=0.3, bias=0.1)


def exact_state(net):
    """The parameters bit for bit, so 'nothing changed' means exactly that."""
    return {name: float(value).hex() for name, value in net.state_dict().items()}


def with_last_entry(net, bad_value):
    """A state dict whose earlier entries are new, valid values and whose last entry is bad_value.

    A loader that applies entries one by one before validating them all would change
    the earlier parameters before it fails on the last one.
    """
    state = {name: value + 1.0 for name, value in net.state_dict().items()}
    state[list(state)[-1]] = bad_value
    return state


BAD_VALUES = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf, "str": "0.5", "None": None,
              "bool": True, "list": [0.5], "dict": {"v": 0.5}, "complex": 1j, "huge int": 10**400}


@pytest.mark.parametrize("kind", BAD_VALUES)
def test_load_state_dict_rejects_a_bad_value_and_loads_nothing(net, kind):
    before = exact_state(net)
    expected = {"nan": "must be finite", "inf": "must be finite", "-inf": "must be finite",
                "huge int": "is too large for a float"}.get(kind, "must be a real number")
    with pytest.raises((ValueError, TypeError), match=f"parameter 'b' .*{expected}"):
        net.load_state_dict(with_last_entry(net, BAD_VALUES[kind]))
    assert exact_state(net) == before


def test_load_state_dict_rejects_an_unknown_name_and_loads_nothing(net):
    before = exact_state(net)
    state = {name: value + 1.0 for name, value in net.state_dict().items()}
    state["not_a_parameter"] = 1.0
    with pytest.raises(KeyError, match=r"unknown \['not_a_parameter'\]"):
        net.load_state_dict(state)
    assert exact_state(net) == before


def test_load_state_dict_rejects_a_missing_name_and_loads_nothing(net):
    before = exact_state(net)
    state = {name: value + 1.0 for name, value in net.state_dict().items()}
    del state[list(state)[-1]]
    with pytest.raises(KeyError, match=r"missing \['b'\]"):
        net.load_state_dict(state)
    assert exact_state(net) == before


@pytest.mark.parametrize("not_a_mapping", [None, [("w", 0.5)], "w=0.5", 0.5])
def test_load_state_dict_rejects_what_is_not_a_mapping(net, not_a_mapping):
    before = exact_state(net)
    with pytest.raises(TypeError, match="a state dict must be a dict of name -> number"):
        net.load_state_dict(not_a_mapping)
    assert exact_state(net) == before


def test_save_then_load_round_trips_every_bit(net, tmp_path):
    net.w.data = 0.1 + 0.2          # 0.30000000000000004: a float that text can easily mangle
    path = tmp_path / "net.json"
    net.save(path)
    saved = exact_state(net)
    other = identity.IdentityNet(w=-5.0, bias=2.0)
    other.load(path)
    assert exact_state(other) == saved
    assert json.loads(path.read_text(encoding="utf-8"))  # plain JSON on disk


def test_deeply_nested_json_is_a_clear_error_not_a_recursion_error(net, tmp_path):
    path = tmp_path / "deep.json"
    path.write_bytes(b"[" * 100_000 + b"]" * 100_000)
    with pytest.raises(ValueError, match=r"deep.json: not a JSON state dict \(nested too deeply"):
        net.load(path)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_save_refuses_a_parameter_that_is_not_finite_and_writes_nothing(net, tmp_path, bad):
    net.b.data = bad
    with pytest.raises(ValueError, match=rf"cannot save .*net.json: parameter 'b' is {bad} \(did training diverge"):
        net.save(tmp_path / "net.json")
    assert list(tmp_path.iterdir()) == []


def _file_payloads(state):
    """Files a state-dict loader must refuse: not JSON, not a name->number object, or unsafe."""
    good = json.dumps(state)
    first = list(state)[0]
    return {
        "pickle": pickle.dumps({**state, first: _PickleBomb()}),
        "python literal": repr(state).encode(),
        "python expression": b"__import__('os').getpid()",
        "JSON NaN": good.replace(json.dumps(state[first]), "NaN", 1).encode(),
        "JSON Infinity": good.replace(json.dumps(state[first]), "Infinity", 1).encode(),
        "JSON 1e400": good.replace(json.dumps(state[first]), "1e400", 1).encode(),
        "JSON string value": good.replace(json.dumps(state[first]), '"0.5"', 1).encode(),
        "JSON array": json.dumps(list(state.values())).encode(),
        "a name given twice": good.replace("{", "{" + json.dumps(first) + ": 0.25,", 1).encode(),
        "JSON null": b"null",
        "truncated JSON": good[: len(good) // 2].encode(),
        "empty file": b"",
        "binary garbage": b"\xff\xfe\x00\x81",
        "deeply nested array": b"[" * 100_000 + b"]" * 100_000,
        "deeply nested object": b'{"w": ' * 100_000 + b"0.5" + b"}" * 100_000,
    }


PAYLOAD_NAMES = list(_file_payloads({"w": 0.3, "b": 0.1}))


@pytest.mark.parametrize("payload", PAYLOAD_NAMES)
def test_load_refuses_a_bad_file_and_loads_nothing(net, tmp_path, capsys, payload):
    path = tmp_path / "net.json"
    path.write_bytes(_file_payloads(net.state_dict())[payload])
    before = exact_state(net)
    with pytest.raises((ValueError, TypeError, KeyError, OverflowError), match=f"^'?{re.escape(str(path))}: "):
        net.load(path)
    assert exact_state(net) == before
    assert "PICKLE-PAYLOAD-EXECUTED" not in capsys.readouterr().out


JSON_SCALARS = st.one_of(st.floats(), st.integers(), st.text(max_size=4), st.none(), st.booleans())


JSON_VALUES = st.recursive(JSON_SCALARS, lambda inner: st.lists(inner, max_size=2)
                           | st.dictionaries(st.text(max_size=2), inner, max_size=2), max_leaves=4)


def is_loadable(state, names):
    """True when state has exactly the net's names and every value is a finite real number.

    Integers count (JSON writes 1.0 as 1 in hand-edited files); booleans do not.
    """
    if sorted(state) != names:
        return False
    for value in state.values():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        try:
            if not math.isfinite(float(value)):
                return False
        except OverflowError:
            return False
    return True


def test_load_state_dict_of_random_contents_loads_exactly_or_nothing(fuzz_cases):
    names = sorted(identity.IdentityNet(w=0.3, bias=0.1).state_dict())

    outcomes = collections.Counter()
    with_the_right_names = st.fixed_dictionaries({name: JSON_SCALARS for name in names})
    any_names = st.dictionaries(st.sampled_from(names) | st.text(max_size=3), JSON_VALUES, max_size=4)

    @FUZZ
    @given(with_the_right_names | any_names)
    def run(state):
        fuzz_cases["load_state_dict"] += 1
        net = identity.IdentityNet(w=0.3, bias=0.1)
        before = net.state_dict()
        valid = is_loadable(state, names)
        try:
            net.load_state_dict(state)
        except (ValueError, TypeError, KeyError, OverflowError):
            assert not valid, f"a valid state dict was refused: {state!r}"
            assert net.state_dict() == before
            outcomes["refused"] += 1
            return
        assert valid, f"an invalid state dict was loaded: {state!r}"
        assert net.state_dict() == {name: float(v) for name, v in state.items()}
        outcomes["loaded"] += 1

    run()
    assert outcomes["loaded"] and outcomes["refused"], outcomes
