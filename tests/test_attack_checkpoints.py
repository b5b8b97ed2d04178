"""Uploaded checkpoints are bounded by what they cost, not by their bytes (issue 15, first row).

A tensor's size is only declared in a checkpoint: a 45 KB file can hold a stride-0 tensor of 10^12 elements, and
a 7 KB one a network 250 times the Playground's largest. Every file here is built in memory by the test itself.
"""

import collections
import io
import json
import math
import re
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest
import torch

from diffusion_core import inputs, models, pretrained
from diffusion_core.inputs import InputError, checkpoints
from diffusion_core.topics.playground import core as playground

ROOT = Path(__file__).resolve().parents[1]
OLD_LARGEST = {"hidden": 1024, "depth": 8, "fourier_features": 1024, "T": 10_000}  # the limits before issue 15


def refused(call, *needles: str) -> InputError:
    """Run call, expect InputError with one plain sentence that mentions every needle; return it."""
    with pytest.raises(InputError) as info:
        call()
    msg = str(info.value)
    assert "\n" not in msg and msg == msg.strip() and msg[0].isupper() and msg.endswith("."), msg
    assert not re.search(r"[.!?]\s", msg), f"more than one sentence: {msg}"
    assert "b'" not in msg and "\\x" not in msg and "Error" not in msg and "0x" not in msg, msg
    for needle in needles:
        assert needle in msg, f"{needle!r} not in {msg!r}"
    return info.value


def fast(call, *needles: str, seconds: float = 1.0) -> InputError:
    """refused(), within `seconds`."""
    start = time.perf_counter()
    err = refused(call, *needles)
    assert time.perf_counter() - start < seconds, f"took {time.perf_counter() - start:.1f} s"
    return err


def saved(blob: object) -> bytes:
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # TypedStorage is deprecated; the crafted files below use it on purpose
        torch.save(blob, buf)
    return buf.getvalue()


def checkpoint(state: dict | None = None, config: dict | None = None, meta: object = None) -> bytes:
    """A checkpoint file as models.save_checkpoint writes it, with any part replaced."""
    config = {} if config is None else config
    if state is None:
        state = models.EpsMLP(models.ModelConfig(**config)).state_dict()
    return saved({"format": 1, "config": config, "state_dict": state, "meta": {} if meta is None else meta})


def default_state(**replace) -> dict:
    return models.EpsMLP(models.ModelConfig()).state_dict() | replace


class Reduce:
    """Pickles as func(*args): how a crafted file calls a function the weights_only unpickler allows."""

    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


# ---------------------------------------------------------------- limits

def test_the_config_limits_are_the_playgrounds_own_ranges():
    assert inputs.CONFIG_LIMITS == {
        "hidden": (1, max(playground.WIDTHS)), "depth": (1, max(playground.DEPTHS)),
        "fourier_features": (0, models.ModelConfig().fourier_features), "T": (2, max(playground.T_CHOICES)),
        "fourier_scale": (0, max(playground.FOURIER_SCALES)),
        "classes": (0, pretrained.RECIPES[pretrained.GUIDE].config.classes)}  # the most labels of any model here
    assert min(playground.WIDTHS) >= 1 and min(playground.DEPTHS) >= 1 and min(playground.T_CHOICES) >= 2
    assert {playground.Settings(fourier=f).model_config().fourier_features for f in (False, True)} == {
        0, models.ModelConfig().fourier_features}


@pytest.mark.parametrize("time_input", models.TIME_INPUTS)
@pytest.mark.parametrize("fourier_features, depth, hidden, classes", [(0, 1, 1, 0), (64, 2, 16, 0), (64, 6, 256, 0),
                                                                      (7, 3, 5, 0), (64, 3, 128, 13), (0, 1, 4, 1)])
def test_the_expected_weights_are_the_networks(time_input, fourier_features, depth, hidden, classes):
    config = models.ModelConfig(time_input=time_input, fourier_features=fourier_features, depth=depth, hidden=hidden,
                                classes=classes)
    real = {k: (tuple(v.shape), v.dtype, v.stride()) for k, v in models.EpsMLP(config).state_dict().items()}
    expected = checkpoints._expected_shapes(config)
    assert real == {k: (s, torch.float32, checkpoints._contiguous_strides(s)) for k, s in expected.items()}


