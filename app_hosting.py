"""What a public instance needs beyond Streamlit's own settings (.streamlit/config.toml): bounded uploads, and
number boxes that a hostile value cannot break.

Streamlit keeps every uploaded file in memory until its session ends, under any file id the client makes up,
so one session could hold any number of files (each up to server.maxUploadSize, 10 MB here); and Starlette
spools a multipart body over 1 MB to a temporary file on disk. `bound_uploads` (called by app_start.start, once per
process) keeps at most MAX_SESSION_FILES files and MAX_SESSION_BYTES per session (the newest; the pages have
three uploaders), refuses a file (HTTP 413) that would take the server's uploads past MAX_UPLOAD_BYTES, and
keeps a body up to the upload limit in memory, so nothing a reader sends is written to disk.

The patches take effect when the server starts, before it answers (app.py's lifespan runs app_start.start); a
server started on the router alone (`streamlit run app_router.py`) takes them at its first script run, so until
then it runs without them.

Streamlit 1.67 turns the value of a whole-number st.number_input into an int with int(value), which raises
OverflowError on an infinite value: a shared link with `?seed=inf`, or a client that sends an infinite widget
value, stopped the page before any of its code ran. `guard_number_inputs` makes such a value fall back to the
widget's default, as Streamlit already does for a value out of range.

Any client can send Streamlit's `clear_cache` message (the developer menu's "Clear cache", which readers are not
shown), and Streamlit clears every cache of the server for every reader: each of them then waits for every page
to be computed again (under tools/hostile.py the ordinary readers' p95 went from 9.5 s to 38 s). `keep_caches`
makes the message clear only the sender's own session state; a maintainer clears the caches by restarting.

A page opened at its own address (a shared link, a reload: every page but Home) waited about 0.1 s more than Home
before its first message: Streamlit's client does not know the app's base path, so it first asks for
`/<page>/_stcore/health`, gets a 404, waits 100 ms and then asks at the root. The client reads the base path from
`window.__streamlit.BACKEND_BASE_URL` when a page sets it, and then asks there first. `connect_at_once` puts a
script in the app's HTML (Streamlit's own index.html, served for every page's address) that sets it: the address
with the page's name taken off its end when that name is one of the app's pages (and not part of
server.baseUrlPath), the address itself otherwise (an unknown address falls back as before). It holds behind a proxy
that adds a prefix, since the prefix stays in the address, unless the prefix ends in one of the pages' names.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterable

from starlette import formparsers
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.responses import FileResponse
from streamlit import config, file_util
from streamlit.elements.widgets.number_input import NumberInputSerde
from streamlit.logger import get_logger
from streamlit.runtime.app_session import AppSession
from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager

MAX_SESSION_FILES = 4
MAX_SESSION_BYTES = 24 * 2**20  # one session's uploads together (the three uploaders take at most 10 + 8 + 2 MB)
MAX_UPLOAD_BYTES = 200 * 2**20  # all sessions' uploads together

_DONE = threading.Lock()
_original_deserialize = NumberInputSerde.deserialize
_original_file_response = FileResponse.__call__
INDEX = os.path.join(file_util.get_static_dir(), "index.html")  # the HTML Streamlit serves for every page's address
_INDEX_NAMES = {INDEX, os.path.abspath(INDEX), os.path.realpath(INDEX)}  # as the fallback and the root name it
_index_html: bytes | None = None  # INDEX with the base-path script, once connect_at_once has made it
_index_failed = False  # INDEX could not be read or had no </head>: served as it is
LOG = get_logger(__name__)


class UploadRefused(HTTPException):
    """The server or the session holds as many uploaded bytes as it allows: HTTP 413, which the widget shows."""

    def __init__(self, detail: str):
        super().__init__(status_code=413, detail=detail)


def _bounded_add_file(self: MemoryUploadedFileManager, session_id: str, file) -> None:
    """Streamlit's add_file, with the session's oldest files dropped beyond MAX_SESSION_FILES and MAX_SESSION_BYTES,
    and a file refused when the server already holds MAX_UPLOAD_BYTES, all under the manager's one lock."""
    size = len(file.data)
    with self._lock:
        kept = self.file_storage.get(session_id, {})
        replaced = len(kept[file.file_id].data) if file.file_id in kept else 0
        if self._total_bytes - replaced + size > MAX_UPLOAD_BYTES:
            raise UploadRefused(f"uploads on this server would exceed {MAX_UPLOAD_BYTES // 2**20} MB")
        kept = self.file_storage[session_id]
        self._file_count += file.file_id not in kept
        self._total_bytes += size - replaced
        kept.pop(file.file_id, None)
        kept[file.file_id] = file  # the newest last
        while len(kept) > MAX_SESSION_FILES or sum(len(f.data) for f in kept.values()) > MAX_SESSION_BYTES:
            oldest = kept.pop(next(iter(kept)))
            self._total_bytes -= len(oldest.data)
            self._file_count -= 1


