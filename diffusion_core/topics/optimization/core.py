"""Sampling as optimization: how sample quality grows with the compute spent per sample.

Compute is counted in network evaluations (NFE): one per step for DDPM, DDIM and Euler, two per
step for Heun (one on its last step). Quality is the energy distance to the data, measured on GROUPS
independent groups of CURVE_SAMPLES samples: their mean is the curve, their spread its error bar, and the
same measurement on fresh draws of the data is the floor under which nothing can be told apart. On a
Gaussian mixture the same curves with the exact denoiser show how much of the error is the network's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from ... import metrics, samplers, schedules
from ...denoisers import Denoiser
from ...metrics import mean_and_error
from ..modes.core import report, report_noise

NFE_COUNTS = (1, 2, 5, 10, 20, 50, 100, 250)
SAMPLERS = ("ddpm", "ddim", "euler", "heun")
CURVE_SAMPLES = 400  # samples in a group
GROUPS = 3  # independent groups of samples per point: the mean is drawn, the spread gives the error bar


def steps_for(sampler: str, nfe: int) -> int:
    """Steps that spend about `nfe` network evaluations: Heun needs 2 per step but 1 on the last."""
    return max(1, (nfe + 1) // 2) if sampler == "heun" else nfe


def nfe_of(sampler: str, steps: int) -> int:
    """Network evaluations of a run of `steps` steps."""
    return 2 * steps - 1 if sampler == "heun" else steps


def energy_distance(samples: torch.Tensor, dataset: str, seed: int = 0) -> float:
    """ED to the data: the project's dino yardstick, or Means and modes' report for a mixture."""
    if dataset == "dino":
        return metrics.dino_quality(samples, seed=seed).energy_distance
    return report(samples, dataset, seed).energy_distance


@dataclass(frozen=True)
class Curve:
    nfe: list[int]
    energy_distance: list[float]  # the mean over the groups
    stderr: list[float]  # the standard error of that mean
    groups: list[list[float]]  # each group's value, per budget (the groups start from the same points everywhere)


def group_eds(samples: torch.Tensor, dataset: str, groups: int = GROUPS, seed: int = 0) -> list[float]:
    """The energy distance of each of `groups` equal groups of the samples (rows in order)."""
    return [energy_distance(g, dataset, seed) for g in samples.chunk(groups)]


def floor(dataset: str, n: int = CURVE_SAMPLES, groups: int = GROUPS) -> metrics.NoiseBand:
    """What fresh draws of the data score on the same measurement (the mean over `groups` groups of n): the
    floor of every curve, with the standard error of such a mean."""
    band = metrics.dino_noise(n) if dataset == "dino" else report_noise(dataset, n)
    return metrics.NoiseBand(band.mean, band.std / math.sqrt(groups))


def quality_curve(denoiser: Denoiser, sampler: str, dataset: str, n: int = CURVE_SAMPLES, seed: int = 0,
                  nfe_counts=NFE_COUNTS, schedule: schedules.Schedule | None = None, groups: int = GROUPS) -> Curve:
    """Energy distance at each compute budget over strided steps of the denoiser's schedule (or `schedule`, for
    one that has none): one run of groups * n samples (the same start points at every budget), measured group by
    group."""
    sched = schedule or denoiser.schedule
    nfes, eds, errs, values = [], [], [], []
    for budget in nfe_counts:
        steps = steps_for(sampler, budget)
        x = samplers.sample(denoiser, groups * n, schedules.grid(sched, steps), sampler=sampler, seed=seed)
        values.append(group_eds(x, dataset, groups, seed))
        mean, err = mean_and_error(values[-1])
        nfes.append(nfe_of(sampler, steps))
        eds.append(mean)
        errs.append(err)
    return Curve(nfes, eds, errs, values)


# ---------------------------------------------------------------- sampling as descent on a distance

MOMENTA = (1.0, 1.25, 1.5, 1.75, 2.0, 2.25, 2.5, 2.75, 3.0)  # gamma values of the momentum curve
PAPER_GAMMA = 2.0  # Permenter and Yuan's choice


def half_sq_distance(y: torch.Tensor, points: torch.Tensor, sigma: float) -> torch.Tensor:
    """Half the squared smoothed distance from each y (n, d) to a point set (m, d), shape (n,):

        f_sigma(y) = -sigma^2 log( (1/m) sum_i exp(-|y - p_i|^2 / (2 sigma^2)) ),

    a soft minimum of |y - p_i|^2 / 2 (Permenter and Yuan 2024). It lies between half the squared
    distance to the nearest point and half the mean squared distance, tends to the first as
    sigma -> 0, and its gradient is y - E[x0 | y], the ideal denoiser's step (tested with autograd).
    """
    d2 = torch.cdist(y.double(), points.double()).pow(2)  # (n, m); float64: sigma^2 times a tiny log at large sigma
    near = d2.min(dim=1).values
    if sigma <= 0:
        return (0.5 * near).to(y.dtype)
    lse = torch.logsumexp(-(d2 - near[:, None]) / (2 * sigma**2), dim=1) - math.log(len(points))  # <= 0
    return (0.5 * near - sigma**2 * lse).to(y.dtype)


def smoothed_distance(y: torch.Tensor, points: torch.Tensor, sigma: float) -> torch.Tensor:
    """sqrt(2 f_sigma(y)): the distance the ideal denoiser descends at noise level sigma, shape (n,)."""
    return (2 * half_sq_distance(y, points, sigma)).clamp_min(0).sqrt()


def nearest_distance(y: torch.Tensor, points: torch.Tensor) -> torch.Tensor:
    """Distance from each y (n, d) to its nearest point of the set (m, d), shape (n,); float64 inside, so
    that distances far below the points' spread keep their digits."""
    return torch.cdist(y.double(), points.double()).min(dim=1).values.to(y.dtype)


