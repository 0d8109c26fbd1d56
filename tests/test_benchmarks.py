"""The benchmark harness measures like with like: every library computes the same numbers.

No timing is asserted here (timings on a shared machine are noise); these
tests keep `make bench` honest: the contenders, compiled and vectorised
ones included, agree before anything is timed.
"""

import importlib.util
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import cases  # noqa: E402
import contenders  # noqa: E402
import training_cases  # noqa: E402
import workers  # noqa: E402



def loaded(*names):
    """The named contenders; a skip only for another library that is not installed at all.

    The package itself never skips, nor does a library that is installed but fails to
    import (a broken import is a failure, not a missing extra).
    """
    libs, missing = contenders.load(names)
    for name, why in missing.items():
        if name == "micrograd_id" or importlib.util.find_spec(name) is not None:
            pytest.fail(f"{name} is installed but does not load: {why}")
        pytest.skip(f"{name}: {why} (make bench installs it)")
    return libs


@pytest.mark.parametrize("other", ["micrograd", "torch"])
def test_mlp_batch_case_gives_the_same_loss_and_gradients(other):
    libs = loaded("micrograd_id", other)
    weights = contenders.reference_weights()
    numbers = {name: cases.mlp_batch_case(lib, weights)() for name, lib in libs.items()}
    assert len(numbers["micrograd_id"]) == 1 + 2 * 16 + 16 + 16 * 16 + 16 + 16 + 1  # loss + every parameter
    assert cases.agreement(numbers) < 1e-12


@pytest.mark.parametrize("other", ["micrograd", "torch"])
def test_identity_case_agrees_and_matches_eq6(other):
    libs = loaded("micrograd_id", other)
    numbers = {name: cases.identity_case(lib)() for name, lib in libs.items()}
    assert cases.agreement(numbers) < 1e-12
    assert cases.identity_matches_eq6() < 1e-12


def test_chain_worker_reports_a_correct_gradient():
    lib = loaded("micrograd_id")["micrograd_id"]
    result = workers.chain_worker(lib, depth=2000, gc_off=False)
    assert result["correct"] and result["error"] is None


def test_compiled_cases_compute_what_the_interpreted_cases_do():
    import compiled_cases

    weights = contenders.reference_weights()
    loss, params = compiled_cases._mlp_graph(weights)
    value, grads = compiled_cases.compile_graph(loss, params)(*[p.data for p in params])
    lib = loaded("micrograd_id")["micrograd_id"]
    assert [value, *grads] == cases.mlp_batch_case(lib, weights)()


def test_torch_sequential_computes_what_the_engine_does():
    import compiled_cases

    libs = loaded("micrograd_id", "torch")
    torch, weights = libs["torch"].torch, contenders.reference_weights()
    _, numbers = compiled_cases.sequential_mlp_batch(torch, weights)
    assert cases.agreement({"micrograd_id": cases.mlp_batch_case(libs["micrograd_id"], weights)(),
                            "sequential": numbers()}) < 1e-12


@pytest.mark.parametrize("n", [1, 8, 13])
def test_every_training_step_contender_takes_the_same_steps(n):
    """compiled, numpy by hand, torch nn.Sequential + optim.SGD, micrograd_id and micrograd: the same losses."""
    libs = loaded("micrograd_id", "micrograd", "torch")
    made = training_cases.makers(libs, contenders.reference_weights(), n)
    assert set(made) == {"compiled", "numpy by hand", "torch nn.Sequential", "micrograd_id", "micrograd"}
    losses = {name: training_cases.losses_of(make, steps=4) for name, make in made.items()}
    assert losses["micrograd_id"][3] < losses["micrograd_id"][0]  # the steps do descend
    assert cases.agreement(losses) < 1e-12


def test_the_training_report_puts_the_ratios_side_by_side():
    import report

    timing = cases.Timing([1.0, 1.2])
    results = {"gc_modes": ("default",), "settings": {"repeats": 7, "slow_repeats": 3}, "fit": (cases.Timing([0.5]), {"loss": 0.01, "accuracy": 1.0}),
               "training": {n: [("default", {"compiled": cases.Timing([0.5]), "torch nn.Sequential": timing,
                                             "numpy by hand": cases.Timing([0.25])})] for n in (8, 100)}}
    text = "\n".join(report.training_markdown(results))
    assert "| contender | batch 8 ms | ÷ compiled | batch 100 ms | ÷ compiled |" in text
    assert "| torch nn.Sequential | 1,100 | 2.20 | 1,100 | 2.20 |" in text
    assert "| numpy by hand | 250.000 | 0.50 | 250.000 | 0.50 |" in text
    assert ("Training step, batch 8, GC default: compiled / numpy by hand", 2.0) in report.training_headline(results)

