"""Images a reader uploads (Spectral bands), decoded in memory with the size checked first, and at the size
their one use needs.

The Spectral bands page crops an upload's centre square and resizes it to 128 x 128 (spectra.prepare), so
read_image hands it at most WORK_SIDE = 512 pixels on the shorter side: a larger image is resampled
(Lanczos, in float) with its centre square alone becoming the centre square of the result, which prepare
then resizes as before. prepare's output (mean 0, variance 1) moves by about 0.0001 on average, and at
most by 0.002 on the test photographs, 0.01 on 1-bit or 16-colour ones, 0.04 on one-pixel lines (tests/
test_attack_images.py); for scale, cropping the upload one pixel differently moves it by 0.1 or more.
A JPEG is decoded straight to luma, at 1/2, 1/4 or 1/8 scale when large enough (libjpeg's DCT scaling).
Other formats are decoded in full, which costs their raw size (4 bytes a pixel for RGBA: 64 MB at the
pixel limit), then converted to grey and resampled a strip at a time: no full-size copy is made in
another mode or in floating point.
"""

from __future__ import annotations

import io
import math
import warnings

import numpy as np
from PIL import Image, ImageFile, UnidentifiedImageError

from . import IMAGE_FORMATS, MAX_IMAGE_BYTES, MAX_IMAGE_PIXELS, MIN_IMAGE_SIDE, InputError, _check_bytes

# ---------------------------------------------------------------- images

WORK_SIDE = 512  # read_image's default: a shorter side over this is resampled to it (4 x spectra SIZE)
_DCT_MIN = 2  # a JPEG is decoded at 1/2, 1/4 or 1/8 scale only while that leaves _DCT_MIN * work_side pixels
_MAX_LONG = 8  # a result's longer side is at most this many times work_side (the rest: cut off, centred)
_STRIP_PIXELS = 2**18  # pixels converted at a time (a strip of float64 grey is 2 MB)

# Pillow's decoders raise many kinds of exception on damaged or hostile files (OSError, SyntaxError,
# ValueError, EOFError, IndexError, KeyError, TypeError, struct.error, ZeroDivisionError, ...): every
# exception while opening or decoding becomes one of these sentences, with the exception kept as its cause.
_DAMAGED = "The image file is damaged or incomplete."
_NO_MEMORY = "The server has too little memory free to read this image just now."

# EXIF orientation -> the transposition that shows the image upright (as ImageOps.exif_transpose does),
# and the stored axes it runs backwards (0 = x, 1 = y).
_UPRIGHT = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
            5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
            8: Image.Transpose.ROTATE_90}
_REVERSED = {2: (0,), 3: (0, 1), 4: (1,), 6: (1,), 7: (0, 1), 8: (0,)}


