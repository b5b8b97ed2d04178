"""Validation of reader uploads and typed text: point CSVs, images, checkpoints, text to points."""

import io
import pickle
import re
import struct
import tempfile
import zipfile
import zlib

import numpy as np
import pytest
import torch
from PIL import Image, ImageFile, ImageFont

from diffusion_core import inputs, models
from diffusion_core.inputs import InputError
from diffusion_core.topics.playground import core as playground


def refused(call, *needles: str) -> str:
    """Run call, expect InputError with one plain sentence that mentions every needle; return it."""
    with pytest.raises(InputError) as info:
        call()
    msg = str(info.value)
    assert "\n" not in msg and msg == msg.strip(), msg
    assert msg[0].isupper() and msg.endswith("."), msg
    assert not re.search(r"[.!?]\s", msg), f"more than one sentence: {msg}"
    assert "b'" not in msg and "\\x" not in msg and "Error" not in msg and "0x" not in msg, msg
    for needle in needles:
        assert needle in msg, f"{needle!r} not in {msg!r}"
    return msg


# ---------------------------------------------------------------- point CSVs

def _values(n: int = 40, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 2)) * [3.0, 0.5] + [10.0, -2.0]


def _csv(values: np.ndarray, sep: str = ",", header: str | None = None, newline: str = "\n") -> str:
    lines = ([header] if header is not None else []) + [f"{float(x)!r}{sep}{float(y)!r}" for x, y in values]
    return newline.join(lines) + newline


@pytest.mark.parametrize("variant", ["comma", "semicolon", "tab", "spaces", "header", "quoted header", "bom",
                                     "crlf", "blank lines", "spaces after comma", "no final newline"])
def test_csv_variants_parse_to_the_values_written(variant):
    values = _values()
    text = {
        "comma": _csv(values),
        "semicolon": _csv(values, ";"),
        "tab": _csv(values, "\t"),
        "spaces": _csv(values, "   "),
        "header": _csv(values, header="x,y"),
        "quoted header": _csv(values, header='"x","y"'),
        "bom": "\ufeff" + _csv(values, header="x,y"),
        "crlf": _csv(values, header="x,y", newline="\r\n"),
        "blank lines": "\n\n" + _csv(values, header="x,y").replace("\n", "\n  \n"),
        "spaces after comma": _csv(values, ", "),
        "no final newline": _csv(values).rstrip("\n"),
    }[variant]
    points = inputs.read_points_csv(text.encode("utf-8"))
    assert points.dtype == np.float32 and points.shape == values.shape
    np.testing.assert_array_equal(points, values.astype(np.float32))


def test_100000_rows_are_accepted_and_100001_refused():
    values = _values(100_000, seed=1)
    data = _csv(values, header="x,y").encode()
    points = inputs.read_points_csv(data)
    np.testing.assert_array_equal(points, values.astype(np.float32))
    refused(lambda: inputs.read_points_csv(data + b"1.5,2.5\n"), "100,001", "100,000")


def test_row_limit_is_a_parameter_and_counts_rows_not_lines():
    data = b"x,y\n\n1,2\n3,4\n\n5,6\n"
    assert inputs.read_points_csv(data, max_rows=3).shape == (3, 2)
    refused(lambda: inputs.read_points_csv(data, max_rows=2), "3 rows", "limit is 2")


