"""Built figures kept between runs (app_cache.figures): a kept figure is found only from the very same inputs, is
the figure a fresh build gives, is never changed by being sent, and the store stays bounded."""

from __future__ import annotations

import collections
import dataclasses
import io
import json
import threading
import types

import numpy as np
import plotly.graph_objects as go
import plotly.io
import plotly.tools
import pytest
import torch

from app_cache import figures as kept_figures
from app_cache.figures import KEPT, KEPT_IMAGES, _Kept, digest, kept, memo
from diffusion_core import figures as core_figures


def _line(x, y, *, title="t"):
    return go.Figure(go.Scatter(x=np.asarray(x), y=np.asarray(y)), layout={"title": {"text": title}})


def _digest(*args, **kwargs):
    found = digest(_line, args, kwargs)
    assert found is not None
    return found


@pytest.fixture(autouse=True)
def _empty_store():
    KEPT.clear()
    KEPT_IMAGES.clear()
    yield
    KEPT.clear()
    KEPT_IMAGES.clear()


def test_one_changed_value_in_a_large_array_changes_the_digest():
    # Streamlit's own hasher samples arrays of 500,000 values or more; this digest reads every byte
    big = np.zeros(600_000, dtype=np.float32)
    other = big.copy()
    other[123_457] = 1e-7
    assert _digest(big, big) == _digest(big.copy(), big.copy())
    assert _digest(big, big) != _digest(big, other)


@pytest.mark.parametrize("a, b", [
    ((1,), (1.0,)),  # an int and a float that compare equal
    ((1,), ("1",)),
    (([1, 2],), ((1, 2),)),  # a list and a tuple
    (({"a": 1, "b": 2},), ({"b": 2, "a": 1},)),  # dict order is legend order
    ((np.arange(4, dtype=np.float32),), (np.arange(4, dtype=np.float64),)),  # same values, another dtype
    ((np.arange(6).reshape(2, 3),), (np.arange(6).reshape(3, 2),)),  # same bytes, another shape
    ((None,), ((),)),
    ((np.float32(0.5),), (0.5,)),
])
def test_inputs_that_compare_alike_but_draw_differently_have_different_digests(a, b):
    assert _digest(*a) != _digest(*b)


def test_keyword_arguments_the_function_and_the_width_shown_are_in_the_digest():
    x = np.linspace(0, 1, 5)
    assert _digest(x, title="a") != _digest(x, title="b")
    assert digest(_line, (x, x), {}) != digest(core_figures.loss_curve, (x, x), {})
    with core_figures.shown_width(400):
        narrow = _digest(x, x)
    assert narrow != _digest(x, x)


def test_a_tensor_is_read_as_its_values():
    t = torch.arange(5, dtype=torch.float32)
    assert _digest(t) == _digest(t.numpy().copy())
    assert _digest(t) != _digest(t + 1)


def test_an_argument_the_digest_cannot_read_is_built_every_time():
    calls = []

    def build(fn):
        calls.append(1)
        return _line([0, 1], [fn(0), fn(1)])

    wrapped = kept(build)
    before = KEPT.unkept
    assert wrapped(lambda v: v) is not wrapped(lambda v: v)
    assert len(calls) == 2 and KEPT.unkept == before + 2
    assert digest(build, (np.array([object()], dtype=object),), {}) is None


@dataclasses.dataclass
class _View:
    x: np.ndarray


class _Subview(_View):
    pass


@pytest.mark.parametrize("unread", [
    collections.defaultdict(list, {"a": 1}),  # a Mapping with more to it than its items
    types.SimpleNamespace(a=1),
    _Subview(np.zeros(2)),  # a subclass that is not itself the dataclass
    np.zeros(2).view(np.recarray),  # an ndarray subclass
    torch.zeros(2, dtype=torch.bfloat16),  # a tensor numpy cannot hold
])
def test_what_the_digest_cannot_read_in_full_is_never_looked_up(unread):
    assert digest(_line, (unread,), {}) is None


def test_a_dataclass_is_read_by_its_fields_and_nothing_set_beside_them_goes_unread():
    view = _View(np.arange(3.0))
    assert _digest(view) == _digest(_View(np.arange(3.0))) != _digest(_View(np.arange(4.0)))
    view.extra = 1  # an attribute outside the fields: the digest would not see it
    assert digest(_line, (view,), {}) is None


