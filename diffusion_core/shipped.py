"""What the pages ask of the shipped models: each loaded once, its description, and its sampler runs.

The models are the files of `pretrained/`; a loaded network is wrapped as a denoiser D(x; sigma) and kept
(at most `KEEP` of them, every shipped model fits). Runs return numpy arrays, so a page can cache them.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import torch

from . import metrics, pretrained, samplers, schedules
from .denoisers import NetDenoiser
from .topics.flow.core import FlowDenoiser

KEEP = 96  # shipped networks held at once; there are 79 (54 of them "Where the loss comes from"'s, 80 KB each)


@functools.lru_cache(maxsize=KEEP)
def denoiser(name: str) -> NetDenoiser | FlowDenoiser:
    """The shipped network `name` (pretrained.RECIPES), loaded once, as a denoiser (a velocity network's too)."""
    return pretrained.denoiser_of(name, pretrained.load(name)[0])


def info(name: str) -> dict:
    """Title, size (params, depth, hidden), schedule, T and the training record (steps, seconds) of a model."""
    net, meta = pretrained.load(name)
    return {"title": pretrained.RECIPES[name].title, "params": sum(p.numel() for p in net.parameters()),
            "depth": net.config.depth, "hidden": net.config.hidden, "schedule": net.config.schedule,
            "T": net.config.T, "alpha_bar_T": float(schedules.make(net.config.schedule, net.config.T).alpha_bar[-1]),
            **meta}


@dataclass(frozen=True)
class Run:
    """A reverse run drawn in the VP frame, from pure noise x_T to the samples."""

    states: np.ndarray  # (S + 1, n, d) the states x_t, the last one the samples
    guesses: np.ndarray  # (S, n, d) x0_hat made from states[i]
    sigmas: np.ndarray  # (S + 1,) noise level of each state, the last 0
    steps: list[int]  # (S + 1,) the 1-based step t of each state, 0 for the samples

    @property
    def samples(self) -> np.ndarray:
        return self.states[-1]


def run_of(den, sampler: str, steps: int | None, n: int, seed: int = 0, dim: int = 2, **options) -> Run:
    """`steps` strided steps of the denoiser's own schedule with a named sampler, from n prior draws of seed."""
    sigmas = schedules.grid(den.schedule, steps)
    xs, x0s, sig = samplers.trajectory(den, n, sigmas, sampler=sampler, seed=seed, dim=dim, **options)
    t = schedules.timesteps(den.schedule.T, steps)
    return Run(xs.numpy(), x0s.numpy(), sig.numpy(), [i + 1 for i in t] + [0])


def trajectory(name: str, sampler: str, steps: int | None, n: int, seed: int = 0) -> Run:
    """A whole reverse run of a shipped model; same seed, same run as the command line's `sample`."""
    return run_of(denoiser(name), sampler, steps, n, seed)


def quality(samples: np.ndarray, seed: int = 0) -> tuple[float, float]:
    """(energy distance, s2d) of samples of a dino model against the project's yardstick (metrics.dino_quality)."""
    q = metrics.dino_quality(torch.as_tensor(samples), seed=seed)
    return q.energy_distance, q.sample_to_data
