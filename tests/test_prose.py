"""app_components.prose: text with formulas goes to st.html for static/typeset.js; the rest to Streamlit's markdown.
Its typesetting in Chromium is checked by the browser tests (tools/exercise.py, after every input of every page)."""

from __future__ import annotations

import html
import re
from pathlib import Path

import streamlit

import app_common
from app_components import prose


class Where:
    """A stand-in for st or a container: records which of its methods a call reached, with what."""

    def __init__(self):
        self.calls = []

    def __getattr__(self, name):
        return lambda *args, **kwargs: self.calls.append((name, args, kwargs))


def test_a_text_with_a_formula_goes_to_html_and_one_without_to_streamlit_s_markdown():
    where = Where()
    prose.markdown("No formula here.", where=where)
    prose.markdown("The score $\\nabla_x \\log p(x)$.", where=where)
    prose.caption("A caption costs 5 \\$.", where=where)  # an escaped dollar is no formula
    prose.caption("A caption with $t$.", where=where)
    prose.markdown("A formula and an option $t$.", where=where, help="kept: it goes to Streamlit")
    prose.latex("x_t = \\sqrt{\\bar\\alpha_t}\\,x_0", where=where)
    kinds = [(name, kwargs.get("unsafe_allow_javascript")) for name, _, kwargs in where.calls]
    assert kinds == [("markdown", None), ("html", True), ("caption", None), ("html", True), ("markdown", None),
                     ("html", True)]
    body = where.calls[1][1][0]
    assert '<span class="math inline">\\nabla_x \\log p(x)</span>' in body
    assert body.startswith('<div class="gd-prose ">') and prose.SCRIPT in body
    assert 'class="gd-prose gd-caption"' in where.calls[3][1][0]
    assert '<div class="math block">x_t = \\sqrt{\\bar\\alpha_t}\\,x_0</div>' in where.calls[5][1][0]


def test_the_markdown_is_read_as_streamlit_reads_it():
    """Emphasis, lists, links and display maths as CommonMark and remark-math read them; the TeX kept as text."""
    body = prose.to_html("**Bold** and *it*, [a page](/guidance), $\\bar\\alpha_T = 0.3$:\n\n- one $t$\n- two\n\n"
                         "$$x = x_0 + \\sigma\\,\\varepsilon$$")
    assert "<strong>Bold</strong> and <em>it</em>" in body
    # a link opens in a new tab, as Streamlit's markdown opens one (the reader's page and its settings stay)
    assert '<a href="/guidance" target="_blank" rel="noopener noreferrer">a page</a>' in body
    assert '<span class="math inline">\\bar\\alpha_T = 0.3</span>' in body
    assert re.search(r"<ul>\s*<li>one <span class=\"math inline\">t</span></li>\s*<li>two</li>\s*</ul>", body)
    assert '<div class="math block">' in body and "x = x_0 + \\sigma\\,\\varepsilon" in body
    # displayed maths inside a paragraph stays inside it; an indented text is not read as code (as st.markdown)
    inline = prose.to_html("""
        A sum $$\\sum_i x_i$$ in a line, and a [place on the page](#top).""")
    assert '<p>A sum <span class="math block">\\sum_i x_i</span> in a line' in inline
    assert '<a href="#top">place on the page</a>' in inline and "<pre>" not in inline


def test_markup_in_the_text_is_shown_as_text_and_a_reader_s_text_makes_no_formula():
    """Raw HTML is escaped, not passed on (the html goes out with its scripts allowed); a reader's text, escaped
    by app_common.md as everywhere, makes no formula, tag or link; a `javascript:` link is not made."""
    body = prose.to_html('A formula $t$ and <script>alert(1)</script> <img src=x onerror="alert(1)"> '
                         "[x](javascript:alert(1))")
    assert "<script>alert" not in body and "<img" not in body and 'href="javascript' not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    reader = app_common.md("$x$ <b>bold</b> [l](http://e.com) ![i](x.png)")
    body = prose.to_html(f"The model $\\theta$ trained on {reader}.")
    assert body.count('class="math inline"') == 1
    assert "<b>" not in body and "<a " not in body and "<img" not in body
    text = html.unescape(re.sub(r"<[^>]+>", "", body))
    assert "$x$ <b>bold</b>" in text


def test_the_shipped_katex_is_the_version_streamlit_s_markdown_typesets_with():
    """typeset.js renders with static/katex-0.16.47.min.js and the page styles it with Streamlit's KaTeX style
    sheet: the two must be one version, the one Streamlit's markdown bundles (its rehype-katex chunk)."""
    shipped = re.findall(r'version:"(\d+\.\d+\.\d+)"', prose.KATEX.read_text())
    chunks = list((Path(streamlit.__file__).parent / "static" / "static" / "js").glob("rehype-katex.*.js"))
    assert len(chunks) == 1, chunks
    bundled = re.findall(r"version:[`\"](\d+\.\d+\.\d+)[`\"]", chunks[0].read_text())
    assert shipped == bundled == ["0.16.47"], (shipped, bundled)
    assert "katex-0.16.47.min.js" in prose.TYPESET.read_text()
    assert "MIT License" in (prose.STATIC / "katex-LICENSE.txt").read_text()
