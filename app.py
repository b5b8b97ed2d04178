"""Grokking Diffusion: `streamlit run app.py` serves the app's script, app_router.py (the menu of pages), as an
st.App, so that what starts with the app (app_start.start: the hardening a public server needs, the pages' addresses
in the app's HTML, and the warm-up that computes every page's default view in the background) starts with the
server, before it answers any request.

The server answers once Home's default view is computed and Home has been opened once by the server itself
(app_start.rehearse): about 3 s after it is started, against under 1 s for the router served alone (a request that
comes in meanwhile waits). So the first reader of a fresh server lands on a Home as ready as the hundredth's. Once
every page's default view is computed, the server opens every other page once the same way, in the background.
Nothing here stops the server from starting: what fails is logged, and the router runs app_start.start again on
every run. When the server stops, the training process is stopped and waited for (app_cache.stop_processes).
Nothing else lives here."""

import asyncio
import contextlib
import sys

import streamlit as st
from streamlit.logger import get_logger

HOME_WAIT = 30  # seconds the server waits at most for Home's default view before it answers anyway
HOME_REHEARSAL = 20  # seconds it gives Home's rehearsal at most
VIEWS_WAIT = 600  # seconds the background rehearsal waits at most for the other pages' default views
LOG = get_logger(__name__)


def _start() -> bool:
    """app_start.start(), and Home's default view computed; False if the warm-up is off (GD_WARM=0) or Home's view
    was not ready in HOME_WAIT seconds."""
    import app_cache  # torch and the core: a few seconds, here rather than in the first reader's run
    import app_start

    if app_start.start() is None:
        return False
    return app_cache.warmed("home", HOME_WAIT)


async def _rehearse_the_rest(runtime) -> None:
    """Every page but Home, once every default view has been tried (polled here, so that the server's shutdown cancels
    the wait)."""
    import app_cache
    import app_start

    loop = asyncio.get_running_loop()
    deadline = loop.time() + VIEWS_WAIT
    while not all(app_cache.warmed(room, 0) for room in app_cache.WARM_ORDER) and loop.time() < deadline:
        await asyncio.sleep(0.5)
    try:
        await app_start.rehearse(runtime, app_start.url_paths()[1:])
    except Exception:
        LOG.exception("the rehearsal of the other pages failed: their first readers run them first")


@contextlib.asynccontextmanager
async def _lifespan(_app):
    from streamlit.runtime import Runtime

    rest = None
    try:
        if await asyncio.to_thread(_start):  # (in a thread: the server's event loop is not held)
            import app_start

            runtime = Runtime.instance()
            await app_start.rehearse(runtime, [""], timeout=HOME_REHEARSAL)
            rest = asyncio.create_task(_rehearse_the_rest(runtime))
    except Exception:
        LOG.exception("starting the app with the server failed: the router starts it at the first reader's run")
    yield
    if rest is not None:
        rest.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await rest
    app_cache = sys.modules.get("app_cache")  # (not imported if the start failed before it: nothing to stop)
    if app_cache is not None:
        await asyncio.to_thread(app_cache.stop_processes)  # (uvicorn's exit runs no exit handler: see there)


app = st.App("app_router.py", lifespan=_lifespan)
