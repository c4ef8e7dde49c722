"""mkdocs hook: show the docstrings' Sphinx cross-reference roles as code.

kv's docstrings name objects the Sphinx way (``:class:`kv.AsyncKeyValue```),
which mkdocstrings renders as the literal ``:class:`` followed by code. This
hook drops the role, leaving the code, in every page's rendered HTML.
"""

from __future__ import annotations

import re
from typing import Any

ROLE = re.compile(r":(?:py:)?(?:class|func|meth|mod|attr|data|exc|obj|const):(?=<code>)")


def on_page_content(html: str, **_: Any) -> str:
    """The page's HTML without the roles before code spans."""
    return ROLE.sub("", html)