def test_structured_arrays_of_the_same_bytes_and_another_layout_differ():
    a = np.zeros(2, dtype=[("x", "<f4"), ("y", "<f4")])
    b = np.zeros(2, dtype=[("y", "<f4"), ("x", "<f4")])
    assert _digest(a) != _digest(b)


def test_the_same_inputs_give_the_kept_figure_and_new_inputs_a_new_one_equal_to_a_fresh_build():
    wrapped = kept(core_figures.loss_curve)
    first = wrapped([1, 2, 3], [1.0, 0.5, 0.25], title="loss")
    assert wrapped([1, 2, 3], [1.0, 0.5, 0.25], title="loss") is first
    changed = wrapped([1, 2, 3], [1.0, 0.5, 0.3], title="loss")
    assert changed is not first
    fresh = core_figures.loss_curve([1, 2, 3], [1.0, 0.5, 0.3], title="loss")
    assert changed.to_plotly_json() == fresh.to_plotly_json()


def test_a_module_s_figure_functions_are_kept_and_its_constants_pass_through():
    module = memo(core_figures)
    assert module.SERIES == core_figures.SERIES
    assert module.loss_curve is module.loss_curve  # one wrapper per function of this module's memo
    from diffusion_core.topics.spectra import figures as spectra

    assert memo(spectra).loglog is spectra.loglog  # neither a figure nor an image: passed through, never hashed
    a = module.loss_curve([1, 2], [3.0, 4.0], title="x")
    assert module.loss_curve([1, 2], [3.0, 4.0], title="x") is a
    assert len(KEPT) == 1


def test_an_image_s_png_is_kept_and_is_the_png_a_fresh_encoding_gives():
    """Spectral bands' images (`-> bytes`): the same image gives the kept PNG, a changed pixel a new one, both kept
    apart from the figures, and the PNG decodes to the grey levels of the image (read back with PIL, not with the
    code that wrote it)."""
    from PIL import Image

    from diffusion_core.topics.spectra import figures as spectra

    module = memo(spectra)
    img = np.linspace(-2.5, 2.5, 16).reshape(4, 4)
    first = module.grey_png(img, zrange=(-2.5, 2.5), scale=2)
    assert module.grey_png(img.copy(), zrange=(-2.5, 2.5), scale=2) is first and len(KEPT_IMAGES) == 1
    assert first == spectra.grey_png(img, zrange=(-2.5, 2.5), scale=2)
    changed = img.copy()
    changed[0, 0] = 0.0
    other = module.grey_png(changed, zrange=(-2.5, 2.5), scale=2)
    assert other != first and len(KEPT_IMAGES) == 2 and len(KEPT) == 0  # apart from the figures
    assert module.grey_png(img, zrange=(-1.0, 1.0), scale=2) != first and len(KEPT_IMAGES) == 3  # the range counts
    assert module.grey_png(img, zrange=(-2.5, 2.5), scale=3) != first and len(KEPT_IMAGES) == 4  # the scale too

    def raw(values):
        return bytes(values)

    raw.__annotations__ = {"return": bytes}  # as a module without `from __future__ import annotations` has it
    wrapped = kept(raw)
    assert wrapped([1, 2]) is wrapped([1, 2]) and len(KEPT_IMAGES) == 5
    grey = np.asarray(Image.open(io.BytesIO(other)))
    assert grey.shape == (8, 8) and grey[0, 0] == grey[1, 1] == round(0.5 * 255) and grey[-1, -1] == 255


def test_what_is_not_a_figure_is_not_kept():
    wrapped = kept(lambda x: np.asarray(x) * 2)
    assert wrapped([1, 2]).tolist() == [2, 4]
    assert len(KEPT) == 0


def test_the_store_forgets_the_least_recently_used_and_stays_within_its_bounds():
    store = _Kept(max_figures=3, max_bytes=1_000)
    for k in range(3):
        store.put(bytes([k]), f"fig{k}", 100)
    assert store.get(bytes([0])) == "fig0"  # 0 is now the most recent
    store.put(bytes([3]), "fig3", 100)  # over the count: forgets 1
    assert store.get(bytes([1])) is None and store.get(bytes([0])) == "fig0" and len(store) == 3
    store.put(bytes([4]), "fig4", 850)  # over the bytes: forgets the oldest until it fits
    assert store.get(bytes([4])) == "fig4" and store._bytes <= 1_000
    store.put(bytes([5]), "huge", 2_000)  # larger than the whole store: not kept
    assert store.get(bytes([5])) is None
    assert kept_figures.MAX_FIGURES > 0 and kept_figures.MAX_BYTES > 0