@pytest.mark.parametrize("data, needles", [
    (b"", ["empty"]),
    (b"\n  \r\n\t\n", ["blank lines"]),
    (b"x,y\n\n", ["header", "no points"]),
    (b"1\n2\n3\n", ["only one column"]),
    (b"x\n1\n2\n", ["only one column"]),
    (b"1,2,3\n4,5,6\n", ["3 columns", "exactly two"]),
    (b"x,y\n1,2\n\n3\n4,5\n", ["Row 4", "1 column", "row 2 has 2"]),
    (b"x,y\n1,2\n3,4,5\n", ["Row 3", "3 columns"]),
    (b"x,y,z\n1,2\n3,4\n", ["Row 1", "3 columns"]),
    (b"x,y\n1,2\n3,abc\n", ["Row 3, column 2", "'abc'"]),
    (b"x,y\nu,v\n1,2\n", ["Row 2, column 1", "'u'"]),
    (b"1,2\n,4\n", ["Row 2, column 1", "empty"]),
    (b"1;2\n3,5;4\n", ["Row 2, column 1", "'3,5'", "dot"]),
    (b"1,2\n3,4\nnan,5\n", ["Row 3, column 1", "finite", "'nan'"]),
    (b"1,2\n3,-inf\n", ["Row 2, column 2", "finite"]),
    (b"1,2\n3,1e999\n", ["Row 2, column 2", "finite"]),
    (b"1,2\n3,4\n5,2e15\n", ["Row 3, column 2", "too large", "1e15"]),
    (b"x,y\n1,2\n", ["only one point"]),
    (b"x,y\n1.5,2\n1.5,2.0\n15e-1,2\n", ["All 3 points are the same"]),
])
def test_bad_csvs_are_refused_with_one_clear_sentence(data, needles):
    refused(lambda: inputs.read_points_csv(data), *needles)


@pytest.mark.parametrize("data", [
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",  # an image
    "x,y\n1,2\n".encode("utf-16"),  # UTF-16 (NUL bytes)
    "x,y\n1,2\ncafé,3\n".encode("latin-1"),  # not UTF-8
    np.random.default_rng(0).bytes(4000),
])
def test_binary_or_non_utf8_files_are_refused(data):
    refused(lambda: inputs.read_points_csv(data), "not UTF-8 text")


def test_long_cells_are_truncated_in_messages():
    msg = refused(lambda: inputs.read_points_csv(b"1,2\n" + b"z" * 500 + b",3\n"), "Row 2, column 1", "z" * 20)
    assert "z" * 21 not in msg and len(msg) < 100


def test_csv_byte_limit_is_checked_first():
    refused(lambda: inputs.read_points_csv(b"1,2\n3,4\n", max_bytes=5), "8 bytes", "limit is 5 bytes")
    refused(lambda: inputs.read_points_csv(b" " * (10 * 2**20 + 1)), "10.1 MB", "limit is 10 MB")


# ---------------------------------------------------------------- images

def _encode(im: Image.Image, fmt: str, **kwargs) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **kwargs)
    return buf.getvalue()


def _luma(rgb: np.ndarray) -> np.ndarray:
    """ITU-R 601-2 luma, as Pillow documents for convert("L"), in [0, 1]."""
    return (rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114) / 255


def _gradient(h: int = 48, w: int = 64) -> np.ndarray:
    return np.add.outer(np.linspace(0, 150, h), np.linspace(0, 100, w)).astype(np.uint8)  # (h, w) in 0..250


def _checked(data: bytes, shape: tuple[int, int]) -> np.ndarray:
    out = inputs.read_image(data)
    assert out.dtype == np.float32 and out.shape == shape
    assert out.min() >= 0 and out.max() <= 1
    return out


def test_grey_png_is_read_exactly():
    grey = _gradient()
    np.testing.assert_array_equal(_checked(_encode(Image.fromarray(grey), "PNG"), grey.shape),
                                  (grey / 255).astype(np.float32))


def test_rgb_png_becomes_its_luma():
    rgb = np.random.default_rng(2).integers(0, 256, (40, 50, 3), dtype=np.uint8)
    out = _checked(_encode(Image.fromarray(rgb), "PNG"), (40, 50))
    np.testing.assert_allclose(out, _luma(rgb.astype(float)), atol=1 / 255 + 1e-6)


