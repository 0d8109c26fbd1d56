"""Every code block in README.md and docs/*.md runs as written, in order, in a fresh interpreter per page.

A ```python block runs as a script; a block whose lines start with ``>>>``
(```python or ```text) runs doctest-style, and what it shows must be what
it prints (``…`` stands for text left out).
Shell blocks are not run. Run as a script, this file runs one page:

    python tests/test_docs_snippets.py docs/tutorial.md
"""

import doctest
import json
import os
import re
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["README.md", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```", re.M | re.S)


def blocks(text):
    """[(line, kind, source)]: kind 'doctest' for >>> blocks, 'script' for other python blocks."""
    found = []
    for match in FENCE.finditer(text):
        language, body = match.group(1), match.group(2)
        line = text.count("\n", 0, match.start()) + 1
        if body.lstrip().startswith(">>> "):
            found.append((line, "doctest", body))
        elif language == "python":
            found.append((line, "script", body))
    return found


def as_doctest(body):
    """A block as doctest source: a blank line inside the output is doctest's <BLANKLINE>."""
    return "\n".join(line if line.strip() else "<BLANKLINE>" for line in body.rstrip("\n").splitlines()) + "\n"


def run_page(page):
    """Run every block of one page in one namespace; [(line, what went wrong)] for the blocks that failed."""
    path = ROOT / page  # an absolute path stays as it is
    # The pages' own mark for text left out (doctest's ... would start a source line), as doctest
    # compares it: with every non-ASCII character escaped.
    doctest.ELLIPSIS_MARKER = "…".encode("ascii", "backslashreplace").decode("ascii")
    namespace = {"__name__": "__main__"}
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    failures = []
    for line, kind, body in blocks(path.read_text(encoding="utf-8")):
        where = f"{page}:{line}"
        try:
            if kind == "script":
                exec(compile(body, where, "exec"), namespace)
                continue
            test = doctest.DocTestParser().get_doctest(as_doctest(body), namespace, where, where, line)
            report = []
            runner.run(test, out=report.append, clear_globs=False)
            namespace.update(test.globs)
            if report:
                failures.append((line, "".join(report)[-3000:]))
        except BaseException:  # noqa: BLE001 - every failure of a block is reported, by its line
            failures.append((line, traceback.format_exc(limit=-3)[-3000:]))
    return failures


def page_failures(page):
    """run_page in a fresh interpreter, in an empty folder (blocks may write files there)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
           "MPLBACKEND": "Agg"}
    with tempfile.TemporaryDirectory() as folder:
        run = subprocess.run([sys.executable, __file__, page], cwd=folder, env=env, capture_output=True, text=True,
                             timeout=900)
    assert run.returncode == 0, f"the snippet runner crashed on {page}:\n{run.stderr[-3000:]}"
    return [tuple(failure) for failure in json.loads(run.stdout.splitlines()[-1])]


# Sections whose blocks are known not to run yet: (page, heading) -> why. Their failures are
# expected (the test says so); once they run, the entry must go.
KNOWN_FAILING_SECTIONS: dict = {}


def section_of(text, line):
    """The heading (## or ###-level's parent ##) above a line of a page."""
    headings = [(n, row) for n, row in enumerate(text.splitlines(), 1) if row.startswith("## ") and n < line]
    return headings[-1][1] if headings else ""


@pytest.mark.parametrize("page", PAGES)
def test_every_code_block_of_the_page_runs_as_written(page):
    text = (ROOT / page).read_text(encoding="utf-8")
    failures = page_failures(page)
    known = [(line, why) for line, why in failures if (page, section_of(text, line)) in KNOWN_FAILING_SECTIONS]
    unexpected = [f"{page}:{line} ({section_of(text, line)}):\n{why}" for line, why in failures
                  if (line, why) not in known]
    assert not unexpected, "\n\n".join(unexpected)
    still_listed = {heading for p, heading in KNOWN_FAILING_SECTIONS if p == page}
    fixed = still_listed - {section_of(text, line) for line, _ in known}
    assert not fixed, f"{page}: {sorted(fixed)} run now: drop them from KNOWN_FAILING_SECTIONS"
    if known:
        pytest.xfail(f"{page}: {len(known)} blocks in known failing sections: "
                     + "; ".join(KNOWN_FAILING_SECTIONS[(page, section_of(text, line))] for line, _ in known[:1]))


def test_the_runner_compares_what_a_block_shows(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("```python\nx = 2\n```\n\n```text\n>>> print(x + 1)\n3\n>>> print('a\\n\\nb c d')\na\n\n…d\n```\n"
                    "\n```python\n>>> x * 10\n21\n```\n", encoding="utf-8")
    assert [line for line, _ in run_page(page)] == [14]
    assert "Expected:\n    21\nGot:\n    20" in run_page(page)[0][1]


if __name__ == "__main__":
    print(json.dumps(run_page(sys.argv[1])))
