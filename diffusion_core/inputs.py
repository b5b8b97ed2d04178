"""Validation of everything a reader can hand the app: point CSVs, images, checkpoints and typed text.

All of it happens in memory: nothing is written to disk and no uploaded file is ever unpickled
(checkpoints go through torch.load with weights_only=True). Every problem a reader can cause
raises InputError, whose message is one plain sentence fit to show on the page.
"""

from __future__ import annotations

import io
import itertools
import math
import re
import struct
import unicodedata
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import fields

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFile, ImageFont, ImageOps, UnidentifiedImageError

from . import models, schedules

# ---------------------------------------------------------------- limits

MAX_CSV_BYTES = 10 * 2**20
MAX_CSV_ROWS = 100_000
MAX_ABS_VALUE = 1e15  # larger coordinates are a unit mistake, and lose all precision in float32

MAX_IMAGE_BYTES = 8 * 2**20
MAX_IMAGE_PIXELS = 4096 * 4096  # width * height, checked before any pixel is decoded
MIN_IMAGE_SIDE = 32
IMAGE_FORMATS = ("PNG", "JPEG", "GIF", "BMP", "WEBP", "TIFF")  # Pillow opens nothing else (no EPS, no PDF)

MAX_CHECKPOINT_BYTES = 2 * 2**20
MAX_HIDDEN = 1024
MAX_DEPTH = 8
MAX_FOURIER_FEATURES = 1024
MAX_T = 10_000
MAX_FOURIER_SCALE = 1000.0  # beyond this the frequencies overflow float32 long before they mean anything
CONFIG_LIMITS = {"hidden": (1, MAX_HIDDEN), "depth": (1, MAX_DEPTH), "fourier_features": (0, MAX_FOURIER_FEATURES),
                 "T": (2, MAX_T), "fourier_scale": (0, MAX_FOURIER_SCALE)}  # inclusive ranges

MAX_TEXT_CHARS = 24
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


# ---------------------------------------------------------------- point CSVs

def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _cell_error(row: int, col: int, cell: str) -> InputError:
    if not cell:
        return InputError(f"Row {row}, column {col} is empty.")
    hint = " (use a dot for decimals)" if re.fullmatch(r"[+-]?\d*,\d+", cell) else ""
    return InputError(f"Row {row}, column {col} is not a number: '{_preview(cell)}'{hint}.")


def _splitter(sample: list[str], quoted: bool):
    """A function splitting one line into stripped cells, for the separator the sample lines use."""
    delim = next((d for d in (";", "\t", ",") if any(d in line for line in sample)), None)

    def split(line: str) -> list[str]:
        cells = line.split() if delim is None else [c.strip() for c in line.split(delim)]
        return [c.strip('"').strip() for c in cells] if quoted else cells

    return split


def _non_blank_lines(text: str) -> Iterator[str]:
    """The non-blank lines of text, one at a time, without holding them all."""
    return (line for line in io.StringIO(text, newline="\n") if line.strip())


