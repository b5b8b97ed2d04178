"""Validation of everything a reader can hand the app: point CSVs, images, checkpoints and typed text.

All of it happens in memory: nothing is written to disk and no uploaded file is ever unpickled
(checkpoints go through torch.load with weights_only=True). Every problem a reader can cause
raises InputError, whose message is one plain sentence fit to show on the page.

The package has one module per kind of input (points.py: CSVs and typed text; images.py; checkpoints.py); this
module holds the limits, the error type and the helpers they share, and names what they offer.
"""

from __future__ import annotations

import math

# ---------------------------------------------------------------- limits

MAX_CSV_BYTES = 10 * 2**20
MAX_CSV_ROWS = 100_000
MAX_ABS_VALUE = 1e15  # larger coordinates are a unit mistake, and lose all precision in float32

MAX_IMAGE_BYTES = 8 * 2**20
MAX_IMAGE_PIXELS = 4096 * 4096  # width * height (16.8 MP: 12 and 16 MP phone photos fit), checked before decoding
MIN_IMAGE_SIDE = 32
IMAGE_FORMATS = ("PNG", "JPEG", "GIF", "BMP", "WEBP", "TIFF")  # Pillow opens nothing else (no EPS, no PDF)

MAX_CHECKPOINT_BYTES = 2 * 2**20
MAX_CHECKPOINT_PICKLE_BYTES = 64 * 2**10  # the file's structure apart from the weights; a Playground model's is ~2 KB
MAX_CHECKPOINT_ELEMENTS = MAX_CHECKPOINT_BYTES // 4  # float32 weights, every one of them stored in the file
# The model settings a file may ask for are the Playground's own ranges (topics/playground/core.py: WIDTHS, DEPTHS,
# fourier_features 0 or models.ModelConfig's 64, T_CHOICES, FOURIER_SCALES; written out, as inputs imports no topic):
# the page trains and samples its largest model in seconds, and a file costs no more than that.
MAX_HIDDEN = 256
MAX_DEPTH = 6
MAX_CLASSES = 13  # a class-conditional model's labels (Guidance's network of the Datasaurus Dozen has 13)
MAX_FOURIER_FEATURES = 64
MAX_T = 1000
MAX_FOURIER_SCALE = 32.0
CONFIG_LIMITS = {"hidden": (1, MAX_HIDDEN), "depth": (1, MAX_DEPTH), "fourier_features": (0, MAX_FOURIER_FEATURES),
                 "T": (2, MAX_T), "fourier_scale": (0, MAX_FOURIER_SCALE),
                 "classes": (0, MAX_CLASSES)}  # inclusive ranges

MAX_TEXT_CHARS = 24
MAX_DRAWN_POINTS = 5_000  # points of a drawing (the canvas stops there too)
MAX_STROKES = 1_000
MAX_DRAWN_CLASSES = 4  # colours of the canvas, each a class
TEXT_FONT_SIZE = 96  # pixels; Pillow's built-in scalable font (Aileron), which covers printable ASCII
DRAWABLE_CHARS = frozenset(chr(c) for c in range(0x20, 0x7F))

_PREVIEW_CHARS = 20


class InputError(ValueError):
    """A reader's input was refused; the message is one sentence meant for the web page."""


# ---------------------------------------------------------------- helpers

def _size(n: int) -> str:
    """A byte count for people, rounded up so a file just over a limit never reads as equal to it."""
    for unit, div in (("MB", 2**20), ("KB", 2**10)):
        if n >= div:
            return f"{math.ceil(n * 10 / div) / 10:g} {unit}"
    return f"{n} byte" + ("" if n == 1 else "s")


def _preview(s: str, limit: int = _PREVIEW_CHARS) -> str:
    """Show at most `limit` characters of a reader's text, with unprintable characters as '?'."""
    s = "".join(c if c.isprintable() else "?" for c in s[:limit + 1])
    return s if len(s) <= limit else s[:limit] + "…"


def _check_bytes(data: bytes, max_bytes: int, what: str) -> None:
    if not isinstance(data, (bytes, bytearray)):
        raise TypeError(f"expected bytes, got {type(data).__name__}")
    if not data:
        raise InputError(f"The {what} is empty.")
    if len(data) > max_bytes:
        raise InputError(f"The {what} is {_size(len(data))}; the limit is {_size(max_bytes)}.")



from .checkpoints import read_checkpoint  # noqa: E402  (the modules below need InputError and the helpers)
from .images import read_image  # noqa: E402
from .points import points_from_drawing, points_from_text, read_points_csv  # noqa: E402

__all__ = ["InputError", "read_checkpoint", "read_image", "points_from_drawing", "points_from_text",
           "read_points_csv"]