@dataclass(frozen=True)
class Descent:
    """A run of the descent sampler in the frame y = x_t / sqrt(ab_t) = x0 + sigma eps."""

    sigmas: torch.Tensor  # (S + 1,) noise level of each state, the last one 0
    states: torch.Tensor  # (S + 1, n, d) y at each noise level, from y_T to the sample
    step_sizes: torch.Tensor  # (S,) eta_t = 1 - sigma_{t-1} / sigma_t


def descend(denoiser: Denoiser, y: torch.Tensor, sigmas, gamma: float = 1.0,
            clip_x0: float | None = samplers.X0_CLIP) -> Descent:
    """DDIM as gradient descent on f_sigma, with Permenter and Yuan's momentum (2024, Algorithm 2).

    The denoiser's x0_hat at y gives the gradient g_t = y - x0_hat (exact for the ideal denoiser,
    whose x0_hat is E[x0 | y]); in noise units eps_t = g_t / sigma_t. Each step is

        y_{t-1} = y_t - (1 - sigma_{t-1} / sigma_t) sigma_t eps_bar_t,
        eps_bar_t = gamma eps_t + (1 - gamma) eps_{t+1}   (eps_bar = eps_t on the first step),

    so gamma = 1 is plain gradient descent with step size 1 - sigma_{t-1}/sigma_t, which is DDIM
    exactly, and gamma > 1 extrapolates the change of direction from the previous step: a momentum
    term, gamma = 2 in the paper. It is the DDIM sampler of `samplers` with its `gamma` option; y starts
    at the noise level sigmas[0].
    """
    sig = torch.as_tensor(sigmas, dtype=torch.float64)
    states = [s.x for s in samplers.ddim(denoiser, y, sig, gamma=gamma, clip_x0=clip_x0)]
    return Descent(sig, torch.stack(states), 1 - sig[1:] / sig[:-1])


def descent_samples(denoiser: Denoiser, n: int, steps: int, gamma: float = 1.0, seed: int = 0,
                    schedule: schedules.Schedule | None = None) -> Descent:
    """`descend` from n prior draws of `seed` (the same start points as samplers.sample) over `steps`
    strided steps of the denoiser's schedule (or `schedule`)."""
    sigmas = schedules.grid(schedule or denoiser.schedule, steps)
    g = torch.Generator().manual_seed(seed)
    return descend(denoiser, samplers.prior(n, 2, float(sigmas[0]), g), sigmas, gamma)


@dataclass(frozen=True)
class DistanceTrace:
    """Distances to a point set along a `Descent` of a few samples."""

    sigmas: torch.Tensor  # (S + 1,) noise level of each state, the last one 0
    nearest: torch.Tensor  # (S + 1, k) distance of each state to its nearest point
    smoothed: torch.Tensor  # (S + 1, k) smoothed distance at the state's noise level (nearest at sigma = 0)


def distance_trace(run: Descent, points: torch.Tensor) -> DistanceTrace:
    """Nearest and smoothed distance of every state of `run` to `points` (m, d)."""
    sig = run.sigmas.tolist()
    near = torch.stack([nearest_distance(y, points) for y in run.states])
    smooth = torch.stack([smoothed_distance(y, points, s) for y, s in zip(run.states, sig)])
    return DistanceTrace(run.sigmas, near, smooth)


def momentum_scan(denoiser: Denoiser, dataset: str, steps: int, gammas=MOMENTA, n: int = CURVE_SAMPLES,
                  seed: int = 0, schedule: schedules.Schedule | None = None,
                  groups: int = GROUPS) -> list[list[float]]:
    """The energy distance of each group of descent samples (`groups` groups of n, the same start points for
    every gamma, so the groups pair up across gammas) at each momentum gamma, `steps` steps."""
    return [group_eds(descent_samples(denoiser, groups * n, steps, g, seed, schedule).states[-1], dataset, groups, seed)
            for g in gammas]
