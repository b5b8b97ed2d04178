"""A reader's session at the protocol level: Streamlit's websocket messages, no browser.

The load test's browsers share this machine's two cores with the server and, drawing the plots,
use several times the CPU the server does. A `WireSession` sends the same messages a browser
sends (run this page; this button was clicked) and times the server's answer up to its
"script finished" message, so the server can be measured under many readers without the cost of
drawing their pages. It uses `websockets`, which Streamlit itself depends on. `Wire` times the same
messages on a browser page's own websocket.
"""

from __future__ import annotations

import asyncio
import http.client
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterable

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.Common_pb2 import UploadedFileInfo
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

CHART = "gd_chart"  # the app's canvas chart component (app_components.chart)
XSRF_COOKIE = "_streamlit_xsrf"  # Streamlit's double-submit cookie; an upload sends its value as X-Xsrftoken too


class WireSession:
    """One session: `await open()`, then `run(page)` and `click(page, key)`; `close()` at the end."""

    def __init__(self, url: str):
        self.url = url.replace("http://", "ws://").rstrip("/") + "/_stcore/stream"
        self.ws = None
        self.pages: dict[str, str] = {}  # url path ("" for the default page) -> page script hash
        self.widgets: dict[str, str] = {}  # widget key -> widget id, from the last run's elements
        self.texts: list[str] = []  # text of the alerts (info, warning, error) the last run showed
        self.exceptions = 0  # exception elements seen over the whole session
        self.session_id: str | None = None  # the server's id of this session (from its new_session message)
        # called with every ForwardMsg received and its bytes (for instance to look for text a reader should not see)
        self.on_message: Callable[[ForwardMsg, bytes], None] | None = None
        self.elements: list = []  # every new element (proto) the last run drew

    async def open(self) -> float:
        self.ws = await websockets.connect(self.url, subprotocols=["streamlit"], max_size=None)
        return await self.run("")

    async def connect(self, open_timeout: float = 60, ping_interval: float | None = None) -> None:
        """Open the websocket without a first run (then `rerun` any page, as a shared link to it does). A busy
        server may take a while to answer the handshake, hence the long `open_timeout` (seconds); and no keepalive
        pings by default (`ping_interval`), so a client short of CPU does not drop its own connection."""
        self.ws = await websockets.connect(self.url, subprotocols=["streamlit"], max_size=None,
                                           open_timeout=open_timeout, ping_interval=ping_interval)

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()

    async def run(self, page: str, triggers: tuple[str, ...] = ()) -> float:
        """Ask for a run of `page` (its url path) with the given button ids pressed; seconds to the answer."""
        return await self.rerun(page, widgets=[self.trigger(widget_id) for widget_id in triggers])

    async def rerun(self, page: str, query: str = "", widgets: Iterable[WidgetState] = ()) -> float:
        """Ask for a run of `page` (its url path) with the address's query string `query` (as a shared link
        carries it, without the "?") and the given widget states; seconds to the answer."""
        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = query
        if page in self.pages:
            state.page_script_hash = self.pages[page]
        else:
            state.page_name = page
        for w in widgets:
            state.widget_states.widgets.append(w)
        start = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        self.widgets, self.texts, self.elements = {}, [], []
        while True:
            fwd = await self._receive()
            kind = fwd.WhichOneof("type")
            if kind == "script_finished":
                return time.perf_counter() - start
            if kind == "navigation":
                self.pages = {p.url_pathname: p.page_script_hash for p in fwd.navigation.app_pages}
            elif kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
                self._element(fwd.delta.new_element)

    async def _receive(self) -> ForwardMsg:
        raw = await self.ws.recv()
        fwd = ForwardMsg()
        fwd.ParseFromString(raw)
        if fwd.WhichOneof("type") == "new_session" and fwd.new_session.initialize.session_id:
            self.session_id = fwd.new_session.initialize.session_id
        if self.on_message is not None:
            self.on_message(fwd, raw)
        return fwd

    # ---------------------------------------------------------------- widget states, raw messages, uploads

    @staticmethod
    def trigger(widget_id: str) -> WidgetState:
        """The state of a pressed button."""
        w = WidgetState(id=widget_id)
        w.trigger_value = True
        return w

    def state(self, key: str, **value) -> WidgetState:
        """The state of the widget with user key `key` (drawn by the last run), for example
        `state("word", string_value="hi")` (text inputs, and radios and select boxes by their shown label;
        segmented controls and pills as `string_array_value={"data": [label]}`),
        `state("seed", double_value=3)`, `state("pg_train", trigger_value=True)`."""
        if key not in self.widgets:
            raise KeyError(f"no widget with key {key!r} on the page (have: {sorted(self.widgets)})")
        return WidgetState(id=self.widgets[key], **value)

    def files_state(self, key: str, files: Iterable[UploadedFileInfo]) -> WidgetState:
        """The state of the file uploader with user key `key` holding `files` (see `upload`)."""
        w = self.state(key)
        w.file_uploader_state_value.uploaded_file_info.extend(files)
        return w

    async def send(self, msg: BackMsg) -> None:
        """Send any BackMsg as it is (no answer awaited)."""
        await self.ws.send(msg.SerializeToString())

    async def upload(self, name: str, data: bytes, content_type: str = "application/octet-stream",
                     timeout: float = 60) -> UploadedFileInfo:
        """Upload a file as the browser's file uploader does: ask the server for a file URL (file_urls_request),
        PUT the file there (`put_file`), and return its info for `files_state`. Raises RuntimeError if the PUT is
        refused (its HTTP status in the message). Call it between runs, not during one."""
        msg = BackMsg()
        request = msg.file_urls_request
        request.request_id, request.session_id = uuid.uuid4().hex, self.session_id or ""
        request.file_names.append(name)
        await self.send(msg)
        while True:
            fwd = await asyncio.wait_for(self._receive(), timeout)
            if fwd.WhichOneof("type") == "file_urls_response" and fwd.file_urls_response.response_id == request.request_id:
                urls = fwd.file_urls_response.file_urls[0]
                break
        status = await asyncio.to_thread(put_file, self.http_url, urls.upload_url, name, data, content_type)
        if status != 204:
            raise RuntimeError(f"the upload of {name!r} was refused with HTTP {status}")
        info = UploadedFileInfo(name=name, size=len(data), file_id=urls.file_id)
        info.file_urls.CopyFrom(urls)
        return info

    @property
    def http_url(self) -> str:
        """The server's address (http://host:port)."""
        return self.url.replace("ws://", "http://").removesuffix("/_stcore/stream")

    async def click(self, page: str, key: str) -> float:
        """Press the button with widget key `key` on `page` (after a run that drew it)."""
        if key not in self.widgets:
            raise KeyError(f"no widget with key {key!r} on the page (have: {sorted(self.widgets)})")
        return await self.run(page, (self.widgets[key],))

    def charts(self) -> int:
        """How many charts the last run drew: Plotly's, and the app's canvas charts (app_components.chart)."""
        kinds = [e.WhichOneof("type") for e in self.elements]
        return sum(kind == "plotly_chart" or (kind == "bidi_component" and e.bidi_component.component_name == CHART)
                   for kind, e in zip(kinds, self.elements, strict=True))

    def _element(self, element) -> None:
        self.elements.append(element)
        kind = element.WhichOneof("type")
        if kind == "exception":
            self.exceptions += 1
        elif kind == "alert":
            self.texts.append(element.alert.body)
        inner = getattr(element, kind, None) if kind else None
        widget_id = getattr(inner, "id", "") if inner is not None else ""
        if widget_id and "-" in widget_id:  # "$$ID-<hash>-<user key>"
            self.widgets[widget_id.rsplit("-", 1)[1]] = widget_id


