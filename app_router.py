"""Grokking Diffusion's script, which Streamlit runs for every reader: the menu of pages (app_start.MENU), after
what starts with the app (app_start.start, which app.py already ran when the server started), and the one style
rule, app.css, and the style of text with formulas, app_components/prose.css; nothing else lives here."""

from pathlib import Path

import streamlit as st

import app_start
from app_components import prose

app_start.start()

PAGES = [st.Page(f"app_pages/{name}.py", title=title, default=not i) for i, (name, title) in enumerate(app_start.MENU)]

st.set_page_config(layout="wide", page_title="Grokking Diffusion", page_icon="🦖")
st.html(Path(__file__).with_name("app.css"))  # style only: Streamlit adds it without a block on the page
st.html(prose.STYLE)  # the style of text with formulas (app_components/prose.py), style only too
st.navigation(PAGES, position="sidebar").run()