def test_sixteen_bit_png_is_scaled_not_clipped():
    deep = np.add.outer(np.linspace(0, 40_000, 40), np.linspace(0, 25_535, 36)).astype(np.uint16)
    out = _checked(_encode(Image.fromarray(deep), "PNG"), (40, 36))
    np.testing.assert_allclose(out, deep / 65535, atol=1e-6)
    assert out.max() > 0.99 and np.unique(out).size > 256  # the full 16-bit range and depth survive


def test_jpeg_is_read_within_compression_error():
    grey = _gradient(64, 80)
    out = _checked(_encode(Image.fromarray(grey).convert("RGB"), "JPEG", quality=95), (64, 80))
    assert np.abs(out - grey / 255).mean() < 0.01


def test_transparent_pixels_become_white():
    rgba = np.zeros((40, 40, 4), dtype=np.uint8)
    rgba[..., :3] = [200, 30, 90]
    rgba[:, :10, 3] = 0  # transparent
    rgba[:, 10:20, 3] = 255  # opaque
    rgba[:, 20:, 3] = 128  # half
    out = _checked(_encode(Image.fromarray(rgba), "PNG"), (40, 40))
    colour = _luma(np.array([200.0, 30.0, 90.0]))
    np.testing.assert_allclose(out[:, :10], 1.0)
    np.testing.assert_allclose(out[:, 10:20], colour, atol=1 / 255 + 1e-6)
    np.testing.assert_allclose(out[:, 20:], 128 / 255 * colour + (1 - 128 / 255), atol=2 / 255)


def test_palette_image_uses_the_luma_of_its_palette_with_transparency_white():
    palette = [0, 0, 0, 255, 0, 0, 40, 200, 120, 90, 90, 90]
    index = np.arange(40 * 40).reshape(40, 40) % 4
    im = Image.fromarray(index.astype(np.uint8), mode="P")
    im.putpalette(palette)
    expected = _luma(np.array(palette, dtype=float).reshape(4, 3))[index]
    np.testing.assert_allclose(_checked(_encode(im, "PNG"), (40, 40)), expected, atol=1 / 255 + 1e-6)
    with_clear = _checked(_encode(im, "PNG", transparency=3), (40, 40))
    np.testing.assert_allclose(with_clear[index == 3], 1.0)
    np.testing.assert_allclose(with_clear[index != 3], expected[index != 3], atol=1 / 255 + 1e-6)


def test_animated_gif_gives_its_first_frame():
    first = np.zeros((40, 48), dtype=np.uint8)
    first[10:30, 5:20] = 255
    second = 255 - first
    frames = [Image.fromarray(first), Image.fromarray(second)]
    data = _encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    assert Image.open(io.BytesIO(data)).n_frames == 2
    np.testing.assert_array_equal(_checked(data, (40, 48)), first / 255)


def test_cmyk_jpeg_is_read():
    k = np.linspace(0, 255, 64).astype(np.uint8)[None, :].repeat(40, axis=0)
    cmyk = np.zeros((40, 64, 4), dtype=np.uint8)
    cmyk[..., 3] = k
    out = _checked(_encode(Image.fromarray(cmyk, mode="CMYK"), "JPEG", quality=95), (40, 64))
    assert np.abs(out - (1 - k / 255)).mean() < 0.02


@pytest.mark.parametrize("fmt, kwargs", [("BMP", {}), ("TIFF", {}), ("WEBP", {"lossless": True})])
def test_other_lossless_formats_are_read_exactly(fmt, kwargs):
    grey = _gradient(33, 35)
    out = _checked(_encode(Image.fromarray(grey).convert("RGB"), fmt, **kwargs), grey.shape)
    np.testing.assert_allclose(out, grey / 255, atol=1e-6)


def test_exif_rotation_is_applied():
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90 degrees clockwise to display
    data = _encode(Image.fromarray(_gradient(40, 64)).convert("RGB"), "JPEG", exif=exif)
    assert inputs.read_image(data).shape == (64, 40)