_xsrf_tokens: dict[str, str] = {}


def xsrf_token(base_url: str) -> str:
    """The XSRF cookie the server hands any visitor (on its health check, as on its pages), fetched once per server."""
    if base_url not in _xsrf_tokens:
        with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=60) as r:  # a busy server is slow
            cookies = [c.split(";", 1)[0].split("=", 1) for c in r.headers.get_all("Set-Cookie") or []]
        _xsrf_tokens[base_url] = next((v.strip('"') for k, v in cookies if k == XSRF_COOKIE), "")
    return _xsrf_tokens[base_url]


def put_file(base_url: str, path: str, name: str, data: bytes, content_type: str = "application/octet-stream",
             chunked: bool = False, timeout: float = 120) -> int:
    """PUT `data` as the one file of a multipart form to `path` (/_stcore/upload_file/<session id>/<file id>), with
    the XSRF cookie and header a browser sends; the HTTP status. `chunked` sends it without a Content-Length
    (so the server can only bound it while reading); -1 if the connection closed without an answer. Blocking: call it
    in a thread from asyncio code."""
    boundary = uuid.uuid4().hex
    quoted = name.replace("\\", "\\\\").replace('"', '\\"')
    body = b"".join([f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{quoted}\"\r\n"
                     f"Content-Type: {content_type}\r\n\r\n".encode(), data, f"\r\n--{boundary}--\r\n".encode()])
    token = xsrf_token(base_url)
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}", "Origin": base_url}
    if token:
        headers |= {"Cookie": f"{XSRF_COOKIE}={token}", "X-Xsrftoken": token}
    parts = urllib.parse.urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        try:
            if chunked:
                headers["Transfer-Encoding"] = "chunked"
                chunks = (body[i:i + 2**20] for i in range(0, len(body), 2**20))
                conn.request("PUT", path, body=chunks, headers=headers, encode_chunked=True)
            else:
                conn.request("PUT", path, body=body, headers=headers)
        except ConnectionError:  # the server answered and closed before the whole body was sent: read its answer
            pass
        try:
            response = conn.getresponse()
            response.read()
        except (ConnectionError, http.client.HTTPException):
            return -1  # the connection was closed without an answer
        return response.status
    finally:
        conn.close()


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
