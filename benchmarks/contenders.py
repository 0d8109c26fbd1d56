"""The three libraries the benchmarks compare, behind one small interface.

Each contender builds the same models with the same weights, so every case
computes the same numbers in all three (run.py checks that they agree before
it times anything). Models are written the way each library's users write
them: the MLPs of micrograd_id and micrograd through their own ``nn``
modules, the identity network (one weight) in plain Value ops in both (micrograd has
no module for it), PyTorch with 0-d float64 tensors and Python loops (the
scalar style whose per-op cost we compare; PyTorch on whole tensors is a
different game).
"""

import math

MLP_SIZES = (2, [16, 16, 1])


def reference_weights():
    """MLP 2-16-16-1 weights from micrograd_id.nn.MLP(seed=0): [[(ws, b), ...] per layer]."""
    from micrograd_id.nn import MLP

    model = MLP(*MLP_SIZES, seed=0)
    return [[([w.data for w in n.w], n.b.data) for n in layer.neurons] for layer in model.layers]


def chain_sum(terms):
    """terms[0] + terms[1] + ...: the same ops in every library (no extra constant 0)."""
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


def micrograd_sigmoid(v):
    """sigmoid for micrograd 0.1.0, which has none, written in micrograd's own style."""
    from micrograd.engine import Value

    s = 1.0 / (1.0 + math.exp(-v.data)) if v.data >= 0 else math.exp(v.data) / (1.0 + math.exp(v.data))
    out = Value(s, (v,), "sigmoid")

    def _backward():  # like micrograd's ops, the closure holds `out`: a reference cycle
        v.grad += s * (1.0 - s) * out.grad

    out._backward = _backward
    return out


class _ValueLibrary:
    """What micrograd_id and micrograd share: Python Values with .data and .grad, nn.MLP of Neurons."""

    def leaf(self, x):
        return self.Value(x)

    def mlp(self, weights):
        model = self.new_mlp()
        for layer, layer_weights in zip(model.layers, weights):
            for neuron, (ws, b) in zip(layer.neurons, layer_weights):
                for w, value in zip(neuron.w, ws):
                    w.data = value
                neuron.b.data = b
        return model, model.parameters()

    def identity_net(self, w0):
        """(step, w): step(x) zeroes w's gradient, then E = 1/2 (sigmoid(w*x) - x)**2 forward and backward.

        The same expression in both libraries' Value ops (micrograd has no
        IdentityNet; micrograd_id's adds input checks and labels on top).
        """
        w = self.Value(w0)
        sigmoid = self.sigmoid

        def step(x):
            w.grad = 0.0
            E = 0.5 * (sigmoid(w * x) - x) ** 2
            E.backward()
            return E.data, w.grad

        return step, w

    def zero_grad(self, params):
        for p in params:
            p.grad = 0.0

    @staticmethod
    def data(v):
        return v.data

    @staticmethod
    def grad(v):
        return v.grad


class MicrogradId(_ValueLibrary):
    name = "micrograd_id"

    def __init__(self):
        import micrograd_id
        from micrograd_id import nn, optim

        self.version = micrograd_id.__version__
        self.Value, self.nn, self.optim = micrograd_id.Value, nn, optim

    def new_mlp(self):
        return self.nn.MLP(*MLP_SIZES, seed=0)

    @staticmethod
    def sigmoid(v):
        return v.sigmoid()

    def sgd(self, params, lr):
        return self.optim.SGD(params, lr=lr).step


class Micrograd(_ValueLibrary):
    name = "micrograd"

    def __init__(self):
        from importlib.metadata import version

        import micrograd.engine
        import micrograd.nn

        self.version = version("micrograd")
        self.Value, self.nn = micrograd.engine.Value, micrograd.nn

    def new_mlp(self):
        return self.nn.MLP(*MLP_SIZES)

    sigmoid = staticmethod(micrograd_sigmoid)

    def sgd(self, params, lr):
        def step():
            for p in params:
                p.data -= lr * p.grad

        return step


class TorchMLP:
    """MLP on 0-d tensors with the very ops (and order) of micrograd's Neuron."""

    def __init__(self, torch, weights):
        def tensor(x):
            return torch.tensor(x, dtype=torch.float64, requires_grad=True)

        self.layers = [[([tensor(w) for w in ws], tensor(b)) for ws, b in layer] for layer in weights]

    def __call__(self, x):
        for i, layer in enumerate(self.layers):
            linear = i == len(self.layers) - 1
            outputs = []
            for ws, b in layer:
                total = b
                for w, xk in zip(ws, x):
                    total = total + w * xk
                outputs.append(total if linear else total.relu())
            x = outputs
        return x[0] if len(x) == 1 else x

    def parameters(self):
        return [p for layer in self.layers for ws, b in layer for p in (*ws, b)]


class Torch:
    name = "torch"

    def __init__(self):
        import torch

        torch.set_num_threads(1)  # as the others: on a shared machine more threads only wait for each other
        self.torch = torch
        self.version = torch.__version__

    def leaf(self, x):
        return self.torch.tensor(x, dtype=self.torch.float64, requires_grad=True)

    def mlp(self, weights):
        model = TorchMLP(self.torch, weights)
        return model, model.parameters()

    def identity_net(self, w0):
        w = self.leaf(w0)
        sigmoid = self.torch.sigmoid

        def step(x):
            w.grad = None
            E = 0.5 * (sigmoid(w * x) - x) ** 2
            E.backward()
            return E.item(), w.grad.item()

        return step, w

    def zero_grad(self, params):
        for p in params:
            p.grad = None

    def sgd(self, params, lr):
        no_grad = self.torch.no_grad

        def step():
            with no_grad():
                for p in params:
                    p -= lr * p.grad

        return step

    @staticmethod
    def data(v):
        return v.item()

    @staticmethod
    def grad(v):
        return 0.0 if v.grad is None else v.grad.item()


CONTENDERS = {c.name: c for c in (MicrogradId, Micrograd, Torch)}


def load(names):
    """{name: contender} for those that import; {name: reason} for the rest."""
    loaded, missing = {}, {}
    for name in names:
        try:
            loaded[name] = CONTENDERS[name]()
        except ImportError as error:
            missing[name] = f"not installed ({error})"
    return loaded, missing


def torch_sequential(torch, weights):
    """The same MLP as torch.nn.Sequential in float64: what a user switches to for whole batches."""
    sizes = [MLP_SIZES[0], *MLP_SIZES[1]]
    modules = []
    for i, layer in enumerate(weights):
        linear = torch.nn.Linear(sizes[i], sizes[i + 1], dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(torch.tensor([ws for ws, _ in layer], dtype=torch.float64))
            linear.bias.copy_(torch.tensor([b for _, b in layer], dtype=torch.float64))
        modules.append(linear)
        if i < len(weights) - 1:
            modules.append(torch.nn.ReLU())
    return torch.nn.Sequential(*modules)