def _png_header(width: int, height: int) -> bytes:
    """A PNG declaring width x height whose pixel data is a stub: only opening it is safe."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def _noise_png(side: int = 200) -> bytes:
    return _encode(Image.fromarray(np.random.default_rng(3).integers(0, 256, (side, side), dtype=np.uint8)), "PNG")


@pytest.mark.parametrize("data, needles", [
    pytest.param(b"", ["empty"], id="empty"),
    pytest.param(b"just some text, not a picture\n", ["not a PNG, JPEG"], id="text"),
    pytest.param(b"x,y\n1,2\n3,4\n", ["not a PNG, JPEG"], id="csv"),
    pytest.param(np.random.default_rng(4).bytes(10_000), ["not a PNG, JPEG"], id="random bytes"),
    pytest.param(b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 100 100\n", ["not a PNG, JPEG"],
                 id="eps, never handed to Ghostscript"),
    pytest.param(_noise_png()[:len(_noise_png()) // 2], ["damaged or incomplete"], id="png cut in half"),
    pytest.param(_png_header(100, 100), ["damaged or incomplete"], id="png with too little data"),
    pytest.param(_encode(Image.fromarray(_gradient(200, 200)).convert("RGB"), "JPEG")[:1500],
                 ["damaged or incomplete"], id="jpeg cut short"),
    pytest.param(_encode(Image.fromarray(_gradient(20, 100)), "PNG"), ["100 x 20 pixels", "at least 32"],
                 id="too short"),
    pytest.param(_encode(Image.fromarray(_gradient(100, 31)), "PNG"), ["31 x 100 pixels", "at least 32"],
                 id="too narrow"),
    pytest.param(_png_header(5000, 4000), ["5,000 x 4,000 pixels", "16,777,216"],
                 id="too many pixels, refused before its stub is decoded"),
])
def test_bad_images_are_refused_with_one_clear_sentence(data, needles):
    refused(lambda: inputs.read_image(data), *needles)


def test_image_limits_are_parameters():
    data = _encode(Image.fromarray(_gradient(40, 50)), "PNG")
    refused(lambda: inputs.read_image(data, max_pixels=1999), "50 x 40 pixels", "1,999")
    refused(lambda: inputs.read_image(data, max_bytes=len(data) - 1), f"limit is {len(data) - 1} bytes")
    refused(lambda: inputs.read_image(data, min_side=41), "at least 41")
    assert inputs.read_image(data, max_pixels=2000, max_bytes=len(data), min_side=40).shape == (40, 50)
    refused(lambda: inputs.read_image(b"\0" * (8 * 2**20 + 1)), "8.1 MB", "limit is 8 MB")


@pytest.mark.parametrize("side", [10_000, 20_000])  # Pillow warns above 89.5 M pixels, and refuses above twice that
def test_decompression_bombs_are_refused_and_pillows_limit_left_alone(side):
    before = Image.MAX_IMAGE_PIXELS
    refused(lambda: inputs.read_image(_png_header(side, side), max_pixels=10**9), "pixels", f"{before:,}")
    refused(lambda: inputs.read_image(_png_header(side, side)), "pixels")
    assert Image.MAX_IMAGE_PIXELS == before


def test_truncated_loading_is_never_silently_allowed(monkeypatch):
    cut = _noise_png()[:len(_noise_png()) // 2]
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    assert Image.open(io.BytesIO(cut)).load() is not None  # what the flag does: a half-grey picture
    with pytest.raises(RuntimeError, match="LOAD_TRUNCATED_IMAGES"):
        inputs.read_image(cut)


# ---------------------------------------------------------------- checkpoints

def _checkpoint_bytes(net: models.EpsMLP, meta: dict | None = None) -> bytes:
    buf = io.BytesIO()
    models.save_checkpoint(net, buf, meta)
    return buf.getvalue()


def _blob_bytes(blob: object, **kwargs) -> bytes:
    buf = io.BytesIO()
    torch.save(blob, buf, **kwargs)
    return buf.getvalue()


def _small_net(**config) -> models.EpsMLP:
    return models.EpsMLP(models.ModelConfig(**({"hidden": 16, "depth": 2, "seed": 5} | config)))


def test_checkpoint_round_trips_through_bytes():
    net = _small_net()
    loaded, meta = inputs.read_checkpoint(_checkpoint_bytes(net, {"dataset": "moons", "steps": 12}))
    assert meta == {"dataset": "moons", "steps": 12} and loaded.config == net.config and not loaded.training
    x, t = torch.randn(16, 2, generator=torch.Generator().manual_seed(0)), torch.arange(16) * 50
    torch.testing.assert_close(loaded(x, t), net(x, t), rtol=0, atol=0)


def test_the_largest_allowed_config_shape_is_accepted():
    net = _small_net(depth=inputs.MAX_DEPTH, T=inputs.MAX_T, fourier_features=0)
    assert inputs.read_checkpoint(_checkpoint_bytes(net))[0].config == net.config


class _Plant:
    """Unpickling this creates a file: the proof that pickled code ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_pickled_code_in_a_checkpoint_never_runs(tmp_path):
    proof, marker = tmp_path / "proof", tmp_path / "marker"
    unsafe = _blob_bytes({"format": 1, "config": {}, "state_dict": {}, "meta": {"x": _Plant(proof)}})
    torch.load(io.BytesIO(unsafe), weights_only=False).get("meta")["x"].close()
    assert proof.exists()  # the payload is real: an unsafe load does run it

    data = _blob_bytes({"format": 1, "config": {}, "state_dict": _small_net().state_dict(), "meta": {"x": _Plant(marker)}})
    refused(lambda: inputs.read_checkpoint(data), "Python objects")
    refused(lambda: inputs.read_checkpoint(pickle.dumps({"format": 1, "x": _Plant(marker)})), "not a Grokking")
    assert not marker.exists()


