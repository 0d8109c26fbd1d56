"""What the commands print and write: tables of steps, the files they make, and what a missing program means.

The writers import their libraries (graphviz, matplotlib, the explorer) only
when called, so `micrograd-id check` starts without them.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from micrograd_id._table import aligned, number
from micrograd_id.cli.arguments import UsageError, one_line
from micrograd_id.engine import Value, topological_order

# ----- text --------------------------------------------------------------------------------

def indent(text: str, by: str = "   ") -> str:
    return "\n".join(by + line for line in text.splitlines())


def _cell(column: str, value: Any) -> str:
    if isinstance(value, list):
        return ",".join(f"{v:g}" for v in value)
    if column in ("x", "y") or not isinstance(value, float):
        return f"{value:g}" if isinstance(value, float) else str(value)
    return number(value)


def steps_table(rows: Sequence[dict[str, Any]], columns: Sequence[str], head: int = 10) -> str:
    """The first `head` rows and the last one, as aligned text."""
    shown = rows if len(rows) <= head + 1 else [*rows[:head], None, *rows[-1:]]
    return aligned([list(columns)] + [["…"] * len(columns) if row is None else [_cell(c, row[c]) for c in columns]
                                      for row in shown])


def say_where(path: Path, what: str) -> None:
    print(f"  {str(path):<24} {what}")


# ----- files ---------------------------------------------------------------------------------

def made_folder(out: Path) -> Path:
    """The output folder, created with its parents if missing; an error naming it if that fails."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as problem:
        raise type(problem)(f"cannot create the folder {out}: {problem.strerror or problem}") from None
    return out


def try_write(write: Callable[[], Path | None], what: str) -> int:
    """Run one file writer; on a missing program or library say so and go on. 1 if it failed.

    A writer returns None when it chose to skip (and said why): that is no failure.
    """
    try:
        path = write()
    except (ImportError, RuntimeError, OSError) as problem:
        print(f"  not written: {problem}", file=sys.stderr)
        return 1
    if path is not None:
        say_where(path, what)
    return 0


def find_label(root: Value, label: str) -> Value:
    """The node of root's graph labelled `label`; a usage error listing the labels if there is none."""
    for node in topological_order(root):
        if label and node.label == label:  # "" would match any unlabelled node
            return node
    labels = sorted({n.label for n in topological_order(root) if n.label})
    raise UsageError(f"no node labelled {label!r} in the graph; labels: {', '.join(labels)}")


def render_graph(root: Value, path: Path, highlight: str | None = None, **options: Any) -> Path:
    from micrograd_id.viz import render

    node = None if highlight is None else find_label(root, highlight)
    return render(root, path, highlight=node, **options)


def render_graph_or_source(root: Value, path: Path, highlight: str | None, **options: Any) -> Path:
    """The PNG; without Graphviz's `dot`, say so and write the DOT source beside it instead."""
    from micrograd_id.viz import GraphvizNotFound

    try:
        return render_graph(root, path, highlight, **options)
    except GraphvizNotFound as problem:
        print(f"  not written: {one_line(problem)}", file=sys.stderr)
        source = render_graph(root, path.with_suffix(".dot"), highlight, **options)
        print(f"  wrote {source} instead (the graph's DOT source; any Graphviz viewer shows it)")
        return source


def plot(path: Path, history: Any, **options: Any) -> Path:
    from micrograd_id.plots import plot_landscape

    plot_landscape(history, path=path, **options)
    return path


def write_explorer(path: Path, root: Value, history: Any) -> Path:
    """The explorer page; without Graphviz's `dot` (its graph is dot's SVG), an error naming the page."""
    from micrograd_id.explore import explore
    from micrograd_id.viz import GraphvizNotFound

    try:
        page = explore(root, history)
    except GraphvizNotFound as problem:
        raise GraphvizNotFound(f"{path} not written: {one_line(problem)}") from None
    return page.save(path)


def explorer_unless_no_dot(path: Path, root: Value, history: Any) -> Path | None:
    """The explorer page; without Graphviz's `dot` say so and skip it."""
    from micrograd_id.viz import GraphvizNotFound

    try:
        return write_explorer(path, root, history)
    except GraphvizNotFound as problem:
        print(f"  {one_line(problem)}", file=sys.stderr)
        return None


def saved(figure: Any, path: Path) -> Path:
    from micrograd_id.plots import save_figure

    return save_figure(figure, path)
