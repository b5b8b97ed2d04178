"""Noise-predicting MLPs with Fourier features, and their checkpoints.

The network predicts eps from the VP state x_t and the step t (Ho et al. 2020, eq. 14), or, when its config
says so, x0 or the velocity v = sqrt(alpha_bar) eps - sqrt(1 - alpha_bar) x0 (Salimans and Ho 2022). Samplers
never touch it directly: `denoisers.NetDenoiser` wraps it as x0_hat = D(x; sigma), whatever it predicts.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import BinaryIO

import torch
from torch import nn

from . import schedules

TIME_INPUTS = ("none", "linear", "fourier")
TARGETS = ("eps", "x0", "v")  # what the network outputs and its loss regresses
CHECKPOINT_FORMAT = 1


# ---------------------------------------------------------------- the network

@dataclass(frozen=True)
class ModelConfig:
    """Everything needed to rebuild a denoiser: network shape and the schedule it was trained on."""

    time_input: str = "fourier"  # none | linear (t / T) | fourier (sinusoidal embedding of t)
    fourier_features: int = 64  # random Fourier features of the coordinates; 0 turns them off
    fourier_scale: float = 2.0  # std of the random frequencies, cycles per unit
    hidden: int = 64
    depth: int = 3
    schedule: str = "cosine"
    T: int = 1000
    seed: int = 0  # seeds the random Fourier frequencies
    dim: int = 2  # dimension of the data points (the 1D mixture of "Means and modes" uses 1)
    target: str = "eps"  # eps | x0 | v: what the network predicts (TARGETS)
    classes: int = 0  # class-conditional with this many labels (and one more, the null label); 0: unconditional

    def __post_init__(self):
        if self.time_input not in TIME_INPUTS:
            raise ValueError(f"unknown time input {self.time_input!r}; valid: {', '.join(TIME_INPUTS)}")
        if self.schedule not in schedules.NAMES:
            raise ValueError(f"unknown schedule {self.schedule!r}; valid: {', '.join(schedules.NAMES)}")
        if self.target not in TARGETS:
            raise ValueError(f"unknown target {self.target!r}; valid: {', '.join(TARGETS)}")
        if (self.hidden < 1 or self.depth < 1 or self.fourier_features < 0 or self.T < 2 or self.dim < 1
                or self.classes < 0):
            raise ValueError("hidden, depth and dim must be >= 1, fourier_features and classes >= 0, T >= 2")


class FourierFeatures(nn.Module):
    """Random Fourier features [cos 2 pi x B, sin 2 pi x B], B ~ N(0, scale^2) (Tancik et al. 2020)."""

    def __init__(self, in_dim: int, n_features: int, scale: float, seed: int):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.register_buffer("B", scale * torch.randn(in_dim, n_features, generator=g))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        proj = 2 * math.pi * x @ self.B  # (N, F)
        return torch.cat([proj.cos(), proj.sin()], dim=1)  # (N, 2F)


def time_embedding(t: torch.Tensor, dim: int = 32, max_period: float = 10_000.0) -> torch.Tensor:
    """Sinusoidal embedding of the step index t (Vaswani et al. 2017, as used by Ho et al. 2020)."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float32) / half)
    args = t.float()[:, None] * freqs[None, :]  # (N, half)
    return torch.cat([args.cos(), args.sin()], dim=1)  # (N, dim)