@pytest.mark.parametrize("config, needles", [
    ({"hidden": 1_000_000}, ["hidden is 1,000,000", "between 1 and 256"]),
    ({"hidden": 10**40}, ["hidden is over 10^15"]),
    ({"hidden": 257}, ["hidden is 257", "between 1 and 256"]),
    ({"hidden": 0}, ["hidden is 0", "between 1"]),
    ({"depth": 7}, ["depth is 7", "between 1 and 6"]),
    ({"fourier_features": 65}, ["fourier_features is 65", "between 0 and 64"]),
    ({"fourier_features": -1}, ["fourier_features is -1"]),
    ({"T": 1001}, ["T is 1,001", "between 2 and 1,000"]),
    ({"T": 1}, ["T is 1"]),
    ({"dim": 1}, ["for 1-dimensional points", "2D"]),
    ({"dim": 10**9}, ["for 1000000000-dimensional points"]),
    ({"fourier_scale": 1e30}, ["fourier_scale"]),
    ({"fourier_scale": float("nan")}, ["fourier_scale", "not finite"]),
    ({"hidden": "64"}, ["hidden", "wrong type"]),
    ({"depth": True}, ["depth", "wrong type"]),
    ({"seed": 2**70}, ["seed"]),
    ({"width": 3}, ["does not know", "'width'"]),
    ({"schedule": "wiggly"}, ["schedule must be one of", "cosine"]),
    ({"time_input": "clock"}, ["time input must be one of", "fourier"]),
    ({"target": "score"}, ["prediction target must be one of", "eps, x0, v"]),
    ({"target": 3}, ["target", "wrong type"]),
])
def test_bad_or_huge_configs_are_refused_before_any_network_is_built(monkeypatch, config, needles):
    def never(*args, **kwargs):
        raise AssertionError("a network was built")

    data = _blob_bytes({"format": 1, "config": config, "state_dict": {}, "meta": {}})
    monkeypatch.setattr(models.EpsMLP, "__init__", never)
    refused(lambda: inputs.read_checkpoint(data), *needles)