def test_a_figure_s_weight_counts_its_numbers_and_its_frames():
    small = core_figures.loss_curve(list(range(10)), [1.0] * 10, title="a")
    large = core_figures.loss_curve(list(range(10_000)), [1.0] * 10_000, title="a")
    assert kept_figures.weight(large) - kept_figures.weight(small) >= 2 * 32 * (10_000 - 10)


def test_readers_on_many_threads_keep_the_store_whole():
    store = _Kept(max_figures=50, max_bytes=10_000)

    def reader(k):
        for i in range(400):
            key = bytes([(k * 7 + i) % 97])
            if store.get(key) is None:
                store.put(key, i, 150)

    threads = [threading.Thread(target=reader, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(store) <= 50 and store._bytes == 150 * len(store) <= 10_000
    assert store.hits + store.misses == 8 * 400


def test_plotly_s_copy_and_encoding_leave_a_figure_unchanged():
    """The two calls st.plotly_chart makes on a figure (plotly.tools.return_figure_from_figure_or_data, which copies
    it with Figure.to_dict, and plotly.io.to_json on the copy) leave it as built: a kept figure, sent to many
    readers, stays as built. Checked on every figure of the plots' test catalogue (the page test below checks
    the pages' own figures end to end)."""
    from test_plots import _figures

    for name, fig in _figures().items():
        before = json.dumps(fig.to_plotly_json(), sort_keys=True, default=str)
        spec = plotly.io.to_json(plotly.tools.return_figure_from_figure_or_data(fig, validate_figure=True),
                                 validate=False)
        assert json.dumps(fig.to_plotly_json(), sort_keys=True, default=str) == before, name
        assert json.loads(spec)["layout"]["title"]["text"]


@pytest.mark.parametrize("page", ["HOME", "PROCESS", "MODES", "COPIES", "SCORES", "LOSS", "SPECTRA", "OPTIMIZATION",
                                  "FLOW", "GUIDANCE"])
def test_a_page_drawn_from_kept_figures_sends_what_a_fresh_build_sends(page):
    import test_pages

    path = getattr(test_pages, page)
    test_pages.opened(path)  # builds (and keeps) the page's figures, and sends them
    hits, misses = KEPT.hits, KEPT.misses
    again = test_pages.figures(test_pages.opened(path))  # every figure from the store, as sent before
    assert KEPT.hits > hits and KEPT.misses == misses, "the second run built a figure again"
    KEPT.clear()
    fresh = test_pages.figures(test_pages.opened(path))
    assert len(again) == len(fresh) > 0
    for sent, built in zip(again, fresh):
        assert sent == built, sent["layout"]["title"]["text"]


CHANGES = {"update_layout", "update_traces", "update_xaxes", "update_yaxes", "add_trace", "add_traces",
           "add_annotation", "add_shape", "add_hline", "add_vline", "add_hrect", "add_vrect", "for_each_trace",
           "update", "set_subplots", "add_layout_image"}


def test_no_page_changes_a_figure_after_it_is_built():
    """A kept figure is shared by every reader: a page that changed it (fig.update_layout(...), fig.layout.x = ...)
    would change it for all of them. No page, and no room of app_cache that builds a page's figures, calls a changing
    method of a figure or assigns into one (app_cache/figures.py, the store, hashes with .update and is left out)."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    rooms = [p for p in sorted((root / "app_cache").glob("*.py")) if p.name != "figures.py"]
    for path in [*sorted((root / "app_pages").glob("*.py")), root / "app_common.py", *rooms]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                assert node.func.attr not in CHANGES or "session_state" in ast.unparse(node.func.value), \
                    f"{path.name}:{node.lineno} {ast.unparse(node)[:60]}"
            if isinstance(node, (ast.Assign, ast.AugAssign)):
                for target in getattr(node, "targets", [getattr(node, "target", None)]):
                    text = ast.unparse(target)
                    assert not any(f".{part}" in text for part in ("layout", "data", "frames")), \
                        f"{path.name}:{node.lineno} {text}"
