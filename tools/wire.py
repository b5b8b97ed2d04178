"""A reader's session at the protocol level: Streamlit's websocket messages, no browser.

The load test's browsers share this machine's two cores with the server and, drawing the plots,
use several times the CPU the server does. A `WireSession` sends the same messages a browser
sends (run this page; this button was clicked) and times the server's answer up to its
"script finished" message, so the server can be measured under many readers without the cost of
drawing their pages. It uses `websockets`, which Streamlit itself depends on. `Wire` times the same
messages on a browser page's own websocket.
"""

from __future__ import annotations

import time

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg


class WireSession:
    """One session: `await open()`, then `run(page)` and `click(page, key)`; `close()` at the end."""

    def __init__(self, url: str):
        self.url = url.replace("http://", "ws://").rstrip("/") + "/_stcore/stream"
        self.ws = None
        self.pages: dict[str, str] = {}  # url path ("" for the default page) -> page script hash
        self.widgets: dict[str, str] = {}  # widget key -> widget id, from the last run's elements
        self.texts: list[str] = []  # text of the alerts (info, warning, error) the last run showed
        self.exceptions = 0  # exception elements seen over the whole session

    async def open(self) -> float:
        self.ws = await websockets.connect(self.url, subprotocols=["streamlit"], max_size=None)
        return await self.run("")

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()

    async def run(self, page: str, triggers: tuple[str, ...] = ()) -> float:
        """Ask for a run of `page` (its url path) with the given button ids pressed; seconds to the answer."""
        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = ""
        if page in self.pages:
            state.page_script_hash = self.pages[page]
        else:
            state.page_name = page
        for widget_id in triggers:
            w = state.widget_states.widgets.add()
            w.id = widget_id
            w.trigger_value = True
        start = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        self.widgets, self.texts = {}, []
        while True:
            fwd = ForwardMsg()
            fwd.ParseFromString(await self.ws.recv())
            kind = fwd.WhichOneof("type")
            if kind == "script_finished":
                return time.perf_counter() - start
            if kind == "navigation":
                self.pages = {p.url_pathname: p.page_script_hash for p in fwd.navigation.app_pages}
            elif kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
                self._element(fwd.delta.new_element)

    async def click(self, page: str, key: str) -> float:
        """Press the button with widget key `key` on `page` (after a run that drew it)."""
        if key not in self.widgets:
            raise KeyError(f"no widget with key {key!r} on the page (have: {sorted(self.widgets)})")
        return await self.run(page, (self.widgets[key],))

    def _element(self, element) -> None:
        kind = element.WhichOneof("type")
        if kind == "exception":
            self.exceptions += 1
        elif kind == "alert":
            self.texts.append(element.alert.body)
        inner = getattr(element, kind, None) if kind else None
        widget_id = getattr(inner, "id", "") if inner is not None else ""
        if widget_id and "-" in widget_id:  # "$$ID-<hash>-<user key>"
            self.widgets[widget_id.rsplit("-", 1)[1]] = widget_id


class Wire:
    """Times of the Streamlit protocol messages of one page: rerun requests out, script-finished in.

    Measured on the websocket, so they exclude the time the browser spends drawing: with many
    browsers on the same two cores as the server, that is the only clean view of the server.
    """

    def __init__(self, page):
        self.events: list[tuple[float, str]] = []

        def watch(message_type, kind: str, label: str):
            """A websocket frame handler that notes the time of every message of `kind`."""
            def on(payload):
                if isinstance(payload, bytes):
                    msg = message_type()
                    msg.ParseFromString(payload)
                    if msg.WhichOneof("type") == kind:
                        self.events.append((time.perf_counter(), label))
            return on

        sent, received = watch(BackMsg, "rerun_script", "rerun"), watch(ForwardMsg, "script_finished", "finished")
        page.on("websocket", lambda ws: (ws.on("framesent", sent), ws.on("framereceived", received)))

    def mark(self) -> int:
        return len(self.events)

    def run_seconds(self, since: int) -> float | None:
        """From the first rerun request after `since` to the next script-finished."""
        later = self.events[since:]
        start = next((t for t, kind in later if kind == "rerun"), None)
        end = next((t for t, kind in later if kind == "finished" and start is not None and t >= start), None)
        return None if end is None else end - start