def test_a_deflated_checkpoint_that_unpacks_past_the_limit_is_refused():
    net = _small_net()
    plain = _checkpoint_bytes(net, {"padding": torch.zeros(2**20)})  # 4 MB of zeros
    packed = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(plain)) as src, zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info.filename))
    data = packed.getvalue()
    assert len(data) < 100_000 and torch.load(io.BytesIO(data), weights_only=True)["meta"]["padding"].numel() == 2**20
    refused(lambda: inputs.read_checkpoint(data), "unpacks to more than 2 MB")


def test_bad_checkpoints_are_refused_with_one_clear_sentence():
    good = _small_net()
    refused(lambda: inputs.read_checkpoint(b""), "empty")
    refused(lambda: inputs.read_checkpoint(b"\0" * (2 * 2**20 + 1)), "2.1 MB", "limit is 2 MB")
    refused(lambda: inputs.read_checkpoint(_checkpoint_bytes(good), max_bytes=1000), "limit is 1000 bytes")
    refused(lambda: inputs.read_checkpoint(b"x,y\n1,2\n"), "not a Grokking Diffusion checkpoint")
    refused(lambda: inputs.read_checkpoint(_checkpoint_bytes(good)[:5000]), "not a Grokking")  # cut in half
    refused(lambda: inputs.read_checkpoint(_blob_bytes({"weights": torch.zeros(3)})), "not a Grokking")
    refused(lambda: inputs.read_checkpoint(_blob_bytes([1, 2, 3])), "not a Grokking")
    legacy = _blob_bytes({"format": 1, "config": {}, "state_dict": {}}, _use_new_zipfile_serialization=False)
    refused(lambda: inputs.read_checkpoint(legacy), "not a Grokking")
    other = {"format": 1, "config": {"hidden": 32, "depth": 2}, "state_dict": good.state_dict(), "meta": {}}
    refused(lambda: inputs.read_checkpoint(_blob_bytes(other)), "weights do not fit")
    state = good.state_dict()
    state["inp.weight"] = state["inp.weight"].clone().fill_(float("nan"))
    nan = {"format": 1, "config": {"hidden": 16, "depth": 2, "seed": 5}, "state_dict": state, "meta": {}}
    refused(lambda: inputs.read_checkpoint(_blob_bytes(nan)), "NaN")


# ---------------------------------------------------------------- text to points

def test_text_points_are_in_the_canonical_frame():
    points = inputs.points_from_text("Hello", n=3000, seed=1)
    assert points.dtype == np.float32 and points.shape == (3000, 2)
    p = points.astype(np.float64)
    np.testing.assert_allclose(p.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(np.sqrt(((p - p.mean(axis=0)) ** 2).mean()), 1, atol=1e-5)
    assert np.unique(p, axis=0).shape[0] == 3000  # the sub-pixel jitter separates repeated pixels


def test_text_points_are_seeded():
    a, b = inputs.points_from_text("Hi", seed=3), inputs.points_from_text("Hi", seed=3)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, inputs.points_from_text("Hi", seed=4))
    assert inputs.points_from_text("Hi", n=123).shape == (123, 2)


def test_text_points_have_y_pointing_up_and_follow_the_glyphs():
    t = inputs.points_from_text("T", n=4000).astype(np.float64)
    top, bottom = t[t[:, 1] > np.quantile(t[:, 1], 0.9)], t[t[:, 1] < np.quantile(t[:, 1], 0.5)]
    assert np.ptp(top[:, 0]) > 3 * np.ptp(bottom[:, 0])  # the bar of the T is at the top
    o = inputs.points_from_text("O", n=4000).astype(np.float64)
    assert (np.linalg.norm(o, axis=1) < 0.4).sum() == 0  # the hole of the O is empty
    dash = inputs.points_from_text("----", n=2000)
    assert dash[:, 0].std() > 5 * dash[:, 1].std()


