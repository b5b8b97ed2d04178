"""Widget values that survive a visit to another page, and travel in a link.

Every kept widget is bound to the address (its key is the query parameter), so a reader can send a link to a
figure. Streamlit forgets the state of an unbound widget that a run does not draw; Streamlit 1.67 keeps a bound
widget's value while its page is away and writes it back into the address on return, so the second copy kept
here (a plain session key Streamlit never clears, written whenever the reader changes the widget, read when its
page is drawn again without a value) is a fallback for a Streamlit that does not. A test switches pages and
checks both the values and the address.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import streamlit as st

_PREFIX = "_kept_"


def _save(key: str) -> None:
    st.session_state[_PREFIX + key] = st.session_state[key]


def keep(key: str, default, *, index_in: Sequence | None = None, arg: str = "value",
         format_func: Callable[[Any], str] | None = None) -> dict:
    """Keyword arguments for a widget whose value must outlive the page and be shared by a link: its key, the
    callback that saves its value, `bind="query-params"`, its default (as `arg`, "value" by default; with
    `index_in`, the options of a selectbox or radio, as `index`) and the given format_func.

    The widget is bound to the query parameter `key`: the address holds every control's value that differs from
    its default, and a link sets them; a value the widget does not offer falls back to the default, without an
    error. The default goes to the widget itself (Streamlit leaves a value equal to a widget's declared default
    out of the address, so the declared default must be the real one); the value saved when the reader left the
    page comes back through session state, unless a link names one (the duplicate-default warning is off in
    .streamlit/config.toml for that). A segmented control or pills, even with required=True, still gives None
    for a link's empty value (`?key=`) or a forged empty choice: follow it with `or` its default."""
    if key not in st.session_state and _PREFIX + key in st.session_state and key not in st.query_params:
        st.session_state[key] = st.session_state[_PREFIX + key]
    out = {"key": key, "on_change": _save, "args": (key,), "bind": "query-params"}
    out |= {"index": list(index_in).index(default)} if index_in is not None else {arg: default}
    return out if format_func is None else out | {"format_func": format_func}
