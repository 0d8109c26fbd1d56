"""The explorer pages the docs link, and screenshots of them in use (run by make_figures.py).

docs/backprop.html      the identity network's page with its 60 training steps
docs/backprop_mlp.html  a 2-16-16-1 MLP on one sample: one step per neuron box
images/explorer.png     the identity page with its live controls in use: w set to 1, the
                        learning rate to 0.5, training step 3 loaded into the graph
images/explorer_mlp.png the MLP page in the middle of backward

Screenshots need playwright and Chromium; without them the pages are still written.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
IMAGES = DOCS / "images"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]
IDENTITY_STEP = 11     # backward through w·x: where the chain reaches w
MLP_STEPS_FROM_END = 20  # backward through the first hidden layer's neurons
MLP_SAMPLE = (0.5, -1.0)


def pages(E, history) -> list[Path]:
    """Write both pages and, if a browser runs, their screenshots; return the paths written."""
    from micrograd_id.explore import explore
    from micrograd_id.losses import half_squared_error
    from micrograd_id.nn import MLP

    model = MLP(2, [16, 16, 1], seed=0)
    mlp_error = half_squared_error(model(list(MLP_SAMPLE)), 1.0)
    identity = explore(E, history).save(DOCS / "backprop.html")
    mlp = explore(mlp_error).save(DOCS / "backprop_mlp.html")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("docs/images/explorer*.png not updated: playwright is not installed (extra dev)", file=sys.stderr)
        return [identity, mlp]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium") or "chromium",
                                             args=CHROMIUM_ARGS)
        shots = [identity_screenshot(browser, identity, IMAGES / "explorer.png"),
                 mlp_screenshot(browser, mlp, IMAGES / "explorer_mlp.png")]
        browser.close()
    return [identity, mlp, *shots]


def identity_screenshot(browser, page_path: Path, out: Path) -> Path:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(page_path.as_uri())
    rate = page.get_by_label("Learning rate")
    rate.fill("0.5")
    rate.dispatch_event("change")
    page.get_by_label("Training step").fill("3")  # loads step 3 (x = 1) into the graph
    w = page.get_by_label("w", exact=True)
    w.fill("1")  # then: what if w were 1?
    w.dispatch_event("change")
    page.get_by_role("button", name="Reset").click()
    for _ in range(IDENTITY_STEP):
        page.get_by_role("button", name="Next step").click()
    page.locator("main").screenshot(path=str(out))
    page.close()
    return out


def mlp_screenshot(browser, page_path: Path, out: Path) -> Path:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(page_path.as_uri())
    steps = int(page.get_by_role("status").text_content().split(" of ")[1])
    for _ in range(steps - MLP_STEPS_FROM_END):
        page.get_by_role("button", name="Next step").click()
    page.screenshot(path=str(out))
    page.close()
    return out


if __name__ == "__main__":
    from micrograd_id.identity import IdentityNet
    from micrograd_id.losses import half_squared_error
    from micrograd_id.train import train

    net = IdentityNet(0.3)
    error = half_squared_error(net(1.0), 1.0)
    for path in pages(error, train(IdentityNet(0.3), xs=[0.0, 1.0], lr=2.0, steps=60, progress=False)):
        print("wrote", path.relative_to(DOCS.parent))
