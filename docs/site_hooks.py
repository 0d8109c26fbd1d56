"""Hooks of the docs site (mkdocs.yml): the home page is the README.

The README sits at the repository's root, where GitHub shows it, and links
into docs/; on the site, whose root is docs/, those links drop the prefix.
"""

import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def on_page_markdown(markdown, page, config, files):
    if page.file.src_uri != "index.md":
        return markdown
    text = README.read_text(encoding="utf-8")
    return re.sub(r"\]\(docs/", "](", text)