def test_a_class_conditional_checkpoint_loads_and_samples_unconditionally():
    """Guidance's shipped network, uploaded: read through the same checks, and the Playground's sampler (no label)
    uses its null label, the unconditional model; a config with more labels than any model here is refused."""
    data = pretrained.path(pretrained.GUIDE).read_bytes()
    net, _ = inputs.read_checkpoint(data)
    assert net.config.classes == 13
    x, t = torch.randn(6, 2), torch.tensor([5])
    torch.testing.assert_close(net(x, t), net(x, t, torch.tensor([13])), rtol=0, atol=0)
    fast(lambda: inputs.read_checkpoint(checkpoint(config={"classes": 14})), "classes is 14")


def test_the_largest_playground_model_loads():
    settings = playground.Settings(hidden=max(playground.WIDTHS), depth=max(playground.DEPTHS), fourier=True,
                                   fourier_scale=max(playground.FOURIER_SCALES), T=max(playground.T_CHOICES))
    net = models.EpsMLP(settings.model_config()).eval()
    data = playground.checkpoint_bytes(net, playground.Frame((1.0, -2.0), 3.0), {"data": "big.csv"})
    assert len(data) < inputs.MAX_CHECKPOINT_BYTES
    loaded, frame, meta = playground.from_checkpoint(data)
    assert loaded.config == net.config and frame == playground.Frame((1.0, -2.0), 3.0) and meta == {"data": "big.csv"}
    assert playground.settings_of(loaded.config) is not None
    x, t = torch.randn(9, 2), torch.arange(9) * 100
    torch.testing.assert_close(loaded(x, t), net(x, t), rtol=0, atol=0)


@pytest.mark.parametrize("name, value, limit", [("hidden", 1024, "between 1 and 256"), ("depth", 8, "between 1 and 6"),
                                                ("fourier_features", 1024, "between 0 and 64"),
                                                ("T", 10_000, "between 2 and 1,000"),
                                                ("fourier_scale", 33.0, "between 0 and 32")])
def test_settings_beyond_the_playgrounds_are_refused(name, value, limit):
    data = saved({"format": 1, "config": {name: value}, "state_dict": {}, "meta": {}})
    fast(lambda: inputs.read_checkpoint(data), f"model setting {name} is {value:,}; it must be {limit}.")


def test_the_largest_old_config_with_stride_0_weights_is_refused_before_any_network_is_built(monkeypatch):
    shapes = checkpoints._expected_shapes(models.ModelConfig(**OLD_LARGEST))  # (tested against the network above)
    data = checkpoint({k: torch.zeros(1).expand(shape) for k, shape in shapes.items()}, OLD_LARGEST)
    assert len(data) < 20_000 and sum(math.prod(s) for s in shapes.values()) > 5_000_000  # a 7 KB giant

    def never(*args, **kwargs):
        raise AssertionError("a network was built")

    monkeypatch.setattr(models.EpsMLP, "__init__", never)
    err = fast(lambda: inputs.read_checkpoint(data))
    assert str(err) == "The checkpoint's model setting hidden is 1,024; it must be between 1 and 256."
    fast(lambda: playground.from_checkpoint(data), "hidden is 1,024")


# ---------------------------------------------------------------- weights checked from their metadata alone

@pytest.mark.parametrize("n", [10**9, 10**12])
def test_a_stride_0_tensor_of_a_huge_size_is_refused_from_its_metadata(n):
    data = checkpoint(default_state(**{"inp.weight": torch.zeros(1).expand(n)}))
    assert len(data) < 100_000  # torch.save keeps the one stored value, not the declared size
    assert torch.load(io.BytesIO(data), weights_only=True)["state_dict"]["inp.weight"].shape == (n,)
    fast(lambda: inputs.read_checkpoint(data), "weights do not fit its model config", f"{n:,}", "not 64 x 130")
    fast(lambda: playground.from_checkpoint(data), "weights do not fit")


def test_a_stride_0_tensor_of_the_right_shape_is_refused():
    for name in ("inp.weight", "fourier.B", "net.5.bias"):
        shape = default_state()[name].shape
        data = checkpoint(default_state(**{name: torch.zeros(1).expand(shape)}))
        fast(lambda data=data: inputs.read_checkpoint(data), f"weight {name} is not stored as one contiguous block")
    as_strided = torch.as_strided(torch.zeros(200), (64, 130), (1, 1))  # rows overlap
    fast(lambda: inputs.read_checkpoint(checkpoint(default_state(**{"inp.weight": as_strided}))), "contiguous")


