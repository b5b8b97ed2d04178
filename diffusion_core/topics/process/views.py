"""What "The diffusion process" shows, one call per control: plain values in, numpy and numbers out.

The page calls these through its cache (app_cache/process.py); `bench.py` times the same calls.
"""

from __future__ import annotations

import numpy as np
import torch

from ... import datasets, schedules, shipped
from ...denoisers import Denoiser, MixtureDenoiser
from ...mixtures import EmpiricalSet

FORWARD_N, ARROWS = 1000, 150  # noised points drawn, and how many of them carry an arrow
LADDER_SAMPLER, LADDER_STEPS, LADDER_N = "ddpm", 100, 1000  # each rung's samples


def schedule_curves() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """alpha_bar and SNR over the steps of every schedule, {name: (alpha_bar, snr)}."""
    return {name: (schedules.shipped(name).alpha_bar.numpy(), schedules.shipped(name).snr.numpy())
            for name in schedules.NAMES}


def ideal_denoiser(dataset: str, n: int = FORWARD_N, seed: int = 0) -> MixtureDenoiser:
    """The exact denoiser of `dataset`: its Gaussian mixture, or the empirical set of its points (the 142
    dino points the models train on, or n drawn points of another set)."""
    if dataset in datasets.MIXTURES:
        return MixtureDenoiser(datasets.mixture(dataset))
    points = datasets.load("dino") if dataset == "dino" else datasets.load(dataset, n, seed=seed)
    return MixtureDenoiser(EmpiricalSet(points))


def forward(dataset: str, schedule_name: str, t: int, n: int = FORWARD_N, seed: int = 0) -> dict:
    """x_t at 0-based step t for n points of `dataset` (Ho et al. eq. 4), one fixed eps per point so that
    moving t shows each point drift into the noise; the ideal drift E[x0 | x_t] - x_t at the first ARROWS of
    them; alpha_bar_t and SNR(t)."""
    sched = schedules.shipped(schedule_name)
    x0 = datasets.load(dataset, n, seed=seed)
    eps = torch.randn(n, 2, generator=torch.Generator().manual_seed(seed + 1))
    ab = sched.alpha_bar[t]
    x_t = schedules.q_sample(x0, eps, ab)
    x, sigma = schedules.from_vp(x_t[:ARROWS], float(ab))
    drift = ideal_denoiser(dataset, n, seed)(x, sigma) - x_t[:ARROWS]  # E[x0 | x_t] - x_t, exact
    return {"x_t": x_t.numpy(), "origins": x_t[:ARROWS].numpy(), "drift": drift.numpy(), "alpha_bar": float(ab),
            "snr": float(sched.snr[t]), "T": sched.T}


def rung(name: str) -> dict:
    """One rung of the ablation ladder from its shipped weights: samples, energy distance, s2d and the model."""
    return rung_of(shipped.denoiser(name), shipped.info(name))


def rung_of(den: Denoiser, info: dict | None = None) -> dict:
    """A rung's samples and numbers for any denoiser of the ladder (a model trained live has no `info`)."""
    x = shipped.run_of(den, LADDER_SAMPLER, LADDER_STEPS, LADDER_N, 0).samples
    ed, s2d = shipped.quality(x)
    return {"samples": x, "ed": ed, "s2d": s2d, "info": info}


def reverse_paths(sampler: str, steps: int, n: int, seed: int) -> np.ndarray:
    """The states (S + 1, n, 2) of n particles of the shipped dino model, in the VP frame."""
    return shipped.trajectory("dino", sampler, steps, n, seed).states