def bound_uploads() -> None:
    """Bound uploads per session and server-wide, and keep upload bodies in memory (idempotent)."""
    with _DONE:
        MemoryUploadedFileManager.add_file = _bounded_add_file
        limit = (config.get_option("server.maxUploadSize") + 1) * 2**20
        formparsers.MultiPartParser.spool_max_size = max(formparsers.MultiPartParser.spool_max_size, limit)


def _guarded_deserialize(self: NumberInputSerde, ui_value):
    try:
        return _original_deserialize(self, ui_value)
    except (OverflowError, ValueError, TypeError):  # int(inf), int(nan), a value of the wrong type
        return self.value


def guard_number_inputs() -> None:
    """Number boxes fall back to their default on a value that is not a finite number (idempotent)."""
    with _DONE:
        NumberInputSerde.deserialize = _guarded_deserialize


def _clear_own_session(self: AppSession) -> None:
    self._session_state.clear()


def keep_caches() -> None:
    """A client's clear_cache message clears its own session state, not the server's caches (idempotent)."""
    with _DONE:
        AppSession._handle_clear_cache_request = _clear_own_session


BASE_SCRIPT = """<script>
(() => {  // grokking-diffusion: the app's base path, so the client connects at once (app_hosting.py)
  const pages = PAGES;
  const fixed = BASE_SEGMENTS;  // the segments of server.baseUrlPath, never taken off
  const parts = location.pathname.replace(/\\/+$/, '').split('/');
  let last = parts[parts.length - 1];
  try { last = decodeURIComponent(last); } catch (e) { /* not an address of a page */ }
  if (parts.length - 1 > fixed && pages.includes(last)) parts.pop();
  const base = location.origin + parts.join('/') + '/';
  window.__streamlit = Object.assign({}, window.__streamlit, {BACKEND_BASE_URL: base});
})();
</script>"""


async def _file_response_with_base(self: FileResponse, scope, receive, send) -> None:
    """Starlette's FileResponse, but Streamlit's index.html goes out with the base-path script at the end of its <head>
    (without the file's length, ETag and date, which are the unchanged file's)."""
    html = _index_html
    if html is None or scope["type"] != "http" or os.fspath(self.path) not in _INDEX_NAMES or self.status_code != 200:
        await _original_file_response(self, scope, receive, send)
        return
    dropped = {b"content-length", b"etag", b"last-modified", b"accept-ranges"}
    headers = MutableHeaders(raw=[(k, v) for k, v in self.raw_headers if k.lower() not in dropped])
    headers["content-length"] = str(len(html))
    await send({"type": "http.response.start", "status": 200, "headers": headers.raw})
    await send({"type": "http.response.body", "body": b"" if scope["method"].upper() == "HEAD" else html})
    if self.background is not None:
        await self.background()


def base_script(url_paths: Iterable[str], base_url_path: str) -> str:
    """BASE_SCRIPT for the app's pages (their `url_paths`) under server.baseUrlPath `base_url_path`."""
    names = json.dumps(sorted(p for p in url_paths if p)).replace("<", "\\u003c")
    fixed = len([s for s in base_url_path.split("/") if s])
    return BASE_SCRIPT.replace("PAGES", names).replace("BASE_SEGMENTS", str(fixed))


def connect_at_once(url_paths: Iterable[str]) -> None:
    """Serve the app's HTML with a script that gives the client the app's base path, worked out from the address
    and the pages' `url_paths` (idempotent; the first call makes the HTML). If Streamlit's index.html cannot be
    read or has no </head>, the HTML goes out as it is (logged once): the pages connect as they did without it.
    A proxy that adds a prefix ending in one of the pages' names (an app served at `/guidance` by a proxy, with no
    server.baseUrlPath) is not supported: the script would take that name off."""
    global _index_html, _index_failed
    with _DONE:
        if _index_html is None and not _index_failed:
            try:
                with open(INDEX, "rb") as f:
                    page = f.read()
                end = page.index(b"</head>")  # before the end of <head>: after <meta charset>, before the bundle runs
            except (OSError, ValueError) as err:
                _index_failed = True
                LOG.warning("The app's HTML goes out without its base path (%s): pages connect as before.", err)
                return
            script = base_script(url_paths, config.get_option("server.baseUrlPath") or "").encode()
            _index_html = page[:end] + script + b"\n" + page[end:]
        if _index_html is not None:
            FileResponse.__call__ = _file_response_with_base


def harden() -> None:
    """Everything above but `connect_at_once` (which app_start.start calls with the pages' addresses), once per
    process (app_start.start is called when the server starts and on every run; it is idempotent)."""
    bound_uploads()
    guard_number_inputs()
    keep_caches()
