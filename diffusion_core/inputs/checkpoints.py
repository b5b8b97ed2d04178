"""Checkpoints a reader uploads (the Playground): read with weights_only, checked before a network is built.

A checkpoint is bounded by what it costs, not by its bytes: a tensor's size is only declared in the file, so a
78 KB file can hold a stride-0 tensor of 10^12 elements, and the weights_only unpickler still calls the functions it
allows and hashes the keys of the dicts it builds. So, in order: the file's structure (its pickle) may do only what
a checkpoint saved by this app does; its model config must be one the Playground itself offers; every tensor must be
exactly a float32 weight of that network, contiguous and wholly stored in the file, which is checked from its
metadata alone; only then are the values read (NaN check) and copied into a network.
"""

from __future__ import annotations

import io
import math
import pickletools
import struct
import zipfile
from dataclasses import fields

import torch

from .. import models, schedules
from . import (
    CONFIG_LIMITS,
    MAX_CHECKPOINT_BYTES,
    MAX_CHECKPOINT_ELEMENTS,
    MAX_CHECKPOINT_PICKLE_BYTES,
    InputError,
    _check_bytes,
    _preview,
    _size,
)

_NOT_OURS = "The file is not a Grokking Diffusion checkpoint."
_UNSAFE = "The file is not a checkpoint this app can load safely; it is damaged or holds Python objects."
_DAMAGED = "The checkpoint could not be loaded; the file is damaged or was not written by this app."

# What torch.save writes for models.save_checkpoint: dicts, lists, tuples, numbers, text, the state_dict's
# OrderedDict and plain tensors over typed storages. Nothing else may appear in an uploaded file's pickle.
_PICKLE_OPCODES = frozenset({
    "PROTO", "STOP", "MARK", "EMPTY_DICT", "EMPTY_LIST", "EMPTY_TUPLE", "TUPLE", "TUPLE1", "TUPLE2", "TUPLE3",
    "NONE", "NEWTRUE", "NEWFALSE", "BININT", "BININT1", "BININT2", "LONG1", "BINFLOAT", "BINUNICODE",
    "BINPUT", "LONG_BINPUT", "BINGET", "LONG_BINGET", "GLOBAL", "REDUCE", "BUILD", "APPEND", "APPENDS",
    "SETITEM", "SETITEMS", "BINPERSID"})
_PICKLE_GLOBALS = frozenset({"collections OrderedDict", "torch._utils _rebuild_tensor_v2"})  # and torch.*Storage
# Objects a pickle may refer to again (BINGET): a checkpoint of this app's refers again only to these.
_SHAREABLE_OPCODES = frozenset({"GLOBAL", "BINUNICODE", "BININT", "BININT1", "BININT2", "LONG1", "BINFLOAT", "NONE",
                                "NEWTRUE", "NEWFALSE", "EMPTY_TUPLE"})
_IN_PLACE_OPCODES = frozenset({"APPEND", "APPENDS", "SETITEM", "SETITEMS", "BUILD"})  # the result is their target

_META_LIST_ITEMS = 16  # a metadata entry may be a short flat list of numbers (the Playground's centre)


# ---------------------------------------------------------------- the file's structure

def _allowed_global(arg: str) -> bool:
    module, _, name = arg.partition(" ")
    return arg in _PICKLE_GLOBALS or module == "torch" and name.endswith("Storage")


def _check_pickle(record: bytes) -> None:
    """Refuse a pickle that does more than a checkpoint of this app's: torch.load's weights_only unpickler calls
    the functions it allows, some of which convert or allocate (a dtype conversion of a stride-0 tensor of 10^9
    elements takes gigabytes), and hashes dict keys (a tuple nested with shared references hashes in exponential
    time). So only the opcodes and globals such a checkpoint uses may appear, and nothing built (a tuple, list,
    dict, tensor or storage) may be referred to twice: what is built is then a tree no larger than the pickle,
    with text, numbers and globals as its only shared leaves.

    A mirror of the unpickler's stack holds, for each object, only whether it was built (not shareable)."""
    if len(record) > MAX_CHECKPOINT_PICKLE_BYTES:
        raise InputError(f"The checkpoint's structure (apart from its weights) is over "
                         f"{_size(MAX_CHECKPOINT_PICKLE_BYTES)}, far more than this app's checkpoints hold.")
    stack: list[bool] = []  # True: built, so not shareable
    marks: list[list[bool]] = []
    memo: dict[int, bool] = {}
    for op, arg, _ in pickletools.genops(record):
        if op.name not in _PICKLE_OPCODES or op.name == "GLOBAL" and not _allowed_global(arg):
            raise InputError(_UNSAFE)
        if op.name in ("BINPUT", "LONG_BINPUT"):
            memo[arg] = stack[-1]
        elif op.name in ("BINGET", "LONG_BINGET"):
            if memo[arg]:
                raise InputError("The checkpoint's structure refers twice to one list, tuple, dict or tensor, "
                                 "which this app's checkpoints never do.")
            stack.append(False)
        elif op.name == "MARK":
            marks.append(stack)
            stack = []
        else:
            before = op.stack_before
            if pickletools.markobject in before:
                stack = marks.pop()
                before = before[:before.index(pickletools.markobject)]
            if len(stack) < len(before):
                raise InputError(_NOT_OURS)
            built = op.name not in _SHAREABLE_OPCODES
            kind = stack[len(stack) - len(before)] if op.name in _IN_PLACE_OPCODES else built
            del stack[len(stack) - len(before):]
            stack.extend([kind] * len(op.stack_after))


