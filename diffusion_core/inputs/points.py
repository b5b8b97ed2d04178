"""Points a reader brings: a CSV of two columns, a word drawn in a built-in font, or a drawing made on the canvas."""

from __future__ import annotations

import io
import itertools
import re
import unicodedata
from collections.abc import Iterator

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from . import (
    DRAWABLE_CHARS,
    MAX_ABS_VALUE,
    MAX_CSV_BYTES,
    MAX_CSV_ROWS,
    MAX_DRAWN_CLASSES,
    MAX_DRAWN_POINTS,
    MAX_STROKES,
    MAX_TEXT_CHARS,
    TEXT_FONT_SIZE,
    InputError,
    _check_bytes,
    _preview,
)

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
    row_idx, cells = _rows(_decode(data, max_bytes), max_rows)
    points = _values(row_idx, cells).astype(np.float32)
    if len(points) < 2:
        raise InputError("The file has only one point; at least 2 are needed.")
    if (points == points[0]).all():
        raise InputError(f"All {len(points):,} points are the same, so the cloud has no spread to scale.")
    return points


def _decode(data: bytes, max_bytes: int) -> str:
    """The upload as UTF-8 text with Unix line ends."""
    _check_bytes(data, max_bytes, "file")
    not_text = InputError("The file is not UTF-8 text; save the points as a plain CSV file.")
    if b"\x00" in data:  # UTF-16, spreadsheets, images: UTF-8 text never holds a NUL byte
        raise not_text
    try:
        text = bytes(data).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise not_text from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _rows(text: str, max_rows: int) -> tuple[list[int], list[list[str]]]:
    """The 0-based line index and the two cells of every row of points (a header row left out)."""
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
    return row_idx, cells


def _values(row_idx: list[int], cells: list[list[str]]) -> np.ndarray:
    """The cells as float64 (n, 2); a cell that is not a finite number of sensible size names its row."""
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
    return values


# ---------------------------------------------------------------- a drawing to points

_UNREADABLE = "The drawing could not be read: {why}."


def points_from_drawing(drawing: object) -> tuple[np.ndarray, np.ndarray]:
    """The canvas's drawing, {"strokes": [[[x, y, colour], ...], ...]} with x and y in [0, 1] and colour a class
    0 to MAX_DRAWN_CLASSES - 1, as points float32 (n, 2) and their classes int64 (n,). Checked as an uploaded CSV is
    (a limit on the count, finite numbers, at least 2 points, some spread), and for its shape: anything else a
    client sends is refused with one sentence."""
    strokes = drawing.get("strokes") if isinstance(drawing, dict) else None
    if not isinstance(strokes, list):
        raise InputError(_UNREADABLE.format(why="it is not a list of strokes"))
    if len(strokes) > MAX_STROKES:
        raise InputError(f"The drawing has {len(strokes):,} strokes; the limit is {MAX_STROKES:,}.")
    if not all(isinstance(s, list) for s in strokes):
        raise InputError(_UNREADABLE.format(why="a stroke is not a list of points"))
    n = sum(len(s) for s in strokes)
    if n > MAX_DRAWN_POINTS:
        raise InputError(f"The drawing has {n:,} points; the limit is {MAX_DRAWN_POINTS:,}.")
    rows = [p for s in strokes for p in s]
    if not all(isinstance(p, (list, tuple)) and len(p) == 3 for p in rows):
        raise InputError(_UNREADABLE.format(why="a point is not [x, y, colour]"))
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for p in rows for v in p[:2]):
        raise InputError(_UNREADABLE.format(why="a coordinate is not a number"))
    if not all(isinstance(p[2], int) and not isinstance(p[2], bool) and 0 <= p[2] < MAX_DRAWN_CLASSES for p in rows):
        raise InputError(_UNREADABLE.format(why=f"a colour is not one of the {MAX_DRAWN_CLASSES}"))
    if not all(0 <= p[0] <= 1 and 0 <= p[1] <= 1 for p in rows):  # in Python: NaN fails, and 10**400 never converts
        raise InputError(_UNREADABLE.format(why="a point lies outside the canvas"))
    xy = np.array([p[:2] for p in rows], dtype=np.float64).reshape(-1, 2)
    if len(xy) < 2:
        raise InputError("The drawing has " + ("no points" if not len(xy) else "only one point")
                         + "; at least 2 are needed.")
    if (xy == xy[0]).all():
        raise InputError(f"All {len(xy):,} drawn points are the same, so the cloud has no spread to scale.")
    return xy.astype(np.float32), np.array([p[2] for p in rows], dtype=np.int64)


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