def read_points_csv(data: bytes, *, max_rows: int = MAX_CSV_ROWS, max_bytes: int = MAX_CSV_BYTES) -> np.ndarray:
    """Points from a CSV upload, float32 (n, 2), values as written (not rescaled).

    Two columns separated by a comma, semicolon, tab or spaces; an optional header row of names
    (only the first row may be non-numeric); blank lines are ignored. Rows in messages are the
    file's line numbers, as a text editor or spreadsheet shows them.
    """
    _check_bytes(data, max_bytes, "file")
    not_text = InputError("The file is not UTF-8 text; save the points as a plain CSV file.")
    if b"\x00" in data:  # UTF-16, spreadsheets, images: UTF-8 text never holds a NUL byte
        raise not_text
    try:
        text = bytes(data).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise not_text from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    sample = list(itertools.islice(_non_blank_lines(text), 2))
    if not sample:
        raise InputError("The file has no points, only blank lines.")
    split = _splitter(sample, quoted='"' in text)
    first = split(sample[0])
    header = not any(_is_number(c) for c in first)
    if text.count("\n") + 1 - header > max_rows:  # may be too many: count before splitting the whole file
        n_rows = sum(1 for _ in _non_blank_lines(text)) - header
        if n_rows > max_rows:
            raise InputError(f"The file has {n_rows:,} rows of points; the limit is {max_rows:,}.")
    lines = text.split("\n")
    keep = [i for i, line in enumerate(lines) if line and not line.isspace()]  # 0-based line indices
    row_idx = keep[1:] if header else keep
    if not row_idx:
        raise InputError("The file has a header row but no points below it.")

    cells = [split(lines[i]) for i in row_idx]
    n_cols = len(cells[0])
    if n_cols == 1:
        raise InputError("The file has only one column; put x and y in two columns separated by a comma, "
                         "semicolon, tab or spaces.")
    if n_cols > 2:
        raise InputError(f"The file has {n_cols} columns; it needs exactly two (x and y).")
    ragged = [(keep[0], len(first))] if header and len(first) != 2 else []
    ragged += [(row_idx[k], len(row)) for k, row in enumerate(cells) if len(row) != 2][:1]
    if ragged:
        line, n = ragged[0]
        raise InputError(f"Row {line + 1} has {n} column{'s' * (n != 1)} but row {row_idx[0] + 1} has 2; "
                         "every row needs exactly two (x and y).")

    try:
        values = np.array([c for row in cells for c in row], dtype=np.float64).reshape(-1, 2)
    except ValueError:
        for line, row in zip(row_idx, cells):
            for col, cell in enumerate(row):
                if not _is_number(cell):
                    raise _cell_error(line + 1, col + 1, cell) from None
        raise  # numpy and float() disagree about a cell: a bug, not the reader's mistake
    bad = ~np.isfinite(values)
    if bad.any():
        k, col = np.argwhere(bad)[0]
        raise InputError(f"Row {row_idx[k] + 1}, column {col + 1} is not a finite number: "
                         f"'{_preview(cells[k][col])}'.")
    huge = np.abs(values) > MAX_ABS_VALUE
    if huge.any():
        k, col = np.argwhere(huge)[0]
        raise InputError(f"Row {row_idx[k] + 1}, column {col + 1} is too large: '{_preview(cells[k][col])}' "
                         f"(values must lie within ±{MAX_ABS_VALUE:g}).".replace("e+", "e"))
    points = values.astype(np.float32)
    if len(points) < 2:
        raise InputError("The file has only one point; at least 2 are needed.")
    if (points == points[0]).all():
        raise InputError(f"All {len(points):,} points are the same, so the cloud has no spread to scale.")
    return points


# ---------------------------------------------------------------- images

# What Pillow's decoders raise on damaged or hostile files.
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, KeyError, TypeError, struct.error,
                  ZeroDivisionError, Image.DecompressionBombError)


def _to_gray(im: Image.Image) -> np.ndarray:
    """float64 (H, W) in [0, 1]: luma (ITU-R 601-2); transparent parts count as a white background.

    16-bit grey is scaled by 1/65535 (32-bit integer images are read the same way, clipped), and
    float images are clipped to [0, 1].
    """
    if im.mode.startswith("I;16") or im.mode == "I":  # 16-bit grey; convert("L") would clip, not scale
        return np.clip(np.asarray(im, dtype=np.float64) / 65535, 0, 1)
    if im.mode == "F":
        return np.clip(np.asarray(im, dtype=np.float64), 0, 1)
    if im.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in im.info:
        white = Image.new("RGBA", im.size, (255, 255, 255, 255))
        im = Image.alpha_composite(white, im.convert("RGBA"))
    elif im.mode not in ("1", "L", "P", "RGB"):  # CMYK, YCbCr, LAB, HSV, ...
        im = im.convert("RGB")
    return np.asarray(im.convert("L"), dtype=np.float64) / 255


