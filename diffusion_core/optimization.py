"""Sampling as optimization: how sample quality grows with the compute spent per sample.

Compute is counted in network evaluations (NFE): one per step for DDPM, DDIM and Euler, two per
step for Heun (one on its last step). Quality is the energy distance to the data. On a Gaussian
mixture the same curves with the exact denoiser separate the two errors: what remains with the exact
score is discretisation error; the gap to the network's curve is model error.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from . import metrics, modes, samplers
from .models import Denoiser

NFE_COUNTS = (1, 2, 5, 10, 20, 50, 100, 250, 500)
SAMPLERS = ("ddpm", "ddim", "euler", "heun")
CURVE_SAMPLES = 400


def steps_for(sampler: str, nfe: int) -> int:
    """Steps that spend about `nfe` network evaluations: Heun needs 2 per step but 1 on the last."""
    return max(1, (nfe + 1) // 2) if sampler == "heun" else nfe


def nfe_of(sampler: str, steps: int) -> int:
    """Network evaluations of a run of `steps` steps."""
    return 2 * steps - 1 if sampler == "heun" else steps


def energy_distance(samples: torch.Tensor, dataset: str, seed: int = 0) -> float:
    """ED to the data: the project's dino yardstick, or modes.report's for a mixture."""
    if dataset == "dino":
        return metrics.dino_quality(samples, seed=seed).energy_distance
    return modes.report(samples, dataset, seed).energy_distance


@dataclass(frozen=True)
class Curve:
    nfe: list[int]
    energy_distance: list[float]


def quality_curve(denoiser: Denoiser, sampler: str, dataset: str, n: int = CURVE_SAMPLES, seed: int = 0,
                  nfe_counts=NFE_COUNTS) -> Curve:
    """Energy distance of n samples at each compute budget (same seed, so the same start points)."""
    nfes, eds = [], []
    for budget in nfe_counts:
        steps = steps_for(sampler, budget)
        x = samplers.sample(denoiser, n, sampler=sampler, steps=steps, seed=seed)
        nfes.append(nfe_of(sampler, steps))
        eds.append(energy_distance(x, dataset, seed))
    return Curve(nfes, eds)
