"""Images a reader uploads (Spectral bands), decoded in memory with the size checked first."""

from __future__ import annotations

import io
import struct
import warnings

import numpy as np
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from . import IMAGE_FORMATS, MAX_IMAGE_BYTES, MAX_IMAGE_PIXELS, MIN_IMAGE_SIDE, InputError, _check_bytes

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


