"""Uploaded images are bounded by what they cost, not by their bytes (issue 15: "a 4096 x 4096 RGBA PNG of
92 KB: +435 MB each").

read_image decodes an upload at the size its one use needs: the Spectral bands page crops the centre
square and resizes it to 128 x 128 (spectra.prepare). So the result may be smaller than the upload, and
what must not change is prepare's output; the full-resolution path it is compared with here is the one
read_image took before (_to_gray of the whole upright image, in float64). Every file is built in memory.
"""

import io
import json
import re
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps, JpegImagePlugin

from diffusion_core import inputs
from diffusion_core.inputs import InputError, images
from diffusion_core.topics.spectra import core as spectra

ROOT = Path(__file__).resolve().parents[1]


def refused(call, *needles: str) -> InputError:
    """Run call, expect InputError with one plain sentence that mentions every needle; return it."""
    with pytest.raises(InputError) as info:
        call()
    msg = str(info.value)
    assert "\n" not in msg and msg[0].isupper() and msg.endswith("."), msg
    assert not re.search(r"[.!?]\s", msg), f"more than one sentence: {msg}"
    assert "Error" not in msg and "Traceback" not in msg, msg
    for needle in needles:
        assert needle in msg, f"{needle!r} not in {msg!r}"
    return info.value


def _encode(im: Image.Image, fmt: str, **kwargs) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **kwargs)
    return buf.getvalue()


def _photo(h: int, w: int, seed: int = 0) -> np.ndarray:
    """(h, w, 3) uint8 with a photograph's kinds of structure: smooth gradients, a hard-edged disc, a
    checkerboard over part of it, and sensor noise over a band (noise everywhere would not fit 8 MB)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w] / max(h, w)
    base = 0.3 + 0.4 * x + 0.2 * np.sin(12 * y) * np.cos(7 * x)
    base += 0.25 * ((x - 0.5) ** 2 + (y - 0.33) ** 2 < 0.04)
    base -= 0.2 * ((np.floor(x * 40) + np.floor(y * 40)) % 2) * (x > 0.6)
    base += 0.02 * rng.standard_normal((h, w)) * (y < 0.3)
    rgb = np.stack([base, base * 0.9 + 0.05, 1 - base], -1)
    return (np.clip(rgb, 0, 1) * 255).astype(np.uint8)


def _full_resolution(data: bytes) -> np.ndarray:
    """The path read_image took before: the whole upload decoded, made upright, and converted in float64."""
    with Image.open(io.BytesIO(data)) as im:
        im.load()
        return images._to_gray(ImageOps.exif_transpose(im))


def _prepare_difference(data: bytes, **kwargs) -> tuple[float, float, tuple[int, int]]:
    """(max, mean) |prepare(read_image) - prepare(full resolution)|, and the shape read_image gave."""
    grey = inputs.read_image(data, **kwargs)
    diff = np.abs(spectra.prepare(grey).numpy() - spectra.prepare(_full_resolution(data)).numpy())
    return float(diff.max()), float(diff.mean()), grey.shape


# ---------------------------------------------------------------- what prepare sees is unchanged

@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    return _photo(2000, 3000)


def _rgba(rgb: np.ndarray) -> np.ndarray:
    h, w = rgb.shape[:2]
    alpha = np.full((h, w), 255, dtype=np.uint8)
    alpha[:, : w // 3] = 0  # transparent: white
    alpha[h // 4:h // 2, w // 2:3 * w // 4] = 0
    alpha[h // 2:, w // 2:] = 128
    return np.dstack([rgb, alpha])


@pytest.mark.parametrize("kind", ["png", "jpeg", "rgba png"])
def test_a_large_photo_prepares_as_at_full_resolution(photo, kind):
    im = Image.fromarray(_rgba(photo) if kind == "rgba png" else photo)
    data = _encode(im, "JPEG", quality=90) if kind == "jpeg" else _encode(im, "PNG", compress_level=1)
    assert len(data) <= inputs.MAX_IMAGE_BYTES
    worst, mean, shape = _prepare_difference(data)
    assert min(shape) == images.WORK_SIDE and shape == (512, 768)  # resampled, the aspect kept
    assert worst < 0.02 and mean < 0.003, (worst, mean)


def test_a_big_jpeg_is_decoded_at_reduced_scale_to_the_same_effect(monkeypatch):
    scales = []
    draft = JpegImagePlugin.JpegImageFile.draft

    def spy(self, mode, size):
        before = self.size
        result = draft(self, mode, size)
        scales.append((mode, before[0] // self.size[0]))
        return result
    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", spy)
    data = _encode(Image.fromarray(_photo(2048, 3072, seed=1)), "JPEG", quality=90)
    worst, mean, shape = _prepare_difference(data)
    assert scales == [("L", 2)] and shape == (512, 768)  # luma straight from libjpeg, at half scale
    assert worst < 0.02 and mean < 0.003, (worst, mean)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_rotation_keeps_the_same_centre_square(orientation):
    """1601 - 1100 is odd, so the centre square sits a pixel differently when the wide side runs backwards."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = _encode(Image.fromarray(_photo(1100, 1601, seed=orientation)), "JPEG", quality=90, exif=exif)
    worst, mean, shape = _prepare_difference(data)
    assert shape == ((744, 512) if orientation >= 5 else (512, 744))
    assert worst < 0.02 and mean < 0.003, (worst, mean)