def test_whitespace_and_invisible_characters_do_not_change_the_drawing():
    reference = inputs.points_from_text("a b")
    np.testing.assert_array_equal(inputs.points_from_text("a\nb"), reference)
    np.testing.assert_array_equal(inputs.points_from_text("  a\u200b b\x07 "), reference)


def test_every_drawable_character_is_in_the_font():
    font = ImageFont.load_default(size=inputs.TEXT_FONT_SIZE)
    missing = font.getmask("\ue000")  # a private-use character: drawn as the missing-glyph box
    box = (missing.size, bytes(missing))
    for c in sorted(inputs.DRAWABLE_CHARS - {" "}):
        mask = font.getmask(c)
        assert (mask.size, bytes(mask)) != box, repr(c)
    mask = font.getmask("é")
    assert (mask.size, bytes(mask)) == box  # why non-ASCII letters are refused


@pytest.mark.parametrize("text, kwargs, needles", [
    ("", {}, ["empty"]),
    ("  \t\n ", {}, ["empty"]),
    ("\u200b", {}, ["no visible characters"]),
    ("\u200b\u200d\ufeff", {}, ["no visible characters"]),
    ("\x01\x02\x7f", {}, ["no visible characters"]),
    ("x" * 25, {}, ["25 characters", "limit is 24"]),
    ("abcd", {"max_chars": 3}, ["4 characters", "limit is 3"]),
    ("Café", {}, ["'é'", "ASCII"]),
    ("hi \U0001F600", {}, ["ASCII"]),
])
def test_bad_text_is_refused_with_one_clear_sentence(text, kwargs, needles):
    refused(lambda: inputs.points_from_text(text, **kwargs), *needles)


@pytest.mark.parametrize("n", [0, 1, -5, 2.5, True])
def test_a_bad_point_count_is_a_programming_error(n):
    with pytest.raises(ValueError) as info:
        inputs.points_from_text("Hi", n=n)
    assert not isinstance(info.value, InputError)


# ---------------------------------------------------------------- nothing touches the disk

def test_nothing_is_written_anywhere(tmp_path, monkeypatch):
    good_csv = _csv(_values(), header="x,y").encode()
    images = [_encode(Image.fromarray(_gradient()), "PNG"), _encode(Image.fromarray(_gradient()), "JPEG"),
              _encode(Image.fromarray(_gradient()), "GIF"), _noise_png()[:3000]]
    marker = tmp_path / "marker"
    checkpoints = [_checkpoint_bytes(_small_net()),
                   _blob_bytes({"format": 1, "config": {}, "state_dict": {}, "meta": {"x": _Plant(marker)}})]
    dirs = {name: tmp_path / name for name in ("cwd", "home", "tmp")}
    for d in dirs.values():
        d.mkdir()
    monkeypatch.chdir(dirs["cwd"])
    monkeypatch.setenv("HOME", str(dirs["home"]))
    monkeypatch.setenv("XDG_CACHE_HOME", str(dirs["home"] / ".cache"))
    for var in ("TMPDIR", "TEMP", "TMP"):
        monkeypatch.setenv(var, str(dirs["tmp"]))
    monkeypatch.setattr(tempfile, "tempdir", None)  # make tempfile look at TMPDIR again
    assert tempfile.gettempdir() == str(dirs["tmp"])

    assert inputs.read_points_csv(good_csv).shape == (40, 2)
    refused(lambda: inputs.read_points_csv(b"1,2\n3,x\n"))
    for data in images[:3]:
        assert inputs.read_image(data).shape == (48, 64)
    refused(lambda: inputs.read_image(images[3]))
    assert inputs.read_checkpoint(checkpoints[0])[0].config == _small_net().config
    refused(lambda: inputs.read_checkpoint(checkpoints[1]))
    assert inputs.points_from_text("Hi").shape == (2000, 2)

    assert {name: sorted(p.name for p in d.iterdir()) for name, d in dirs.items()} == {"cwd": [], "home": [], "tmp": []}
    assert not marker.exists()


