"""Regurgitation: samples of a network and of the ideal denoiser of its training set, and how close they sit
to the training points (the "Regurgitation" page; what it shows, per control, is in `views.py`)."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ... import datasets, metrics, samplers, schedules
from ...denoisers import Denoiser, MixtureDenoiser
from ...mixtures import EmpiricalSet

MEMO_SAMPLES, MEMO_FRESH, MEMO_STEPS = 500, 2000, 50


@dataclass(frozen=True)
class MemorizationRun:
    train: torch.Tensor  # (N, 2) the training set
    network_samples: torch.Tensor  # (n, 2)
    ideal_samples: torch.Tensor  # (n, 2) samples of the ideal denoiser of the training set
    network: metrics.Memorization
    ideal: metrics.Memorization


def memorization_run(network: Denoiser, n_train: int, seed: int = 0, n: int = MEMO_SAMPLES,
                     steps: int = MEMO_STEPS, dataset: str = "ring8",
                     schedule: schedules.Schedule | None = None) -> MemorizationRun:
    """Sample the network and the ideal denoiser of its training set (same grid, seed and sampler)."""
    train = datasets.memorization_set(n_train, dataset)
    fresh = datasets.load(dataset, MEMO_FRESH, seed=20_000 + seed)
    sigmas = schedules.grid(schedule or network.schedule, steps)
    x_net = samplers.sample(network, n, sigmas, sampler="ddpm", seed=seed)
    x_ideal = samplers.sample(MixtureDenoiser(EmpiricalSet(train)), n, sigmas, sampler="ddpm", seed=seed)
    return MemorizationRun(train, x_net, x_ideal, metrics.memorization(x_net, train, fresh),
                           metrics.memorization(x_ideal, train, fresh))
