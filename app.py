"""Grokking Diffusion: `streamlit run app.py` serves the app's script, app_router.py (the menu of pages), as an
st.App, so that what starts with the app (app_start.start: the hardening a public server needs, the pages' addresses
in the app's HTML, and the warm-up that computes every page's default view in the background) starts with the
server, before any reader can connect.

The server starts listening once Home's default view is computed and Home has been opened once by the server itself
(app_start.rehearse): about 3 s after it is started, against under 1 s for the router served alone. So the first
reader of a fresh server lands on a Home as ready as the hundredth's. Once every page's default view is computed, the
server opens every other page once the same way, in the background. Nothing else lives here."""

import asyncio
import contextlib
import importlib

import streamlit as st

HOME_WAIT = 60  # seconds the server waits at most for Home's default view before it listens anyway
VIEWS_WAIT = 600  # seconds the background rehearsal waits at most for the other pages' default views
# imported by the first run of the pages and not by the warm-up: imported here, before any reader
FIRST_RUN_IMPORTS = ("app_common", "app_components.prose", "app_state", "streamlit.emojis")


def _start() -> bool:
    """app_start.start(), and Home's default view computed; False if the warm-up is off (GD_WARM=0)."""
    import app_cache  # torch and the core: a few seconds, here rather than in the first reader's run
    import app_start

    if app_start.start() is None:
        return False
    app_cache.warmed("home", HOME_WAIT)
    for name in FIRST_RUN_IMPORTS:
        importlib.import_module(name)
    return True


def _views_computed() -> None:
    import app_cache

    for room in app_cache.WARM_ORDER:
        app_cache.warmed(room, VIEWS_WAIT)


async def _rehearse_the_rest(runtime) -> None:
    import app_start

    await asyncio.to_thread(_views_computed)
    await app_start.rehearse(runtime, app_start.url_paths()[1:])


@contextlib.asynccontextmanager
async def _lifespan(_app):
    from streamlit.runtime import Runtime

    rest = None
    if await asyncio.to_thread(_start):  # (in a thread: the server's event loop is not held)
        import app_start

        runtime = Runtime.instance()
        await app_start.rehearse(runtime, [""])
        rest = asyncio.create_task(_rehearse_the_rest(runtime))
    yield
    if rest is not None:
        rest.cancel()


app = st.App("app_router.py", lifespan=_lifespan)
