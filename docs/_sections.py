"""The generated sections of the docs pages, shared by every docs script.

A section is the text between ``<!-- BEGIN name -->`` and
``<!-- END name -->`` in a Markdown page. A script computes each section's
body from the library and rewrites only those bodies, so the prose around
them never quotes a number by hand and no number goes stale unnoticed.
"""

import re
import sys

from micrograd_id._files import write_atomic

_ANY = re.compile(r"<!-- BEGIN (\S+) -->\n(.*?)<!-- END \1 -->", re.S)


def _marked(name):
    return re.compile(rf"(<!-- BEGIN {re.escape(name)} -->\n).*?(<!-- END {re.escape(name)} -->)", re.S)


def sections_in(text):
    """{name: body without its trailing newlines} for every marked section of a page."""
    return {m.group(1): m.group(2).rstrip("\n") for m in _ANY.finditer(text)}


def fill(path, text, bodies):
    """text with each named section's body replaced; ValueError naming the page if a marker pair is missing."""
    for name, body in bodies.items():
        pattern = _marked(name)
        if not pattern.search(text):
            raise ValueError(f"{path.name} has no <!-- BEGIN {name} --> ... <!-- END {name} --> markers")
        text = pattern.sub(lambda m: m.group(1) + body.rstrip("\n") + "\n" + m.group(2), text)
    return text


def stale_sections(text, bodies):
    """The names whose body in text differs from the freshly computed one."""
    found = sections_in(text)
    return [name for name, body in bodies.items() if found.get(name) != body.rstrip("\n")]


def update(path, bodies, check=False, script="make docs"):
    """Rewrite the page's sections (atomically, only if changed), or with check only report; an exit status."""
    text = path.read_text(encoding="utf-8")
    stale = stale_sections(text, bodies)
    if check:
        if stale:
            print(f"{path}: stale sections: {', '.join(stale)}; run `{script}`", file=sys.stderr)
        return 1 if stale else 0
    if stale:
        write_atomic(path, fill(path, text, bodies))
        print(f"updated {path} ({', '.join(stale)})")
    return 0


def markdown_table(header, rows):
    """A right-aligned Markdown table; the cells are already formatted strings."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---:" for _ in header) + "|"]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])
