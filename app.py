"""Grokking Diffusion: routes to the pages (and hardens Streamlit for a public server, starts computing every
page's default view in the background, has every figure the app keeps made ready to send, lets a page's own address
connect at once, and adds the one style rule, app.css, and the style of text with formulas,
app_components/prose.css); nothing else lives here."""

from pathlib import Path

import streamlit as st

import app_cache
import app_cache.figures
import app_hosting
from app_components import chart, prose

app_hosting.harden()
app_cache.figures.on_kept = chart.prepare  # a figure kept is made ready to send (the warm-up's too)
app_cache.warm_up()

PAGES = [
    st.Page("app_pages/home.py", title="Home", default=True),
    st.Page("app_pages/diffusion_process.py", title="The diffusion process"),
    st.Page("app_pages/means_and_modes.py", title="Means and modes"),
    st.Page("app_pages/regurgitation.py", title="Regurgitation"),
    st.Page("app_pages/score_fields.py", title="Score fields"),
    st.Page("app_pages/where_the_loss_comes_from.py", title="Where the loss comes from"),
    st.Page("app_pages/spectral_bands.py", title="Spectral bands"),
    st.Page("app_pages/sampling_optimization.py", title="Sampling as optimization"),
    st.Page("app_pages/flow_matching.py", title="Flow matching"),
    st.Page("app_pages/guidance.py", title="Guidance"),
    st.Page("app_pages/playground.py", title="Playground"),
]
app_hosting.connect_at_once(page.url_path for page in PAGES)  # a page's own address connects at once

st.set_page_config(layout="wide", page_title="Grokking Diffusion", page_icon="🦖")
st.html(Path(__file__).with_name("app.css"))  # style only: Streamlit adds it without a block on the page
st.html(prose.STYLE)  # the style of text with formulas (app_components/prose.py), style only too
st.navigation(PAGES, position="sidebar").run()
