"""Checkpoints a reader uploads (the Playground): read with weights_only, checked before a network is built."""

from __future__ import annotations

import io
import math
import struct
import zipfile
from dataclasses import fields

import torch

from .. import models, schedules
from . import CONFIG_LIMITS, MAX_CHECKPOINT_BYTES, InputError, _check_bytes, _preview, _size

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


