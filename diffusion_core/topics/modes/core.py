"""The computations behind "Means and modes", as pure functions the page caches and the bench times.

- `report`: energy distance to the data and, for a Gaussian mixture, mode coverage.
- `posterior_view`: p(x0 | x_t) in bins for the 1D mixture, its exact mean and a network's guess.
- `mean_paths`: 1D reverse runs with the running guess E[x0 | x_t].

What the page calls (its plain values in, numpy and numbers out) is in `views.py`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import torch

from ... import datasets, metrics, samplers, schedules
from ...denoisers import Denoiser, MixtureDenoiser
from ...mixtures import GaussianMixture, three_modes_1d

# ---------------------------------------------------------------- three generators

REFERENCE_N = 2000  # fresh data points the energy distance compares against


@dataclass(frozen=True)
class Report:
    energy_distance: float
    coverage: metrics.Coverage | None  # None for a set that is not a Gaussian mixture (the dino)


def report(samples: torch.Tensor, dataset: str, seed: int = 0) -> Report:
    """ED of samples against REFERENCE_N fresh points of the data set, both standardised by the
    reference's mean and scale (metrics.standardize), and, for ring8 / two_gaussians, mode coverage."""
    raw, reference, within = _reference(dataset, seed)
    coverage = metrics.mode_coverage(samples, datasets.mixture(dataset)) if dataset in datasets.MIXTURES else None
    finite = samples[torch.isfinite(samples).all(1)]
    if not len(finite):
        return Report(float("inf"), coverage)
    ed = metrics.energy_distance(metrics.standardize(finite.double(), raw), reference, b_within=within)
    return Report(ed, coverage)


@functools.lru_cache(maxsize=8)
def report_noise(dataset: str, n: int, seed: int = 0) -> metrics.NoiseBand:
    """The noise band of `report`'s energy distance for n samples: n fresh draws of the data, standardised the
    same way, against the same reference."""
    raw, reference, within = _reference(dataset, seed)
    return metrics.noise_band(lambda k: metrics.standardize(datasets.load(dataset, n, seed=60_000 + k).double(), raw),
                              reference, within)


@functools.lru_cache(maxsize=8)
def _reference(dataset: str, seed: int) -> tuple[torch.Tensor, torch.Tensor, float]:
    """REFERENCE_N fresh points (float64), their standardised copy and its E|Y - Y'|, computed once."""
    raw = datasets.load(dataset, REFERENCE_N, seed=10_000 + seed).double()
    reference = metrics.standardize(raw, raw)
    return raw, reference, float(metrics.energy_distance_within(reference))


# ---------------------------------------------------------------- the mean that walks onto a mode

BIN_EDGES = torch.linspace(-3.5, 3.5, 141)  # 140 bins of 0.05


@dataclass(frozen=True)
class PosteriorView:
    centres: torch.Tensor  # (B,) bin centres
    posterior: torch.Tensor  # (B,) p(x0 in bin | x_t)
    prior: torch.Tensor  # (B,) p(x0 in bin)
    mean: float  # exact E[x0 | x_t]
    learned_mean: float | None  # the network's x0_hat at x_t, clipped as the samplers clip it, if given
    observed: float  # x = x_t / sqrt(alpha_bar_t), where the likelihood is centred
    sigma: float  # the noise level of step t, sqrt((1 - ab) / ab)


def posterior_view(x_t: float, t: int, schedule: schedules.Schedule, learned: Denoiser | None = None,
                   mixture: GaussianMixture | None = None) -> PosteriorView:
    """The posterior over the clean value given a noisy value x_t at 0-based step t, in bins."""
    mix = mixture if mixture is not None else three_modes_1d()
    x, sigma = schedules.from_vp(torch.tensor([[x_t]]), float(schedule.alpha_bar[t]))
    centres = (BIN_EDGES[1:] + BIN_EDGES[:-1]) / 2
    mean = float(mix.posterior_mean(x, sigma)[0, 0])
    learned_mean = None if learned is None else float(
        learned(x, sigma)[0, 0].clamp(-samplers.X0_CLIP, samplers.X0_CLIP))
    return PosteriorView(centres, mix.bin_probabilities(BIN_EDGES, x[0], sigma), mix.bin_probabilities(BIN_EDGES),
                         mean, learned_mean, float(x[0, 0]), sigma)


PATH_STEPS = 100  # DDPM steps of the 1D runs (strided over the schedule's 1,000)


def exact_denoiser_1d() -> MixtureDenoiser:
    return MixtureDenoiser(three_modes_1d())


def mean_paths(denoiser: Denoiser, n: int, seed: int = 0, steps: int = PATH_STEPS,
               schedule: schedules.Schedule | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """n DDPM runs in 1D on the cosine schedule's steps (or `schedule`'s): 1-based steps (S,), states x_t
    (S + 1, n) and guesses E[x0 | x_t] (S, n)."""
    sched = schedule or schedules.shipped("cosine")
    xs, x0s, _ = samplers.trajectory(denoiser, n, schedules.grid(sched, steps), sampler="ddpm", seed=seed, dim=1)
    return torch.tensor(schedules.timesteps(sched.T, steps)) + 1, xs[..., 0], x0s[..., 0]


def mode_landings(final: torch.Tensor, mixture: GaussianMixture | None = None) -> torch.Tensor:
    """Index of the mode nearest each end point x_0 (1D), shape (n,)."""
    mix = mixture if mixture is not None else three_modes_1d()
    return (final.reshape(-1, 1) - mix.means[:, 0][None, :]).abs().argmin(1)
