"""Plain-text tables for the terminal: right-aligned columns, numbers that stay visible."""


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