def _to_gray(im: Image.Image) -> np.ndarray:
    """float64 (H, W) in [0, 1]: luma (ITU-R 601-2); transparent parts count as a white background.

    16-bit grey is scaled by 1/65535 (32-bit integer images are read the same way, clipped), and
    float images are clipped to [0, 1]. read_image calls it on one strip of the image at a time.
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


def _centre(size: tuple[int, int], orientation: int) -> tuple[int, int]:
    """(short, margin): the side of the centre square spectra.prepare crops, and where it starts along the
    stored longer side (prepare rounds the margin down in the upright image, so up if that axis runs back)."""
    w, h = size
    short, extra = min(w, h), abs(w - h)
    backwards = (0 if w >= h else 1) in _REVERSED.get(orientation, ())
    return short, (extra + backwards) // 2


def _parts(size: tuple[int, int], margin: int, work_side: int | None) -> list[tuple[float, float, int]] | None:
    """How the longer side of a decoded image is laid out in the result; None keeps the image as it is.

    The shorter side gets work_side pixels (if it has more) and the longer side at most _MAX_LONG times
    that. prepare resizes its centre square as if nothing lay outside it; so that square, [margin,
    margin + short) of the longer side, alone becomes the centre square of the result, and the stretches
    either side become q whole output pixels each (fewer if there would be too many): each part is
    (lo, hi, n), a source interval and its output pixels.
    """
    short, long_ = min(size), max(size)
    if not work_side or (short <= work_side and long_ <= _MAX_LONG * work_side):
        return None
    n = min(short, work_side)
    k = short / n  # source pixels per output pixel
    q = min(int(margin // k), int((long_ - margin - short) // k), (_MAX_LONG * work_side - n) // 2)
    parts = [(max(0.0, margin - q * k), float(margin), q), (float(margin), float(margin + short), n),
             (float(margin + short), min(margin + short + q * k, float(long_)), q)]
    return [part for part in parts if part[2] > 0]


def _grey(im: Image.Image, box: tuple[int, int, int, int]) -> np.ndarray:
    """_to_gray of box of im, as float32, converted a strip of about _STRIP_PIXELS pixels at a time."""
    left, top, right, bottom = box
    out = np.empty((bottom - top, right - left), dtype=np.float32)
    rows = max(1, _STRIP_PIXELS // (right - left))
    for r in range(top, bottom, rows):
        out[r - top:r - top + rows] = _to_gray(im.crop((left, r, right, min(r + rows, bottom))))
    return out


def _resampled(im: Image.Image, xs: tuple[float, float, int], ys: tuple[float, float, int]) -> np.ndarray:
    """_to_gray(im) over the source box xs by ys, resized (Lanczos, in float) to n_x by n_y pixels.

    xs, ys: (lo, hi, n). The filter reads only the pixels of [floor(lo), ceil(hi)), as if the image ended
    there. It is Pillow's own two passes, taken apart: the horizontal one on strips of about _STRIP_PIXELS
    pixels as they are converted, then the vertical one on that n_x-wide result; no full-size copy is made.
    """
    (x0, x1, nx), (y0, y1, ny) = xs, ys
    left, right, top, bottom = int(x0), min(math.ceil(x1), im.size[0]), int(y0), min(math.ceil(y1), im.size[1])
    rows = max(1, _STRIP_PIXELS // (right - left))
    across = np.empty((bottom - top, nx), dtype=np.float32)
    for r in range(top, bottom, rows):
        grey = _to_gray(im.crop((left, r, right, min(r + rows, bottom)))).astype(np.float32)
        n = grey.shape[0]
        across[r - top:r - top + n] = np.asarray(Image.fromarray(grey, "F").resize(
            (nx, n), Image.Resampling.LANCZOS, box=(x0 - left, 0, x1 - left, n)))
    down = Image.fromarray(across, "F").resize((nx, ny), Image.Resampling.LANCZOS, box=(0, y0 - top, nx, y1 - top))
    return np.asarray(down)


def _decode(im: Image.Image, work_side: int | None) -> np.ndarray:
    """The opened image as float32 grey, upright; if its shorter side is over work_side pixels, resampled
    (_parts) so that side has work_side pixels. Nothing is converted or held in float at full size.

    A JPEG is decoded straight to luma, at 1/2, 1/4 or 1/8 scale when that leaves at least
    _DCT_MIN * work_side pixels on the shorter side and keeps the centre square on whole pixels.
    """
    orientation = im.getexif().get(0x0112)  # EXIF (or XMP); a PNG whose eXIf chunk follows its pixels loads here
    orientation = orientation if isinstance(orientation, int) else 1  # a nonsense value is no rotation
    w, h = im.size
    short, margin = _centre((w, h), orientation)
    s = next((s for s in (8, 4, 2)
              if work_side and short // s >= _DCT_MIN * work_side and short % s == margin % s == 0), 1)
    im.draft("L", (w // s, h // s) if s > 1 else None)  # a no-op but for JPEG
    im.load()
    w, h = im.size
    parts = _parts((w, h), _centre((w, h), orientation)[1], work_side)
    if parts is None:
        out = _grey(im, (0, 0, w, h))
    elif min(w, h) <= work_side:  # small enough across, too long: only cut to length (whole pixels)
        lo, hi = int(parts[0][0]), int(parts[-1][1])
        out = _grey(im, (lo, 0, hi, h) if w >= h else (0, lo, w, hi))
    elif w >= h:
        out = np.concatenate([_resampled(im, part, (0.0, float(h), work_side)) for part in parts], axis=1)
    else:
        out = np.concatenate([_resampled(im, (0.0, float(w), work_side), part) for part in parts], axis=0)
    if orientation in _UPRIGHT:
        out = np.array(Image.fromarray(out, "F").transpose(_UPRIGHT[orientation]))
    return out


def read_image(data: bytes, *, max_bytes: int = MAX_IMAGE_BYTES, max_pixels: int = MAX_IMAGE_PIXELS,
               min_side: int = MIN_IMAGE_SIDE, work_side: int | None = WORK_SIDE) -> np.ndarray:
    """A PNG, JPEG, GIF, BMP, WebP or TIFF upload as float32 grayscale (H, W) in [0, 1], 1 = white.

    The byte size and the pixel count are checked before decoding (Image.open reads only the header):
    by default at most 8 MB and 4096 x 4096 = 16.8 megapixels, so a 12 or 16 megapixel phone photo is
    taken; both sides of the upload must be at least min_side. An image whose shorter side is over
    work_side pixels (None: no limit) comes back resampled to work_side on that side, its longer side in
    proportion (give or take a pixel), laid out so spectra.prepare sees the same centre square; values
    may then overshoot [0, 1] slightly at sharp edges (Lanczos ringing, as in prepare itself). The
    result's longer side is at most 8 x work_side pixels: beyond that it is cut, keeping its centre.
    Animations give their first frame, EXIF rotation is applied, and transparent pixels become white.
    Anything that goes wrong while decoding is an InputError.
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
    except MemoryError as e:
        raise InputError(_NO_MEMORY) from e
    except Exception as e:
        raise InputError(_DAMAGED) from e
    with im:
        w, h = im.size  # the original size, before any reduction
        if w * h > max_pixels:
            raise InputError(f"The image is {w:,} x {h:,} pixels, {too_many}.")
        if min(w, h) < min_side:
            raise InputError(f"The image is {w:,} x {h:,} pixels; both sides must be at least {min_side} pixels.")
        try:
            return _decode(im, work_side)
        except MemoryError as e:
            raise InputError(_NO_MEMORY) from e
        except Exception as e:
            raise InputError(_DAMAGED) from e
