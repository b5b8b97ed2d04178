"""What a public instance needs beyond Streamlit's own settings (.streamlit/config.toml): bounded uploads, and
number boxes that a hostile value cannot break.

Streamlit keeps every uploaded file in memory until its session ends, under any file id the client makes up,
so one session could hold any number of files (each up to server.maxUploadSize, 10 MB here); and Starlette
spools a multipart body over 1 MB to a temporary file on disk. `bound_uploads` (called by app.py, once per
process) keeps at most MAX_SESSION_FILES files per session (the newest; the pages have three uploaders),
refuses a file that would take the server's uploads past MAX_UPLOAD_BYTES, and keeps a body up to the upload
limit in memory, so nothing a reader sends is written to disk.

Streamlit 1.67 turns the value of a whole-number st.number_input into an int with int(value), which raises
OverflowError on an infinite value: a shared link with `?seed=inf`, or a client that sends an infinite widget
value, stopped the page before any of its code ran. `guard_number_inputs` makes such a value fall back to the
widget's default, as Streamlit already does for a value out of range.

Any client can send Streamlit's `clear_cache` message (the developer menu's "Clear cache", which readers are not
shown), and Streamlit clears every cache of the server for every reader: each of them then waits for every page
to be computed again (under tools/hostile.py the ordinary readers' p95 went from 9.5 s to 38 s). `keep_caches`
makes the message clear only the sender's own session state; a maintainer clears the caches by restarting.
"""

from __future__ import annotations

import threading

from starlette import formparsers
from streamlit import config
from streamlit.elements.widgets.number_input import NumberInputSerde
from streamlit.runtime.app_session import AppSession
from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager

MAX_SESSION_FILES = 4
MAX_UPLOAD_BYTES = 160 * 2**20  # all sessions' uploads together

_DONE = threading.Lock()
_original_add_file = MemoryUploadedFileManager.add_file
_original_deserialize = NumberInputSerde.deserialize


class UploadRefused(RuntimeError):
    """The server holds as many uploaded bytes as it allows (the upload gets an HTTP error; the widget says so)."""


def _bounded_add_file(self: MemoryUploadedFileManager, session_id: str, file) -> None:
    with self._lock:
        if self._total_bytes + len(file.data) > MAX_UPLOAD_BYTES:
            raise UploadRefused(f"uploads on this server would exceed {MAX_UPLOAD_BYTES // 2**20} MB")
    _original_add_file(self, session_id, file)
    with self._lock:
        kept = self.file_storage.get(session_id, {})
        extra = list(kept)[:max(0, len(kept) - MAX_SESSION_FILES)]  # the oldest (dicts keep insertion order)
    for file_id in extra:
        self.remove_file(session_id, file_id)


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


def harden() -> None:
    """Everything above, once per process (app.py calls it on every run; it is idempotent)."""
    bound_uploads()
    guard_number_inputs()
    keep_caches()
