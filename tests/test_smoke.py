from micrograd_id import Value
from micrograd_id.identity import hand_gradient


def test_identity_net_gradient_matches_eq6():
    w = Value(0.3)
    error = 0.5 * ((w * 1.0).sigmoid() - 1.0) ** 2
    error.backward()
    assert abs(w.grad - hand_gradient(0.3, 1.0)) < 1e-15