def _modes() -> dict[str, bytes]:
    grey = np.asarray(Image.fromarray(_photo(800, 1200, seed=5)).convert("L"))
    palette = Image.fromarray(grey).convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    cmyk = np.zeros((800, 1200, 4), dtype=np.uint8)
    cmyk[..., 3] = 255 - grey
    floats = grey.astype(np.float32) / 200 - 0.1  # some values below 0 and above 1, clipped before resampling
    return {
        "16-bit grey": _encode(Image.fromarray(grey.astype(np.uint16) * 257), "PNG"),
        "32-bit float": _encode(Image.fromarray(floats, "F"), "TIFF"),
        "palette with transparency": _encode(palette, "PNG", transparency=3),
        "grey with alpha": _encode(Image.fromarray(np.dstack([grey, 255 - grey // 2]), "LA"), "PNG"),
        "cmyk jpeg": _encode(Image.fromarray(cmyk, "CMYK"), "JPEG", quality=95),
        "1-bit": _encode(Image.fromarray(grey > 120), "PNG"),
        "animated gif": _encode(palette, "GIF", save_all=True, append_images=[palette.rotate(90)]),
    }


@pytest.mark.parametrize("mode", _modes())
def test_every_mode_is_resampled_from_its_full_resolution_grey(mode):
    worst, mean, shape = _prepare_difference(_modes()[mode])
    assert shape == (512, 768)
    assert worst < 0.02 and mean < 0.003, (worst, mean)


def test_the_result_does_not_depend_on_the_strips(monkeypatch):
    wide = _encode(Image.fromarray(_rgba(_photo(700, 1500))), "PNG")
    tall = _encode(Image.fromarray(_photo(1500, 700)), "PNG")
    whole = [inputs.read_image(data) for data in (wide, tall)]
    monkeypatch.setattr(images, "_STRIP_PIXELS", 3000)  # two or four rows at a time
    for data, expected in zip((wide, tall), whole):
        np.testing.assert_allclose(inputs.read_image(data), expected, atol=1e-6)


def test_small_images_are_read_whole_and_work_side_none_keeps_any_size():
    data = _encode(Image.fromarray(_photo(500, 700)), "PNG")
    np.testing.assert_array_equal(inputs.read_image(data), _full_resolution(data).astype(np.float32))
    data = _encode(Image.fromarray(_photo(800, 1200)), "PNG")
    np.testing.assert_array_equal(inputs.read_image(data, work_side=None), _full_resolution(data).astype(np.float32))


@pytest.mark.parametrize("size, shape", [((5000, 200), (200, 4096)), ((300, 9000), (4096, 300)),
                                         ((9000, 600), (512, 4096))])
def test_a_very_long_image_is_cut_to_its_centre(size, shape):
    """At most 8 x WORK_SIDE along the longer side: without it, a 16 MP strip 513 pixels high cost +225 MB."""
    w, h = size
    data = _encode(Image.fromarray(_photo(h, w)), "PNG", compress_level=1)
    worst, mean, got = _prepare_difference(data)
    assert got == shape
    assert worst < 0.02 and mean < 0.003, (worst, mean)
    if min(size) <= images.WORK_SIDE:  # only cut: the centre square is the very same pixels
        assert worst == 0


# ---------------------------------------------------------------- limits, on the upload as sent

def _png_header(width: int, height: int) -> bytes:
    """A PNG declaring width x height whose pixel data is a stub: only opening it is safe."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def test_the_pixel_limit_takes_phone_photos_and_is_checked_before_decoding():
    assert 12_000_000 <= inputs.MAX_IMAGE_PIXELS <= 4096 * 4096  # a 12 or 16 MP phone photo; see also the memory test
    refused(lambda: inputs.read_image(_png_header(4096, 4097)), "4,096 x 4,097 pixels", "16,777,216")
    refused(lambda: inputs.read_image(_png_header(4096, 4096)), "damaged or incomplete")  # allowed, so decoded


def test_the_minimum_side_is_that_of_the_upload():
    data = _encode(Image.fromarray(_photo(1100, 1100)), "JPEG")
    assert inputs.read_image(data, min_side=1100).shape == (512, 512)
    refused(lambda: inputs.read_image(data, min_side=1101), "1,100 x 1,100 pixels", "at least 1101")
    refused(lambda: spectra.prepare(np.zeros((512, 512), dtype=np.float32)), "single flat colour")


# ---------------------------------------------------------------- every failure is one sentence

@pytest.mark.parametrize("error, needle", [(RuntimeError("unforeseen"), "damaged or incomplete"),
                                           (AssertionError(), "damaged or incomplete"),
                                           (MemoryError(), "too little memory")])
def test_an_unexpected_exception_while_decoding_is_one_sentence(monkeypatch, error, needle):
    def boom(*args, **kwargs):
        raise error
    data = _encode(Image.fromarray(_photo(600, 900)), "PNG")
    monkeypatch.setattr(images, "_to_gray", boom)
    assert refused(lambda: inputs.read_image(data), needle).__cause__ is error
    monkeypatch.undo()
    monkeypatch.setattr(images.Image, "open", boom)
    assert refused(lambda: inputs.read_image(data), needle).__cause__ is error


def test_a_nonsense_orientation_is_ignored():
    exif = Image.Exif()
    exif[0x0112] = 99
    data = _encode(Image.fromarray(_photo(600, 900)), "JPEG", exif=exif)
    assert inputs.read_image(data).shape == (512, 768)


# ---------------------------------------------------------------- peak memory, in a fresh process

_MEASURE = r"""
import json, struct, sys, time, zlib
import numpy as np
from diffusion_core import inputs

def png_rgba(w, h):
    # built a row at a time, so that building it costs no memory to speak of: two flat bands, a translucent stripe
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    x, rows = np.arange(w), []
    for band in range(2):
        row = np.empty((w, 4), dtype=np.uint8)
        row[:, 0], row[:, 1], row[:, 2] = 200, band * 100, (x // 256) % 2 * 255
        row[:, 3] = np.where((x > w // 4) & (x < w // 2), 128, 255)
        rows.append(b"\0" + row.tobytes())
    z = zlib.compressobj(9)
    idat = b"".join([z.compress(rows[(y // 64) % 2]) for y in range(h)] + [z.flush()])
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")

def peak_mb():
    # VmHWM, not ru_maxrss: a child's ru_maxrss starts at its parent's (pytest's) high-water mark
    return int(next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM:"))) / 1024

kind = sys.argv[1]
data = sys.stdin.buffer.read() if kind == "stdin" else png_rgba(*map(int, kind.split("x")))
inputs.read_image(png_rgba(600, 600))  # load the decoders once
try:
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # the high-water mark back to the present size, so building the file hides nothing
    reset = True
except OSError:
    reset = False
before = peak_mb()
start = time.perf_counter()
out = inputs.read_image(data)
seconds = time.perf_counter() - start
print(json.dumps({"kb": len(data) / 1024, "shape": out.shape, "mb": peak_mb() - before, "seconds": seconds,
                  "reset": reset}))
"""


def _measure(kind: str, data: bytes = b"") -> dict:
    done = subprocess.run([sys.executable, "-c", _MEASURE, kind], input=data, capture_output=True, cwd=ROOT,
                          timeout=120, check=True)
    result = json.loads(done.stdout)
    print(f"read_image({kind}): {result}")
    return result


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads VmHWM from /proc")
@pytest.mark.parametrize("size, shape", [("4096x4096", [512, 512]), ("32704x513", [512, 4096])])
def test_a_large_rgba_png_decodes_with_a_small_peak(size, shape):
    """Before: +435 MB for the 4096 x 4096 one. Its raw RGBA decode, 64 MB, cannot be avoided for a PNG."""
    result = _measure(size)
    assert result["kb"] < 200 and result["shape"] == shape
    assert result["mb"] < 150 and result["seconds"] < 5, result


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads VmHWM from /proc")
def test_a_twelve_megapixel_jpeg_decodes_at_reduced_scale():
    base = Image.fromarray(_photo(300, 400)).resize((4000, 3000), Image.Resampling.BICUBIC)
    result = _measure("stdin", _encode(base, "JPEG", quality=90))
    assert result["shape"] == [512, 682]
    assert result["mb"] < 64 and result["seconds"] < 3, result