class EpsMLP(nn.Module):
    """MLP eps_theta(x_t, t) for points of config.dim coordinates: raw coordinates, optional Fourier
    features, a time input; with config.classes, also a label y (a learned embedding added like the time's,
    y = classes being the null label of classifier-free guidance, Ho and Salimans 2022)."""

    TIME_DIM = 32

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        dim = self.dim = config.dim
        with torch.random.fork_rng():  # the initial weights are a function of config.seed alone
            torch.manual_seed(config.seed)
            self._build(config, dim)

    def _build(self, config: ModelConfig, dim: int) -> None:
        self.fourier = (FourierFeatures(dim, config.fourier_features, config.fourier_scale, config.seed)
                        if config.fourier_features else None)
        # The first layer acts on [coordinate features, time features]; it is split in two so
        # the time part is computed once per distinct t (a sampler's whole batch shares one t).
        self.inp = nn.Linear(dim + 2 * config.fourier_features, config.hidden)
        time_dim = {"none": 0, "linear": 1, "fourier": self.TIME_DIM}[config.time_input]
        self.time_proj = nn.Linear(time_dim, config.hidden, bias=False) if time_dim else None
        layers: list[nn.Module] = [nn.SiLU()]
        for _ in range(config.depth - 1):
            layers += [nn.Linear(config.hidden, config.hidden), nn.SiLU()]
        layers.append(nn.Linear(config.hidden, dim))
        self.net = nn.Sequential(*layers)
        # built last, so an unconditional network's initial weights do not depend on it
        self.label = nn.Embedding(config.classes + 1, config.hidden) if config.classes else None

    def time_features(self, t: torch.Tensor) -> torch.Tensor:
        """t / T or the sinusoidal embedding of t; shape (N, time_dim)."""
        if self.config.time_input == "linear":
            return ((t.float() + 1) / self.config.T)[:, None]
        return time_embedding(t, self.TIME_DIM)

    def forward(self, x: torch.Tensor, t: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """eps_hat (or the config's target) for x of shape (N, dim) at 0-based steps t, shape (N,) or (1,) for all;
        a conditional network's labels y, shape (N,) or (1,) for all (None: the null label, unconditional)."""
        coords = [x]  # raw coordinates let the net extrapolate where Fourier features cannot
        if self.fourier is not None:
            coords.append(self.fourier(x))
        h = self.inp(torch.cat(coords, dim=1))  # (N, hidden)
        if self.time_proj is not None and t.numel() == 1:
            h = h + self.time_proj(self.time_features(t.reshape(1)))  # (1, hidden) broadcast
        elif self.time_proj is not None:
            t_unique, inverse = torch.unique(t, return_inverse=True)
            h = h + self.time_proj(self.time_features(t_unique))[inverse]
        if self.label is not None:
            y = torch.full((1,), self.config.classes) if y is None else y.reshape(-1)
            h = h + self.label(y.long())
        elif y is not None:
            raise ValueError("this network is unconditional: it takes no label")
        return self.net(h)


# ---------------------------------------------------------------- checkpoints

def save_checkpoint(net: EpsMLP, path: str | Path, meta: dict | None = None) -> None:
    """Save config, weights and metadata as plain tensors and dicts (loadable with weights_only)."""
    config = asdict(net.config)
    for name, default in (("target", "eps"), ("classes", 0)):
        if config[name] == default:  # the default: left out, so versions that predate the setting still read the file
            del config[name]
    torch.save({"format": CHECKPOINT_FORMAT, "config": config,
                "state_dict": net.state_dict(), "meta": dict(meta or {})}, path)


def load_checkpoint(path: str | Path | BinaryIO) -> tuple[EpsMLP, dict]:
    """Load a checkpoint safely (weights_only=True); bad files raise ValueError with the reason.

    `path` may also be an open binary file such as io.BytesIO; messages then say "the file".
    """
    name = path if isinstance(path, (str, Path)) else "the file"
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise
    except Exception as e:  # not a torch file, or it holds pickled objects
        raise ValueError(f"{name} is not a valid checkpoint ({type(e).__name__})") from e
    if not isinstance(blob, dict) or blob.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"{name} is not a Grokking Diffusion checkpoint")
    cfg, state, meta = blob.get("config"), blob.get("state_dict"), blob.get("meta", {})
    if not isinstance(cfg, dict) or set(cfg) - {f.name for f in fields(ModelConfig)}:
        raise ValueError(f"{name} has an unknown model config")
    if not isinstance(state, dict) or not isinstance(meta, dict):
        raise ValueError(f"{name} is not a Grokking Diffusion checkpoint")
    try:
        net = EpsMLP(ModelConfig(**cfg))
    except (TypeError, ValueError) as e:  # a field of the wrong type or out of range
        raise ValueError(f"{name} has an invalid model config ({e})") from e
    try:
        net.load_state_dict(state)
    except (RuntimeError, KeyError, TypeError) as e:
        raise ValueError(f"{name} has weights of the wrong shape for its config") from e
    return net.eval(), dict(meta)
