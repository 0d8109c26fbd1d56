"""Write the explorer pages the docs site shows live (docs/explorer.md), with the public explore().

    .venv/bin/python docs/make_explorer_pages.py    # run by `make docs-site` before mkdocs builds

docs/explorer/ is generated, not committed: the page always shows what the
library makes today. The identity network's page, docs/backprop.html, is
written by make_figures.py (`make docs`), as the tutorial links it too.
"""

from pathlib import Path

from micrograd_id.explore import explore
from micrograd_id.losses import half_squared_error
from micrograd_id.nn import MLP

FOLDER = Path(__file__).resolve().parent / "explorer"


def mlp_page(path):
    """A 2-4-4-1 tanh MLP on one sample (the tutorial's §9 network), its neurons drawn as boxes."""
    model = MLP(2, [4, 4, 1], seed=1, activation="tanh")
    loss = half_squared_error(model([1.0, -2.0]), 1.0)
    return explore(loss).save(path)


def main():
    FOLDER.mkdir(exist_ok=True)
    for written in (mlp_page(FOLDER / "mlp.html"),):
        print(f"wrote {written}")


if __name__ == "__main__":
    main()
