"""Every sentence the explorer's script shows that is not part of a step: written here, in Python.

A ``{name}`` in a sentence is filled in by the page (a number, a label).
"""

from __future__ import annotations

WORDS: dict[str, object] = {
    "status": "step {k} of {n}",
    "play": "Play",
    "pause": "Pause",
    # one operation's step: {name} a node's name, {out} and {in} the op's output and input as operands
    "forwardTitle": "Forward: {name}",
    "forward": "{name} = {numbers} = {value}",
    "forwardLabelled": "{name} = {expr} = {numbers} = {value}",
    "backwardTitle": "Backward through {op}, which made {name}",
    "arriving": "Arriving at {op} from {name}: ∂{root}/∂{out} = {arrived}",
    "nothingArrives": "Nothing arrives (∂{root}/∂{out} = 0), so every input gets 0 from here.",
    "local": "local derivative ∂{out}/∂{in} = {formula} = {d}",
    "localNumber": "local derivative ∂{out}/∂{in} = {d}",
    "contribution": "{in}.grad = {before} + {gOp} · {dOp} = {after}",
    "accumulate": "{inName} is used {uses} times: this adds contribution {seen} of {uses}; its gradient is the "
                  "sum of them.",
    "done": "{inName}'s gradient is complete: ∂{root}/∂{in} = {after}. Every op that uses it has passed its "
            "part back.",
    "why": {
        "relu": "relu is inactive: its input {inName} = {value} ≤ 0, so its slope is 0 and {in} gets no "
                "gradient through it.",
        "product": "∂{out}/∂{in} = {formula} = 0: the other factor is 0, so a change in {in} cannot change "
                   "{out}, and its gradient from here is 0.",
        "flat": "∂{out}/∂{in} = {formula} = 0 here, so {in} gets no gradient through this op.",
        "saturated": "{op} is saturated: its input is {value}, far out where the curve is flat; its slope {d} "
                     "lets almost no gradient pass.",
    },
    "ask": "Before it is shown: this step adds g · (local derivative) to ∂{root}/∂{in}. Will what it adds be "
           "positive, negative or zero?",
    "answer": "It adds ∂{root}/∂{out} · ∂{out}/∂{in} = {gOp} · {dOp} = {c}.",
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
    "trainStep": "step {step}, of steps 0 to {last}",
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
    "regimes": {  # how E, summed over one pass through the samples, changes from pass to pass
        "crawl": "lr = {lr}: crawl. After all these steps E is less than 5% lower than at the start: the steps "
                 "are too small to get anywhere soon.",
        "converge": "lr = {lr}: converge. E falls pass after pass through the samples.",
        "overshoot": "lr = {lr}: overshoot. E rose {rises} time(s) from one pass to the next: the steps jumped "
                     "past the bottom of the valley, though E still ends lower than it started.",
        "diverge": "lr = {lr}: diverge. E ends higher than it started: the steps are so large that they land "
                   "far up the other side of the valley (or overflow).",
    },
}