def read_image(data: bytes, *, max_bytes: int = MAX_IMAGE_BYTES, max_pixels: int = MAX_IMAGE_PIXELS,
               min_side: int = MIN_IMAGE_SIDE) -> np.ndarray:
    """A PNG, JPEG, GIF, BMP, WebP or TIFF upload as float32 grayscale (H, W) in [0, 1], 1 = white.

    The size is checked before decoding. Animations give their first frame, EXIF rotation is
    applied, and transparent pixels become white.
    """
    _check_bytes(data, max_bytes, "image file")
    if ImageFile.LOAD_TRUNCATED_IMAGES:  # a global some code sets; it would turn cut files into grey images
        raise RuntimeError("PIL.ImageFile.LOAD_TRUNCATED_IMAGES is on; read_image refuses to accept partial images")
    limit = min(max_pixels, Image.MAX_IMAGE_PIXELS or max_pixels)  # Pillow's own bomb limit may be lower
    too_many = f"more than the limit of {limit:,} pixels"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data), formats=IMAGE_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise InputError(f"The image has {too_many}.") from e
    except UnidentifiedImageError as e:
        raise InputError("The file is not a PNG, JPEG, GIF, BMP, WebP or TIFF image.") from e
    except _DECODE_ERRORS as e:
        raise InputError("The image file is damaged or incomplete.") from e
    with im:
        w, h = im.size
        if w * h > max_pixels:
            raise InputError(f"The image is {w:,} x {h:,} pixels, {too_many}.")
        if min(w, h) < min_side:
            raise InputError(f"The image is {w:,} x {h:,} pixels; both sides must be at least {min_side} pixels.")
        try:
            im.load()
            gray = _to_gray(ImageOps.exif_transpose(im))
        except _DECODE_ERRORS as e:
            raise InputError("The image file is damaged or incomplete.") from e
    return gray.astype(np.float32)


# ---------------------------------------------------------------- checkpoints

def _check_config(cfg: object) -> None:
    """Refuse a config that is malformed or would build a large network, before anything is built."""
    defaults = {f.name: f.default for f in fields(models.ModelConfig)}
    if not isinstance(cfg, dict):
        raise InputError("The file is not a Grokking Diffusion checkpoint.")
    unknown = [k if isinstance(k, str) else f"a {type(k).__name__}" for k in cfg if k not in defaults]
    if unknown:
        raise InputError(f"The checkpoint's model config has a setting this app does not know: "
                         f"'{_preview(unknown[0])}'.")
    merged = defaults | cfg
    for name, value in merged.items():
        kind = type(defaults[name])
        ok = (isinstance(value, int) or isinstance(value, float) and math.isfinite(value) if kind is float
              else isinstance(value, kind))
        if not ok or isinstance(value, bool):
            raise InputError(f"The checkpoint's model setting {name} has the wrong type or is not finite.")
    if merged["dim"] != 2:  # the shipped 1D model of "Means and modes" has dim 1; uploads are for 2D points
        raise InputError(f"The checkpoint is for {_preview(str(merged['dim']))}-dimensional points; "
                         "this app takes models of 2D points.")
    for name, (lo, hi) in CONFIG_LIMITS.items():
        value = merged[name]
        if not lo <= value <= hi:
            shown = f"{value:,}" if abs(value) < 10**15 else ("over" if value > 0 else "under -") + " 10^15"
            raise InputError(f"The checkpoint's model setting {name} is {shown}; "
                             f"it must be between {lo:,g} and {hi:,g}.")
    if not -(2**63) <= merged["seed"] < 2**63:
        raise InputError("The checkpoint's model setting seed is out of range.")
    if merged["time_input"] not in models.TIME_INPUTS:
        raise InputError(f"The checkpoint's time input must be one of: {', '.join(models.TIME_INPUTS)}.")
    if merged["schedule"] not in schedules.NAMES:
        raise InputError(f"The checkpoint's schedule must be one of: {', '.join(schedules.NAMES)}.")