def _check_file(data: bytes, max_bytes: int) -> None:
    """The zip archive torch.save writes, no larger unpacked than `max_bytes`, with a pickle _check_pickle allows."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            unpacked = sum(info.file_size for info in z.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, struct.error) as e:
        raise InputError(_NOT_OURS) from e
    if unpacked > max_bytes:  # torch stores entries uncompressed; a deflated one may be a zip bomb
        raise InputError(f"The checkpoint file unpacks to more than {_size(max_bytes)}.")
    try:  # the reader torch.load uses, so the pickle checked is the one it will read
        record = torch._C.PyTorchFileReader(io.BytesIO(data)).get_record("data.pkl")
    except Exception as e:  # a zip file, but not torch's
        raise InputError(_NOT_OURS) from e
    try:
        _check_pickle(record)
    except InputError:
        raise
    except (ValueError, IndexError, KeyError) as e:  # pickletools on a damaged pickle; a stack or memo out of step
        raise InputError(_NOT_OURS) from e


# ---------------------------------------------------------------- the model config

def _check_config(cfg: object) -> models.ModelConfig:
    """Refuse a config that is malformed or would build a network larger than the Playground's; return it."""
    defaults = {f.name: f.default for f in fields(models.ModelConfig)}
    if not isinstance(cfg, dict):
        raise InputError(_NOT_OURS)
    unknown = [k if isinstance(k, str) else f"a {type(k).__name__}" for k in cfg
               if not isinstance(k, str) or k not in defaults]
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
    if merged["target"] not in models.TARGETS:
        raise InputError(f"The checkpoint's prediction target must be one of: {', '.join(models.TARGETS)}.")
    return models.ModelConfig(**merged)


# ---------------------------------------------------------------- the weights, from their metadata alone

def _expected_shapes(config: models.ModelConfig) -> dict[str, tuple[int, ...]]:
    """The shape of every tensor in models.EpsMLP(config).state_dict(), all float32, computed without building it
    (building on the meta device would import torch._dynamo, 2 s, for FourierFeatures' seeded randn; the tests
    compare this with the network for every kind of config)."""
    d, h, f = config.dim, config.hidden, config.fourier_features
    shapes = {"fourier.B": (d, f)} if f else {}
    shapes |= {"inp.weight": (h, d + 2 * f), "inp.bias": (h,)}
    time_dim = {"none": 0, "linear": 1, "fourier": models.EpsMLP.TIME_DIM}[config.time_input]
    if time_dim:
        shapes["time_proj.weight"] = (h, time_dim)
    for i in range(1, 2 * config.depth - 2, 2):  # net = [SiLU, (Linear, SiLU) * (depth - 1), Linear]
        shapes |= {f"net.{i}.weight": (h, h), f"net.{i}.bias": (h,)}
    shapes |= {f"net.{2 * config.depth - 1}.weight": (d, h), f"net.{2 * config.depth - 1}.bias": (d,)}
    return shapes | ({"label.weight": (config.classes + 1, h)} if config.classes else {})


def _contiguous_strides(shape: tuple[int, ...]) -> tuple[int, ...]:
    strides, step = [], 1
    for n in reversed(shape):
        strides.append(step)
        step *= max(n, 1)
    return tuple(reversed(strides))


def _shape_text(shape: tuple[int, ...]) -> str:
    return " x ".join(f"{n:,}" for n in shape) if len(shape) else "a single number"


