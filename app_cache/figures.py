"""Built figures (and images' PNGs) kept between runs: a page that draws a figure it drew before, from the same
inputs, sends the one it built then.

Building a figure is most of the server's time on a rerun once its views are cached: Plotly checks every trace, and
`diffusion_core.figures.figure` draws large point clouds as images (about 60 % of a page's run under AppTest with
every view cached). `memo(module)` gives a page a module's figure functions that look up the figure by a digest of
everything they are given (every array's bytes in full, in order) and of the width figures are being drawn for
(`figures.shown_width`), and build it on a miss. An argument the digest does not know (a callable, an object of
another kind) builds afresh every time rather than risk a stale figure.

A kept figure is shared by every reader and must not be changed: Streamlit copies it (`Figure.to_dict`) before
it sends it, and no page changes a figure after it is built (tests/test_app_figures.py reads every page for a change
to a figure, and finds a page drawn from kept figures sending what a fresh build sends). Bounded by count and by
the bytes the kept figures hold.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from types import ModuleType

import numpy as np
from plotly.basedatatypes import BaseFigure

from diffusion_core import figures as core_figures

# Every page's default view is 76 figures, which `weight` puts at 11 MB and which take 18 MB in memory (measured with
# tracemalloc). The warm-up builds 168 figures ahead of the reader, 17 of them default views' (by `weight`: Flow
# matching's 29, 7 MB; Guidance's 69, 17 MB; Sampling as optimization's 70, 9 MB): with the other defaults, 44 MB by
# weight, about 70 MB in memory. The bounds below hold at most 96 MB by weight, about 150 MB in memory (a public
# instance is planned at 1.5 GB, README).
MAX_FIGURES = 400  # figures kept, server-wide
MAX_BYTES = 96 * 2**20  # ... weighing at most this much in all
# Images' PNGs (Spectral bands' grey images, about 20 KB each) are kept apart, so that a reader sliding through an
# image's noise levels does not push out the figures the warm-up built for other pages.
MAX_IMAGES = 600
MAX_IMAGE_BYTES = 16 * 2**20


class _Unknown(Exception):
    """An argument the digest cannot vouch for."""


def _feed(h, obj) -> None:
    """Feed `obj` into the hash `h`, tagged by kind so that (1, 2) and [1, 2] and "12" differ. Raises _Unknown for
    anything whose content it cannot read in full (including a subclass of a kind it reads)."""
    kind = type(obj)
    if obj is None or kind in (bool, int, float, complex, str):
        h.update(f"{kind.__name__}:{obj!r};".encode())
    elif kind is bytes:
        h.update(b"bytes:%d;" % len(obj))
        h.update(obj)
    elif kind is np.ndarray:
        if obj.dtype.hasobject:
            raise _Unknown("object array")
        h.update(f"nd:{obj.dtype.descr}:{obj.shape};".encode())
        h.update(np.ascontiguousarray(obj).tobytes())
    elif isinstance(obj, np.generic) and not obj.dtype.hasobject:
        h.update(f"np:{obj.dtype.descr}:{obj.item()!r};".encode())
    elif kind.__module__ == "torch" and kind.__name__ == "Tensor":
        try:
            values = obj.detach().cpu().numpy()
        except (TypeError, RuntimeError) as err:  # bfloat16, sparse, ...
            raise _Unknown(f"tensor: {err}") from err
        _feed(h, values)
    elif kind in (dict, OrderedDict):
        h.update(f"map:{kind.__qualname__}:{len(obj)};".encode())
        for key, value in obj.items():  # in order: a legend follows a dict's order
            _feed(h, key)
            _feed(h, value)
    elif kind in (list, tuple, range):
        h.update(f"seq:{kind.__qualname__}:{len(obj)};".encode())
        for value in obj:
            _feed(h, value)
    elif _plain_dataclass(obj):
        h.update(f"dc:{kind.__module__}.{kind.__qualname__};".encode())
        for field in dataclasses.fields(obj):
            _feed(h, field.name)
            _feed(h, getattr(obj, field.name))
    else:
        raise _Unknown(kind.__qualname__)


def _plain_dataclass(obj) -> bool:
    """A dataclass instance whose fields are all it holds (its own class is the dataclass, nothing set beside)."""
    kind = type(obj)
    if "__dataclass_fields__" not in kind.__dict__ or not hasattr(obj, "__dict__"):
        return False
    return set(vars(obj)) == {f.name for f in dataclasses.fields(obj)}


def _weight(obj) -> int:
    """A rough count of the bytes a built figure holds: 32 a number in a list (a float object and its pointer), a
    string's length, an array's bytes."""
    if isinstance(obj, dict):
        return 64 + sum(_weight(v) for v in obj.values())
    if isinstance(obj, (list, tuple)):
        if obj and isinstance(obj[0], (int, float)):
            return 56 + 32 * len(obj)
        return 56 + sum(_weight(v) for v in obj)
    if isinstance(obj, (str, bytes)):
        return 49 + len(obj)
    if isinstance(obj, np.ndarray):
        return 112 + obj.nbytes
    return 32


def weight(fig: BaseFigure) -> int:
    """`_weight` of a figure: its traces, layout and frames, and half as much again for the JSON text (as bytes) that
    app_components.chart keeps on a figure it sends (measured on the plots' test catalogue: 0.61 MB of text for
    1.19 MB of figures)."""
    base = _weight(fig._data) + _weight(fig._layout) + sum(_weight(f._props) for f in fig._frame_objs)
    return base + base // 2


def digest(fn: Callable, args: tuple, kwargs: dict) -> bytes | None:
    """A digest of a figure call (the function, its arguments and the width figures are drawn for); None if an
    argument is of a kind the digest does not read in full."""
    h = hashlib.blake2b(digest_size=20)
    try:
        _feed(h, (fn.__module__, fn.__qualname__, core_figures.width_shown(), args, sorted(kwargs.items())))
    except _Unknown:
        return None
    return h.digest()


class _Kept:
    """A least-recently-used store of figures (or of images' PNGs), bounded by count and bytes, safe across reader
    threads."""

    def __init__(self, max_figures: int, max_bytes: int):
        self.max_figures, self.max_bytes = max_figures, max_bytes
        self._lock = threading.Lock()
        self._items: OrderedDict[bytes, tuple[object, int]] = OrderedDict()
        self._bytes = 0
        self.hits = self.misses = self.unkept = 0

    def count_unkept(self) -> None:
        with self._lock:
            self.unkept += 1

    def get(self, key: bytes):
        with self._lock:
            found = self._items.get(key)
            if found is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return found[0]

    def put(self, key: bytes, fig, size: int) -> None:
        if size > self.max_bytes:
            return
        with self._lock:
            if key in self._items:
                return
            self._items[key] = (fig, size)
            self._bytes += size
            while len(self._items) > self.max_figures or self._bytes > self.max_bytes:
                _, (_, old) = self._items.popitem(last=False)
                self._bytes -= old

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._items)


KEPT = _Kept(MAX_FIGURES, MAX_BYTES)
KEPT_IMAGES = _Kept(MAX_IMAGES, MAX_IMAGE_BYTES)
# Done to every figure as it is kept, before it is weighed: app_start.start sets it to app_components.chart's
# `prepare`, which works out once the JSON a chart sends (a page does it anyway on drawing what it built). So a figure
# the warm-up builds ahead costs a reader's first move nothing at all. None (the cache imported without the app): nothing.
on_kept: Callable[[BaseFigure], object] | None = None


def kept(fn: Callable) -> Callable:
    """`fn` (a function that builds a figure, or an image's PNG if it says it returns bytes) looking what it builds
    up in KEPT (KEPT_IMAGES) first."""
    image = _builds_image(fn)
    store, kind = (KEPT_IMAGES, bytes) if image else (KEPT, BaseFigure)

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        key = digest(fn, args, kwargs)
        if key is None:
            store.count_unkept()
            return fn(*args, **kwargs)
        built = store.get(key)
        if built is None:
            built = fn(*args, **kwargs)
            if isinstance(built, kind):  # anything else is not kept
                if not image and on_kept is not None:
                    on_kept(built)
                store.put(key, built, _weight(built) if image else weight(built))
        return built

    return wrapper


def _returns(fn: Callable) -> str:
    """What `fn` says it returns (its return annotation, as text: a string under `from __future__ import
    annotations`, else the class)."""
    return str(getattr(fn, "__annotations__", {}).get("return", ""))


def _builds_image(fn: Callable) -> bool:
    """Whether `fn` says it returns an image's bytes (`-> bytes`: a PNG)."""
    return _returns(fn) in ("bytes", str(bytes))


def _builds_figure(fn: Callable) -> bool:
    """Whether `fn` says it returns a plotly figure (`-> go.Figure`) or an image's bytes."""
    return "Figure" in _returns(fn) or _builds_image(fn)


class memo:
    """A figures module whose figure functions (those annotated `-> go.Figure`) and image functions (`-> bytes`, an
    image's PNG: encoding Spectral bands' images was about 60 % of its server time on a move) keep what they build
    (`kept`); its other names (constants, helpers) as they are."""

    def __init__(self, module: ModuleType):
        self._module = module
        self._wrapped: dict[str, Callable] = {}

    def __getattr__(self, name: str):
        value = getattr(self._module, name)
        if not callable(value) or isinstance(value, type) or not _builds_figure(value):
            return value
        if name not in self._wrapped:
            self._wrapped[name] = kept(value)
        return self._wrapped[name]
