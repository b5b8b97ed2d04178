"""Text that holds formulas, typeset by KaTeX in the reader's browser without Streamlit's markdown pipeline.

Streamlit's markdown typesets a formula by rendering it with KaTeX, parsing the HTML back into a tree and turning
every span into a React element with its inline style parsed: about 4 ms a formula in Chromium on this machine,
where KaTeX itself takes well under 1 ms. The diffusion process has 41 formulas, and they were a fifth of its load
(README, "In the browser: the reader's wait"). So `markdown`, `caption` and `latex` turn a text with a formula into
HTML here (markdown-it with its dollar-maths plugin: CommonMark, raw HTML escaped, the TeX left as text in a
`<span class="math inline">` or `<div class="math block">`) and send it with `st.html`; `static/typeset.js` then
renders each formula in place with KaTeX 0.16.47, the version Streamlit's markdown bundles, so the formulas look as
before, with the style sheet and fonts Streamlit already loads. `prose.css` styles the text as Streamlit's markdown.

A text without a formula goes to Streamlit's own markdown as before: it costs little there and keeps Streamlit's
extras (links to bare addresses, colour and icon codes, headings with anchors). So does any call with options
(`help=` and the like). The pages' texts with formulas use none of those extras.
"""

from __future__ import annotations

import functools
import hashlib
import html
import re
import textwrap
from pathlib import Path

import streamlit as st
from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin

STATIC = Path(__file__).resolve().parents[1] / "static"
STYLE = Path(__file__).with_name("prose.css")  # added to every page by app_router.py
TYPESET = STATIC / "typeset.js"
KATEX = STATIC / "katex-0.16.47.min.js"
# a dollar sign not escaped by a backslash: the text holds a formula (a reader's text is escaped: app_common.md)
FORMULA = re.compile(r"(?<!\\)\$")
# the module that typesets, relative to the page's address (a server under a path prefix serves it too), with the
# file's digest in it: a changed file is fetched afresh. A module runs once a page however often it is included.
SCRIPT = (f'<script type="module" src="app/static/typeset.js?v='
          f'{hashlib.blake2b(TYPESET.read_bytes(), digest_size=8).hexdigest()}"></script>')
# CommonMark, as Streamlit's markdown reads it (with GitHub's tables and strikethrough); raw HTML is escaped, not
# passed on (the HTML goes out with its scripts allowed: this is what keeps a text from carrying one), and links
# that run code are not made; `$...$` is inline maths and `$$...$$` display maths, as remark-math reads them
# (digits and spaces next to a dollar allowed)
_MD = (MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
       .use(dollarmath_plugin, allow_space=True, allow_digits=True, double_inline=True))


def _link_open(self, tokens, idx, options, env) -> str:
    """A link opens in a new tab, as Streamlit's markdown opens every link but one to a place on the page."""
    if not str(tokens[idx].attrGet("href") or "").startswith("#"):
        tokens[idx].attrSet("target", "_blank")
        tokens[idx].attrSet("rel", "noopener noreferrer")
    return self.renderToken(tokens, idx, options, env)


def _display_in_line(self, tokens, idx, options, env) -> str:
    """`$$...$$` inside a paragraph: displayed, as remark-math shows it, in a span (a div would split the paragraph)."""
    return f'<span class="math block">{html.escape(tokens[idx].content, quote=False)}</span>'


_MD.add_render_rule("link_open", _link_open)
_MD.add_render_rule("math_inline_double", _display_in_line)


def has_formula(body: object) -> bool:
    return isinstance(body, str) and FORMULA.search(body) is not None


@functools.lru_cache(maxsize=512)
def to_html(body: str, kind: str = "") -> str:
    """The text as the HTML `st.html` shows: a `gd-prose` block (and `kind`, say "gd-caption"), then the typesetter.
    Dedented and stripped first, as st.markdown does. Pages say the same texts again and again (fragments rerun),
    so it is worked out once per text."""
    return f'<div class="gd-prose {kind}">{_MD.render(textwrap.dedent(body).strip())}</div>{SCRIPT}'


def markdown(body, where=st, **kwargs):
    """`where.markdown(body)` (where: st or a container), with its formulas typeset by `static/typeset.js`."""
    if kwargs or not has_formula(body):
        return where.markdown(body, **kwargs)
    return where.html(to_html(body), unsafe_allow_javascript=True)


def caption(body, where=st, **kwargs):
    """`where.caption(body)`, with its formulas typeset by `static/typeset.js`."""
    if kwargs or not has_formula(body):
        return where.caption(body, **kwargs)
    return where.html(to_html(body, "gd-caption"), unsafe_allow_javascript=True)


def latex(tex: str, where=st, **kwargs):
    """`where.latex(tex)`: one displayed formula, typeset by `static/typeset.js`."""
    if kwargs:
        return where.latex(tex, **kwargs)
    return where.html(f'<div class="gd-prose gd-display"><div class="math block">{html.escape(tex, quote=False)}'
                      f"</div></div>{SCRIPT}", unsafe_allow_javascript=True)