def _check_tensor(name: str, v: object, shape: tuple[int, ...]) -> None:
    """Refuse `v` unless it is a plain float32 tensor of `shape` whose values are all in its storage, laid out
    contiguously; nothing here reads a value, so a declared size of 10^12 costs nothing."""
    if type(v) is not torch.Tensor or v.__dict__ or v.layout is not torch.strided or v.device.type != "cpu":
        raise InputError(f"The checkpoint's weight {name} is not a plain tensor.")  # (__dict__ could shadow stride)
    if v.dtype != torch.float32:
        raise InputError(f"The checkpoint's weight {name} is {str(v.dtype).removeprefix('torch.')}; "
                         "this app's weights are float32.")
    if tuple(v.shape) != shape:
        raise InputError(f"The checkpoint's weights do not fit its model config: {name} is "
                         f"{_shape_text(tuple(v.shape))}, not {_shape_text(shape)}.")
    if v.stride() != _contiguous_strides(shape):  # a stride of 0 repeats one stored value everywhere
        raise InputError(f"The checkpoint's weight {name} is not stored as one contiguous block of values.")
    if v.untyped_storage().nbytes() < (v.storage_offset() + v.numel()) * v.element_size():
        raise InputError(f"The checkpoint's weight {name} has more values than the file stores for it.")


def _check_weights(state: dict, config: models.ModelConfig) -> None:
    """Refuse a state_dict that is not exactly the weights of the network `config` builds, each checked by
    _check_tensor, before any value is touched."""
    expected = _expected_shapes(config)
    extra = [k if isinstance(k, str) else f"a {type(k).__name__}" for k in state
             if not isinstance(k, str) or k not in expected]
    if extra:
        raise InputError(f"The checkpoint's weights do not fit its model config: it has no weight "
                         f"'{_preview(extra[0])}'.")
    missing = [k for k in expected if k not in state]
    if missing:
        raise InputError(f"The checkpoint's weights do not fit its model config: {missing[0]} is missing.")
    if sum(math.prod(shape) for shape in expected.values()) > MAX_CHECKPOINT_ELEMENTS:  # CONFIG_LIMITS bound it
        raise InputError("The checkpoint's model is larger than any the Playground trains.")
    for name, shape in expected.items():
        _check_tensor(name, state[name], shape)


# ---------------------------------------------------------------- metadata

def _plain_meta(meta: dict) -> dict:
    """The metadata entries of the kinds this app writes: text keys with a number, a text or a short flat list of
    numbers; anything else (nested lists, dicts, tensors) is dropped unread, never printed or compared."""
    plain = {}
    for k, v in meta.items():
        if type(k) is not str:
            continue
        if (v is None or type(v) in (bool, int, float, str)
                or type(v) in (list, tuple) and len(v) <= _META_LIST_ITEMS and all(type(x) in (int, float) for x in v)):
            plain[k] = v
    return plain


# ---------------------------------------------------------------- reading

def _read(data: bytes, max_bytes: int) -> tuple[models.EpsMLP, dict]:
    _check_file(data, max_bytes)
    try:
        blob = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as e:  # damaged, or it holds Python objects, which weights_only refuses to build
        raise InputError(_UNSAFE) from e
    if not isinstance(blob, dict) or type(blob.get("format")) is not int or blob["format"] != models.CHECKPOINT_FORMAT:
        raise InputError(_NOT_OURS)  # (a tensor as "format" would be compared element by element)
    config = _check_config(blob.get("config"))
    state, meta = blob.get("state_dict"), blob.get("meta", {})
    if not isinstance(state, dict) or not isinstance(meta, dict):
        raise InputError(_NOT_OURS)
    _check_weights(state, config)
    if not all(torch.isfinite(v).all() for v in state.values()):
        raise InputError("The checkpoint's weights contain NaN or infinite values.")
    net = models.EpsMLP(config)
    net.load_state_dict(dict(state))  # a plain dict: the file's OrderedDict may carry attributes of its own
    return net.eval(), _plain_meta(meta)


def read_checkpoint(data: bytes, *, max_bytes: int = MAX_CHECKPOINT_BYTES) -> tuple[models.EpsMLP, dict]:
    """An uploaded checkpoint as (network in eval mode, metadata); never runs pickled code.

    The file must be torch.save's zip format; its size, structure, config and weights are checked (the module's
    docstring) before a network is built. The metadata keeps only entries of plain numbers and text (_plain_meta).
    Every problem with the file raises InputError, an unexpected one too (its cause kept as __cause__); data that
    is not bytes at all is a programming error (TypeError).
    """
    _check_bytes(data, max_bytes, "checkpoint file")
    try:
        return _read(data, max_bytes)
    except InputError:
        raise
    except Exception as e:  # whatever a crafted file makes torch raise is one sentence
        raise InputError(_DAMAGED) from e