def test_a_non_contiguous_tensor_is_refused():
    w = default_state()["inp.weight"]
    transposed = w.t().contiguous().t()  # the same values, column-major
    assert transposed.shape == w.shape and not transposed.is_contiguous()
    fast(lambda: inputs.read_checkpoint(checkpoint(default_state(**{"inp.weight": transposed}))),
         "weight inp.weight is not stored as one contiguous block")
    every_other = torch.zeros(64, 260)[:, ::2]
    fast(lambda: inputs.read_checkpoint(checkpoint(default_state(**{"inp.weight": every_other}))), "contiguous")


@pytest.mark.parametrize("dtype", [torch.float64, torch.float16, torch.bfloat16, torch.int64, torch.bool,
                                   torch.complex64])
def test_a_weight_of_another_dtype_is_refused(dtype):
    state = default_state(**{"net.1.weight": default_state()["net.1.weight"].to(dtype)})
    fast(lambda: inputs.read_checkpoint(checkpoint(state)),
         f"weight net.1.weight is {str(dtype).removeprefix('torch.')}", "float32")


def test_a_tensor_with_values_beyond_its_storage_is_refused():
    """torch.load itself refuses such a tensor today (set_ cannot grow a loaded storage), and so do we."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # TypedStorage is deprecated; torch.save writes one for every tensor
        small = torch.zeros(10).storage()
    for size, stride in [((64, 130), (130, 1)), ((10**9,), (1,)), ((10**12,), (3,))]:
        state = default_state(**{"inp.weight": Reduce(torch._utils._rebuild_tensor_v2, small, 0, size, stride, False,
                                                      collections.OrderedDict())})
        fast(lambda state=state: inputs.read_checkpoint(checkpoint(state)))


def test_our_own_check_refuses_a_tensor_with_values_beyond_its_storage(monkeypatch):
    """Should a loader build one, the check from storage size and offset refuses it."""
    state = default_state()
    short = state["inp.weight"].clone()
    short.untyped_storage().resize_(40)  # the tensor still claims 64 x 130 values; its storage holds 10
    state["inp.weight"] = short
    blob = {"format": 1, "config": {}, "state_dict": state, "meta": {}}
    monkeypatch.setattr(torch, "load", lambda *args, **kwargs: blob)
    fast(lambda: inputs.read_checkpoint(checkpoint()), "weight inp.weight has more values than the file stores")
    offset = torch.zeros(64 * 130 + 8)[8:].view(64, 130)  # a view further into a larger storage is fine
    blob["state_dict"] = default_state(**{"inp.weight": offset})
    assert inputs.read_checkpoint(checkpoint())[0].config == models.ModelConfig()


def test_missing_and_unknown_weights_are_refused():
    state = default_state()
    del state["time_proj.weight"]
    fast(lambda: inputs.read_checkpoint(checkpoint(state)), "do not fit", "time_proj.weight is missing")
    fast(lambda: inputs.read_checkpoint(checkpoint(default_state(extra=torch.zeros(2)))), "no weight 'extra'")
    fast(lambda: inputs.read_checkpoint(checkpoint(default_state(**{"inp.weight": torch.zeros(64, 131)}))),
         "inp.weight is 64 x 131, not 64 x 130")
    fast(lambda: inputs.read_checkpoint(checkpoint(default_state(**{"inp.bias": 3.0}))), "not a plain tensor")


def test_a_tensor_as_the_format_is_never_compared_element_by_element():
    data = saved({"format": torch.zeros(1).expand(10**12), "config": {}, "state_dict": {}, "meta": {}})
    fast(lambda: inputs.read_checkpoint(data), "not a Grokking Diffusion checkpoint")


# ---------------------------------------------------------------- what torch.load would do before any check

def test_functions_the_unpickler_allows_but_no_checkpoint_calls_are_refused_before_loading():
    """A dtype conversion of a stride-0 tensor materialises it inside torch.load (1e8 float64: 800 MB)."""
    for evil in (Reduce(torch._utils._rebuild_device_tensor_from_cpu_tensor, torch.zeros(1).expand(10**8),
                        torch.float64, "cpu", False),
                 Reduce(bytearray, 2**31), Reduce(collections.Counter, [1, 2]), Reduce(set, [1, 2]),
                 Reduce(torch.Size, [1, 2]), Reduce(complex, 1.0, 2.0)):
        data = checkpoint(meta={"x": evil})
        assert len(data) < 100_000
        fast(lambda data=data: inputs.read_checkpoint(data), "Python objects")


def _nested(depth: int, leaf, pair) -> object:
    x = leaf
    for _ in range(depth):
        x = pair(x, x)  # each level refers to the one below twice: 2^depth leaves when expanded
    return x


def test_metadata_nested_with_shared_references_is_refused_fast():
    """60 levels of [x, x]: printed or compared, 2^60 leaves. The file holds 60 small lists."""
    bomb = _nested(60, 0, lambda a, b: [a, b])
    for meta in ({"data": bomb}, {"centre": bomb}, {"x": [bomb]}):
        data = checkpoint(meta=meta)
        assert len(data) < 100_000
        fast(lambda data=data: inputs.read_checkpoint(data), "refers twice to one list, tuple, dict or tensor")
        fast(lambda data=data: playground.from_checkpoint(data), "twice")


def test_a_dict_key_nested_with_shared_references_is_refused_before_it_is_hashed():
    """Tuples are hashed afresh each time: a 60-level key would hang torch.load itself (measured: 26 levels, 1 s)."""
    key = _nested(60, 0, lambda a, b: (a, b))
    data = checkpoint(meta={"x": Reduce(collections.OrderedDict, [(key, 1)])})
    fast(lambda: inputs.read_checkpoint(data), "twice")


def test_objects_built_by_a_call_are_not_shared_either():
    """OrderedDicts nested with shared references (60 levels), and one tensor under two names."""
    bomb = _nested(60, 0, lambda a, b: Reduce(collections.OrderedDict, [("a", a), ("b", b)]))
    fast(lambda: inputs.read_checkpoint(checkpoint(meta={"x": bomb})), "twice")
    state = default_state()
    state["net.1.weight"] = state["net.3.weight"]
    fast(lambda: inputs.read_checkpoint(checkpoint(state)), "twice")


def test_metadata_keeps_only_plain_entries():
    meta = {"dataset": "moons", "steps": 12, "seconds": 9.5, "none": None, "centre": [1.0, 2], "flag": True,
            "nested": [[1.0]], "words": ["a"], "long": list(range(17)), "dict": {"a": 1}, "tensor": torch.zeros(3),
            5: "int key"}
    _, got = inputs.read_checkpoint(checkpoint(meta=meta))
    assert got == {"dataset": "moons", "steps": 12, "seconds": 9.5, "none": None, "centre": [1.0, 2], "flag": True}


@pytest.mark.parametrize("meta, kept", [
    ({"data": "x" * 5000, "training_steps": 10, "seconds": 12.5}, {"data": "x" * 60, "training_steps": 10,
                                                                    "seconds": 12.5}),
    ({"data": 7, "training_steps": -1, "seconds": float("nan")}, {}),
    ({"data": None, "training_steps": 10**10, "seconds": float("inf")}, {}),
    ({"training_steps": True, "seconds": 10**400}, {}),
    ({"training_steps": 5.0, "seconds": 10}, {"seconds": 10}),
    ({"name": "dino", "steps": 3}, {}),
])
def test_the_playground_keeps_only_well_typed_bounded_metadata(meta, kept):
    net = models.EpsMLP(playground.Settings(hidden=16, depth=1).model_config())
    _, _, got = playground.from_checkpoint(playground.checkpoint_bytes(net, playground.Frame(), meta))
    assert got == kept


def test_the_playground_never_prints_metadata_it_has_not_typed(monkeypatch):
    """Should read_checkpoint hand over a nested object, from_checkpoint drops it without looking inside."""
    bomb = _nested(60, 0, lambda a, b: [a, b])
    net = models.EpsMLP(playground.Settings(hidden=16, depth=1).model_config())
    monkeypatch.setattr(inputs, "read_checkpoint", lambda data: (net, {"data": bomb, "training_steps": bomb,
                                                                       "seconds": bomb}))
    start = time.perf_counter()
    assert playground.from_checkpoint(b"any")[1:] == (playground.Frame(), {})
    assert time.perf_counter() - start < 1
    monkeypatch.setattr(inputs, "read_checkpoint", lambda data: (net, {"centre": bomb, "scale": 1.0}))
    fast(lambda: playground.from_checkpoint(b"any"), "frame (centre and scale) is damaged")


# ---------------------------------------------------------------- nothing unexpected escapes

def test_an_unexpected_failure_is_one_sentence_with_its_cause(monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    data = checkpoint()
    monkeypatch.setattr(models.EpsMLP, "load_state_dict", boom)
    err = fast(lambda: inputs.read_checkpoint(data), "could not be loaded")
    assert isinstance(err.__cause__, RuntimeError) and str(err.__cause__) == "boom"
    err = fast(lambda: playground.from_checkpoint(data), "could not be loaded")
    assert isinstance(err.__cause__, RuntimeError)
    monkeypatch.undo()

    class Hostile(dict):
        def get(self, *args):
            raise MemoryError

    net = models.EpsMLP(models.ModelConfig())
    monkeypatch.setattr(inputs, "read_checkpoint", lambda data: (net, Hostile()))
    err = fast(lambda: playground.from_checkpoint(b"any"), "metadata could not be read")
    assert isinstance(err.__cause__, MemoryError)


def test_damaged_structures_are_one_sentence():
    good = checkpoint()
    fast(lambda: inputs.read_checkpoint(good[:len(good) // 2]))
    fast(lambda: inputs.read_checkpoint(saved({"format": 1, "config": [], "state_dict": {}, "meta": {}})),
         "not a Grokking Diffusion checkpoint")
    fast(lambda: inputs.read_checkpoint(saved({"format": 1, "config": {}, "state_dict": [], "meta": {}})),
         "not a Grokking Diffusion checkpoint")
    fast(lambda: inputs.read_checkpoint(saved({"format": 1, "config": {}, "state_dict": {}, "meta": {}}) + b"x"))
    big_meta = checkpoint(meta={"data": "x" * (inputs.MAX_CHECKPOINT_PICKLE_BYTES + 1)})
    fast(lambda: inputs.read_checkpoint(big_meta), "structure (apart from its weights) is over 64 KB")


# ---------------------------------------------------------------- a good file still loads

def test_a_playground_checkpoint_still_loads():
    settings = playground.Settings(hidden=32, depth=2, fourier=False, T=250, schedule="linear", seed=7)
    net = models.EpsMLP(settings.model_config()).eval()
    frame = playground.Frame((12.5, -3.0), 4.25)
    data = playground.checkpoint_bytes(net, frame, {"data": "mine.csv", "training_steps": 1234, "seconds": 10})
    loaded, got_frame, meta = playground.from_checkpoint(data)
    assert got_frame == frame and meta == {"data": "mine.csv", "training_steps": 1234, "seconds": 10}
    assert loaded.config == net.config and not loaded.training and playground.settings_of(loaded.config) == settings
    x, t = torch.randn(7, 2), torch.tensor([3])
    torch.testing.assert_close(loaded(x, t), net(x, t), rtol=0, atol=0)


# ---------------------------------------------------------------- the resource bound, in a fresh process

_CHILD = """
import io, json, resource, sys, time
sys.path.insert(0, {root!r})
import torch
from diffusion_core import inputs, models
from diffusion_core.topics.playground import core as playground
result = {{}}
if {attack}:
    state = models.EpsMLP(models.ModelConfig()).state_dict()
    state["inp.weight"] = torch.zeros(1).expand(10**9)
    buf = io.BytesIO()
    torch.save({{"format": 1, "config": {{}}, "state_dict": state, "meta": {{}}}}, buf)
    result["bytes"] = len(buf.getvalue())
    start = time.perf_counter()
    try:
        playground.from_checkpoint(buf.getvalue())
    except inputs.InputError as e:
        result["message"] = str(e)
    result["seconds"] = time.perf_counter() - start
# the peak of this interpreter's own memory: on Linux ru_maxrss also counts the parent's memory from before the exec
# (the pytest process, large after the page tests), so read VmHWM, which starts again at the exec
try:
    with open("/proc/self/status") as status:
        result["peak_mb"] = next(int(line.split()[1]) for line in status if line.startswith("VmHWM")) / 2**10
except (OSError, StopIteration):
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (2**20 if sys.platform == "darwin" else 2**10)
print(json.dumps(result))
"""


def _child(attack: bool) -> dict:
    done = subprocess.run([sys.executable, "-c", _CHILD.format(root=str(ROOT), attack=attack)], capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_stride_0_attack_costs_no_memory_and_no_time():
    """The reported file (a 10^9-element stride-0 weight) took 9 to 21 s and a 7 GB peak before issue 15."""
    baseline, attack = _child(False), _child(True)
    assert attack["bytes"] < 100_000
    assert attack["message"] == "The checkpoint's weights do not fit its model config: inp.weight is 1,000,000,000, " \
                                "not 64 x 130."
    assert attack["seconds"] < 2, attack
    assert attack["peak_mb"] < 600 and attack["peak_mb"] - baseline["peak_mb"] < 150, (baseline, attack)
