"""Widget values that survive a visit to another page.

Streamlit forgets the state of every widget that a run does not draw, so leaving a page would
reset its controls. A kept widget also copies its value to a second, plain session key (which
Streamlit never clears) whenever the reader changes it, and starts from that copy when its page
is drawn again. Defaults go through here too, not through the widget's own value argument, so
Streamlit never sees a widget with both a default and a value set from session state.
"""

from __future__ import annotations

import streamlit as st

_PREFIX = "_kept_"


def _save(key: str) -> None:
    st.session_state[_PREFIX + key] = st.session_state[key]


def keep(key: str, default) -> dict:
    """Keyword arguments (key, on_change, args) for a widget whose value must outlive the page."""
    if key not in st.session_state:
        st.session_state[key] = st.session_state.get(_PREFIX + key, default)
    return {"key": key, "on_change": _save, "args": (key,)}
