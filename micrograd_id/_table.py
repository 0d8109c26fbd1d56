"""Tables for the terminal and for Jupyter: right-aligned columns, numbers that stay visible."""

import html


def aligned(rows):
    """Lines of cells (lists of str), each column right-aligned to its widest cell."""
    widths = [max(len(row[k]) for row in rows) for k in range(len(rows[0]))]
    return "\n".join("  ".join(cell.rjust(n) for cell, n in zip(row, widths)).rstrip() for row in rows)


def number(x, digits=6):
    """x with ``digits`` significant digits: 3.2e-17 stays 3.2e-17 (a fixed column would print 0.000000)."""
    return f"{x:.{digits}g}"


def plural(n, word):
    """'1 row', '2 rows'."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def html_table(rows):
    """The same cells as an HTML table for Jupyter: the first row is the header; every cell escaped."""
    def line(cells, tag):
        return "<tr>" + "".join(f'<{tag} style="text-align:right">{html.escape(c)}</{tag}>' for c in cells) + "</tr>"

    return "<table>" + line(rows[0], "th") + "".join(line(row, "td") for row in rows[1:]) + "</table>"
