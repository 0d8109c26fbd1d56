"""Every sentence the explorer's script shows that is not part of a step: written here, in Python.

A ``{name}`` in a sentence is filled in by the page (a number, a label).
"""

from __future__ import annotations

WORDS: dict[str, object] = {
    "status": "step {k} of {n}",
    "undefined": "not defined",
    "boxClosed": "{box} is one box: forward and backward each take one step through it.",
    "boxOpen": "{box} is open: its operations are stepped through one at a time.",
    "openBox": "Open {box}",
    "closeBox": "Close {box}",
    "right": "Right.",
    "wrong": "Not this time.",
    "yourValue": "You guessed {value}.",
    "liveOn": "Change a leaf: the page recomputes forward and backward from it, with the graph's own program.",
    "liveSelect": "Click a box with labelled leaves (a neuron, or a parameter) to change its numbers here.",
    "liveGrad": "∂{root}/∂{leaf} = {grad}",
    "status_training": "",
    "trainStep": "step {step} (of 0–{last})",
    "stepLine": "The tangent's slope is ∂E/∂{p} = {g}; the step −lr·∂E/∂{p} = {dw} (lr = {lr}) moves {p} to {next}.",
    "grows": "The tangent falls to the right, so {p} grows and E falls.",
    "shrinks": "The tangent rises to the right, so {p} shrinks and E falls.",
    "still": "The gradient is 0: this step does not move {p}.",
    "curve": "E along {p}, at this step's inputs",
    "trainingLink": "Moving the slider loads that step's inputs and parameters into the graph above, "
                    "computed forward and backward.",
    "otherGraph": "This history was not recorded on this graph (its first row's E or gradient differs from "
                  "the graph's): it is shown as recorded and cannot be replayed.",
    "noProgram": "The page cannot compute this graph itself, so the history is shown as recorded.",
    "noRate": "The history does not say which learning rate made it: type one to replay the training.",
    "regimes": {
        "crawl": "lr = {lr}: crawl. Each step lowers E by less than 1%: the steps are too small to get anywhere soon.",
        "converge": "lr = {lr}: converge. Each step goes downhill without passing the bottom of its curve.",
        "overshoot": "lr = {lr}: overshoot. {flips} step(s) jumped past the bottom of their curve (the slope "
                     "changed sign), yet E still falls.",
        "diverge": "lr = {lr}: diverge. The steps are so large that E grows (or overflows): each jump lands "
                   "higher than it started.",
    },
}
