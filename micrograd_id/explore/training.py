"""The explorer's training panel as data: a train() History matched to the graph's leaves.

The page replays training itself (with the graph's JavaScript, from the same
start, with SGD and the history's momentum), so the learner can change the
learning rate; here the history is only checked and matched: which column
is which parameter, and which columns feed which labelled leaf (x, y).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from micrograd_id.engine import Value

GRADIENT = "dE/d"


class NoPanel(Exception):
    """The history cannot be shown beside this graph; the message is the page's one-line note."""


def training_panel(history: Any, order: Sequence[Value]) -> dict[str, Any]:
    """The panel's data, or NoPanel saying why there is none. Malformed histories: TypeError/ValueError."""
    rows = history.rows
    for k, row in enumerate(rows):
        if not isinstance(row, dict):
            raise TypeError(f"history row {k} is a {type(row).__name__}, not a dict of columns "
                            f"(train() makes rows like {{'step': 0, 'x': 1.0, 'w': 0.3, 'E': ..., 'dE/dw': ...}})")
    if not rows:
        raise NoPanel("The history has no rows: nothing to replay.")
    parameters = list(getattr(history, "parameters", None) or
                      [c[len(GRADIENT):] for c in rows[0] if c.startswith(GRADIENT)])
    if not parameters:
        columns = ", ".join(map(str, rows[0]))
        raise NoPanel(f"The history has no parameter gradients (columns: {columns}); the training panel "
                      f"needs train()'s rows, each with a parameter's value and its dE/d… column"
                      + (" (fit() records one loss per epoch)." if "epoch" in rows[0] else "."))
    needed = ["E", *parameters, *(GRADIENT + p for p in parameters)]
    for k, row in enumerate(rows):
        missing = [c for c in needed if c not in row]
        if missing:
            raise ValueError(f"history row {k} has no column {missing[0]!r} (it has {', '.join(map(str, row))})")
        bad = [c for c in needed if not _real(row[c])]
        if bad:
            raise ValueError(f"history row {k}: column {bad[0]!r} holds {row[bad[0]]!r}, not a number")
    leaves: dict[str, list[int]] = {}
    for i, v in enumerate(order):
        if v.label and not v.children:
            leaves.setdefault(v.label, []).append(i)
    notes = []
    absent = [p for p in parameters if p not in leaves]
    if absent:
        notes.append(f"{', '.join(absent)} {'is' if len(absent) == 1 else 'are'} not a labelled leaf of this "
                     f"graph: the steps are shown as recorded, and cannot be replayed.")
    feeds = [c for c in rows[0] if c in leaves and c not in parameters and all(_real(r.get(c)) for r in rows)]
    lr = getattr(history, "lr", None)
    return {
        "parameters": [{"name": p, "nodes": leaves.get(p, [])} for p in parameters],
        "feeds": [{"name": c, "nodes": leaves[c]} for c in feeds],
        "rows": [{"step": row.get("step", k), "feed": [row[c] for c in feeds], "p": [row[p] for p in parameters],
                  "E": row["E"], "g": [row[GRADIENT + p] for p in parameters]} for k, row in enumerate(rows)],
        "lr": lr if _real(lr) else None,
        "momentum": getattr(history, "momentum", 0.0) or 0.0,
        "replay": not absent,
        "notes": notes,
    }


def _real(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and not (isinstance(x, float) and math.isnan(x))
