"""The explorer's live mode: the graph's own JavaScript, so the page recomputes when a leaf changes.

The JavaScript comes from the compiler (``to_javascript``), which writes it
from the same op rules the engine runs: one program for the whole graph
(every node's value and gradient from the labelled leaves), and one small
program per kind of op for the local derivatives on the arrows (the op
applied to fresh leaves, differentiated). A graph with an op that has no
JavaScript form gets no program, and the page says so in one line.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from micrograd_id.description import Description
from micrograd_id.engine import Value

# A page with more labelled leaves than this shows the inputs of the selected box only.
ALL_INPUTS_UP_TO = 12


def live_program(described: Description, edges: Sequence[tuple[Value, int, Value]]) -> tuple[str, dict[str, Any]]:
    """(the script that defines EXPLORER_LIVE, the page's live data); EXPLORER_LIVE = null when off.

    The program's inputs are the labelled leaves in the graph's order: the nodes the page marks ``leaf``.
    """
    from micrograd_id.compiled import to_javascript
    from micrograd_id.ops import JS_HELPERS

    order, index = described.order, described.index
    inputs = [v for v in order if v.label and not v.children]
    try:
        graph = to_javascript(order[0], inputs, list(order))
        kinds: dict[Any, int] = {}
        programs: list[str] = []
        local_of = []
        for v, i, _ in edges:
            if v.operation not in kinds:
                kinds[v.operation] = len(programs)
                programs.append(_local_program(v, to_javascript))
            local_of.append([kinds[v.operation], [index[c] for c in v.children], i])
    except ValueError as problem:
        return "var EXPLORER_LIVE = null;", {"liveNote": f"Live mode is off: {problem}.".replace("..", ".")}
    script = (f"var EXPLORER_LIVE = (function () {{\n{JS_HELPERS}\nreturn {{graph: {graph},\n"
              f"locals: [{', '.join(programs)}]}};\n}})();")
    return _inert(script), {"live": {"localOf": local_of},
                            "liveAll": ALL_INPUTS_UP_TO}


def _local_program(v: Value, to_javascript: Any) -> str:
    """A function of an op's inputs returning ∂out/∂input for each: the op on fresh leaves, traced."""
    leaves = [Value(c.data) for c in v.children]
    out = Value(v.data)
    out.children = tuple(leaves)
    out.operation = v.operation
    program = to_javascript(out, leaves, leaves)
    return f"(function (f) {{ return function () {{ return f.apply(null, arguments).grads; }}; }})({program})"


def _inert(script: str) -> str:
    """Script text that cannot end its <script> element early (labels reach it in comments and strings)."""
    return script.replace("</", "<\\/").replace("<!--", "<\\!--")