# ---------------------------------------------------------------- a drawing from the canvas

def _drawing(*strokes) -> dict:
    return {"strokes": [list(map(list, s)) for s in strokes]}


def test_a_drawing_becomes_points_and_their_classes():
    drawn = _drawing([(0.1, 0.2, 0), (0.3, 0.4, 0)], [(0.9, 0.9, 3)])
    points, labels = inputs.points_from_drawing(drawn)
    assert points.dtype == np.float32 and np.allclose(points, [[0.1, 0.2], [0.3, 0.4], [0.9, 0.9]])
    assert labels.tolist() == [0, 0, 3]
    data, checked = playground.from_drawing({**drawn, "extra": "x" * 1000})
    assert data.source == "draw" and data.labels.tolist() == [0, 0, 3]
    assert np.allclose(data.in_data_units(), points, atol=1e-6)  # standardised, and back
    assert np.allclose(data.points.mean(0), 0, atol=1e-6)
    assert set(checked) == {"strokes"} and [len(s) for s in checked["strokes"]] == [2, 1]  # rebuilt, nothing else kept
    assert checked["strokes"][1] == [[pytest.approx(0.9), pytest.approx(0.9), 3]]
    again = inputs.read_points_csv(playground.samples_csv(data.in_data_units()))  # the download reads back
    assert np.allclose(again, points, atol=1e-4)


@pytest.mark.parametrize("nonsense, says", [
    (None, "not a list of strokes"), ({"strokes": "x"}, "not a list of strokes"), ([[0.1, 0.2, 0]], "not a list"),
    ({"strokes": [5]}, "a stroke is not a list"), ({"strokes": [[[0.1, 0.2]]]}, "not [x, y, colour]"),
    ({"strokes": [[[0.1, "0.2", 0]]]}, "a coordinate is not a number"),
    ({"strokes": [[[True, 0.2, 0], [0.1, 0.1, 0]]]}, "a coordinate is not a number"),
    ({"strokes": [[[0.1, 0.2, 4], [0.3, 0.3, 0]]]}, "a colour is not one of the 4"),
    ({"strokes": [[[0.1, 0.2, 1.0], [0.3, 0.3, 0]]]}, "a colour is not one of the 4"),
    ({"strokes": [[[0.1, 1.5, 0], [0.3, 0.3, 0]]]}, "outside the canvas"),
    ({"strokes": [[[-1e308, 0.5, 0], [0.3, 0.3, 0]]]}, "outside the canvas"),
    ({"strokes": [[[10**400, 0.5, 0], [0.3, 0.3, 0]]]}, "outside the canvas"),
    ({"strokes": [[[float("nan"), 0.5, 0], [0.3, 0.3, 0]]]}, "outside the canvas"),
    ({"strokes": []}, "no points"), ({"strokes": [[[0.5, 0.5, 0]]]}, "only one point"),
    ({"strokes": [[[0.5, 0.5, 0]] * 3]}, "All 3 drawn points are the same"),
])
def test_nonsense_instead_of_a_drawing_is_one_sentence(nonsense, says):
    with pytest.raises(inputs.InputError, match=re.escape(says)):
        inputs.points_from_drawing(nonsense)


def test_a_drawing_over_the_limits_is_refused_before_its_points_are_read():
    many = {"strokes": [["not a point"] * (inputs.MAX_DRAWN_POINTS + 1)]}  # the count speaks before the points
    with pytest.raises(inputs.InputError, match=f"limit is {inputs.MAX_DRAWN_POINTS:,}"):
        inputs.points_from_drawing(many)
    strokes = {"strokes": [5] * (inputs.MAX_STROKES + 1)}
    with pytest.raises(inputs.InputError, match=f"limit is {inputs.MAX_STROKES:,}"):
        inputs.points_from_drawing(strokes)