def read_checkpoint(data: bytes, *, max_bytes: int = MAX_CHECKPOINT_BYTES) -> tuple[models.EpsMLP, dict]:
    """An uploaded checkpoint as (network in eval mode, metadata); never runs pickled code.

    The file must be torch.save's zip format; its unpacked size, config and weights are checked
    before models.load_checkpoint builds the network.
    """
    _check_bytes(data, max_bytes, "checkpoint file")
    not_ours = InputError("The file is not a Grokking Diffusion checkpoint.")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            unpacked = sum(info.file_size for info in z.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, struct.error) as e:
        raise not_ours from e
    if unpacked > max_bytes:  # torch stores entries uncompressed; a deflated one may be a zip bomb
        raise InputError(f"The checkpoint file unpacks to more than {_size(max_bytes)}.")
    try:
        blob = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as e:  # damaged, or it holds Python objects, which weights_only refuses to build
        raise InputError("The file is not a checkpoint this app can load safely; it is damaged or holds "
                         "Python objects.") from e
    if not isinstance(blob, dict) or blob.get("format") != models.CHECKPOINT_FORMAT:
        raise not_ours
    _check_config(blob.get("config"))
    state, meta = blob.get("state_dict"), blob.get("meta", {})
    if (not isinstance(state, dict) or not isinstance(meta, dict)
            or not all(isinstance(v, torch.Tensor) for v in state.values())):
        raise not_ours
    if not all(torch.isfinite(v).all() for v in state.values() if v.is_floating_point()):
        raise InputError("The checkpoint's weights contain NaN or infinite values.")
    try:
        return models.load_checkpoint(io.BytesIO(data))
    except ValueError as e:
        if "wrong shape" in str(e):
            raise InputError("The checkpoint's weights do not fit its model config.") from e
        raise not_ours from e


# ---------------------------------------------------------------- text to points

def _describe(c: str) -> str:
    return f"'{c}'" if c.isprintable() else f"U+{ord(c):04X}"


def points_from_text(text: str, *, n: int = 2000, seed: int = 0, max_chars: int = MAX_TEXT_CHARS) -> np.ndarray:
    """n points drawn uniformly from the ink of `text`, float32 (n, 2), in the canonical frame.

    The text is drawn on one line in Pillow's built-in font (no font file is read); each point is
    a dark pixel picked at random plus a uniform offset inside it, with y pointing up. The cloud
    is centred on its mean and divided by its pooled standard deviation, as datasets.py does.
    Whitespace counts as a space; invisible and control characters are dropped.
    """
    if not isinstance(n, int) or isinstance(n, bool) or n < 2:
        raise ValueError(f"n must be an integer >= 2, got {n!r}")
    if not isinstance(text, str):
        raise TypeError(f"expected str, got {type(text).__name__}")
    if not text.strip():
        raise InputError("The text is empty; type a few letters to draw.")
    clean = "".join(" " if c.isspace() else c for c in text if c.isspace() or unicodedata.category(c)[0] != "C")
    clean = clean.strip()
    if not clean:
        raise InputError("The text has no visible characters to draw.")
    if len(clean) > max_chars:
        raise InputError(f"The text is {len(clean):,} characters long; the limit is {max_chars}.")
    missing = next((c for c in clean if c not in DRAWABLE_CHARS), None)
    if missing is not None:
        raise InputError(f"The character {_describe(missing)} is not in the font; use letters, digits and "
                         "punctuation from plain ASCII.")

    font = ImageFont.load_default(size=TEXT_FONT_SIZE)
    left, top, right, bottom = font.getbbox(clean)
    pad = 2
    canvas = Image.new("L", (right - left + 2 * pad, bottom - top + 2 * pad), 255)
    ImageDraw.Draw(canvas).text((pad - left, pad - top), clean, font=font, fill=0)
    dark = np.argwhere(np.asarray(canvas) < 128)  # (k, 2) as (row, column)
    if len(dark) == 0:
        raise InputError("The text draws nothing visible.")
    rng = np.random.default_rng(seed)
    pick = dark[rng.integers(len(dark), size=n)]
    offset = rng.random((n, 2))
    points = np.stack([pick[:, 1] + offset[:, 0], -(pick[:, 0] + offset[:, 1])], axis=1)  # y up
    points -= points.mean(axis=0)
    points /= np.sqrt((points**2).mean())  # one isotropic scale: the pooled std
    return points.astype(np.float32)
