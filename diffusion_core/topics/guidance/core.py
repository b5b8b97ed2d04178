"""Classifier-free guidance (Ho and Salimans 2022) on the Datasaurus Dozen: a dial from means to modes.

One network answers both questions, "what is x0 given x" (the unconditional denoiser D_u, its null label) and
"what is x0 given x and the class c" (D_c). The guided denoiser extrapolates from the first through the second,

    D_w = D_u + w (D_c - D_u),        equivalently  eps_w = eps_u + w (eps_c - eps_u),

(eps and D are affine in each other at fixed x and sigma), and its score is

    (1 - w) grad log p_sigma(x) + w grad log p_sigma(x | c) = grad log p_sigma(x) + w grad log p_sigma(c | x),

the score of p_sigma(x) p_sigma(c | x)^w up to normalisation: w = 0 is the unconditional model, w = 1 the
conditional one, and w > 1 sharpens the class posterior, so samples move to where the class is most certain. That
tilted density is only ever exact at each noise level separately: the family p_sigma(x) p_sigma(c | x)^w is not the
noising of one distribution, so a sampler that follows its scores does not sample p_0(x) p_0(c | x)^w
(Chidambaram et al. 2024; Bradley and Nakkiran 2024). With the exact denoisers of 13 finite sets of points the gap is
measurable: no two sets share a point, so p_0(c | x) is 1 on the chosen shape's points and p_0(x) p_0(c | x)^w is
that shape for every w, while the guided sampler's output changes with w.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ... import datasets
from ...denoisers import Denoiser, MixtureDenoiser, NetDenoiser
from ...metrics import energy_distance, nearest_distances
from ...mixtures import EmpiricalSet
from ...models import EpsMLP

COVER_RADIUS = 0.1  # canonical units (the data's std is 1): a shape's point is covered by a sample this near it


class GuidedDenoiser(Denoiser):
    """D_w(x; sigma) = D_u + w (D_c - D_u): classifier-free guidance at scale w, from an unconditional and a
    conditional denoiser. w is one number, or one per row of the states it will be asked about (a batch that runs
    several guidance scales at once). A number w = 0 or w = 1 returns the unconditional or the conditional answer."""

    def __init__(self, uncond: Denoiser, cond: Denoiser, w: float | torch.Tensor):
        self.uncond, self.cond = uncond, cond
        self.w = w.double().reshape(-1, 1) if isinstance(w, torch.Tensor) else float(w)
        self.schedule = getattr(cond, "schedule", None)

    def __call__(self, x: torch.Tensor, sigma) -> torch.Tensor:
        if isinstance(self.w, float) and self.w in (0.0, 1.0):
            return (self.cond if self.w else self.uncond)(x, sigma)
        u = self.uncond(x, sigma)
        w = self.w if isinstance(self.w, float) else self.w.to(u.dtype)
        return u + w * (self.cond(x, sigma) - u)


def exact_pair(shape: str) -> tuple[MixtureDenoiser, MixtureDenoiser]:
    """The ideal unconditional denoiser (all 1,846 points of the Dozen) and the ideal conditional one (the shape's
    142): the exact E[x0 | x] and E[x0 | x, c], with no training error."""
    return (MixtureDenoiser(EmpiricalSet(datasets.DOZEN_POINTS)),
            MixtureDenoiser(EmpiricalSet(datasets.dozen_shape(shape))))


def learned_pair(net: EpsMLP, shape: str) -> tuple[NetDenoiser, NetDenoiser]:
    """A class-conditional network's unconditional (null label) and conditional denoisers for a shape."""
    return NetDenoiser(net), NetDenoiser(net, label=datasets.DOZEN_NAMES.index(shape))


def class_posterior(x: torch.Tensor, sigma: float, shape: str) -> torch.Tensor:
    """p_sigma(c | x) for the Dozen with equal class weights: the share of the noised density at x that comes from
    the shape's points (each of the 1,846 points a Gaussian of width sigma); shape (N,)."""
    resp = EmpiricalSet(datasets.DOZEN_POINTS).responsibilities(x.float(), sigma)  # (N, 1846)
    return resp[:, datasets.DOZEN_LABELS == datasets.DOZEN_NAMES.index(shape)].sum(1)


@dataclass(frozen=True)
class Trade:
    """What guidance buys and what it costs, for samples of one shape (canonical units).

    fidelity: the mean distance from a sample to its nearest point of the shape (lower: samples sit on the shape);
    coverage: the share of the shape's points with a sample within COVER_RADIUS (higher: the whole shape is drawn);
    energy: the energy distance between the samples and the uniform distribution on the shape's points (about 0
        for samples of it);
    off: the share of samples farther than COVER_RADIUS from every point of the shape (they left the shape).
    """

    fidelity: float
    coverage: float
    energy: float
    off: float


def trade(samples: torch.Tensor, shape_points: torch.Tensor, radius: float = COVER_RADIUS) -> Trade:
    """The Trade of samples (n, 2) against a shape's points (m, 2); non-finite samples count as off the shape."""
    finite = samples[torch.isfinite(samples).all(1)].double()
    if not len(finite):
        return Trade(float("inf"), 0.0, float("inf"), 1.0)
    to_shape = nearest_distances(finite, shape_points)  # (n,)
    to_samples = nearest_distances(shape_points, finite)  # (m,)
    off = 1 - float((to_shape <= radius).sum()) / len(samples)
    # the shape is a distribution on its m points: E|Y - Y'| over all m^2 pairs, its own zero distances included
    within = float(torch.cdist(shape_points.double(), shape_points.double()).mean())
    return Trade(float(to_shape.mean()), float((to_samples <= radius).float().mean()),
                 energy_distance(finite, shape_points, b_within=within), off)


def isolation(samples: torch.Tensor, shape_points: torch.Tensor, others: torch.Tensor) -> float:
    """How far from the other shapes the samples land: the mean, over the samples, of the distance from the shape's
    point nearest the sample to the nearest point of any other shape (`others`). For the shape's own points in
    place of samples, the shape's mean isolation."""
    finite = samples[torch.isfinite(samples).all(1)].double()
    if not len(finite):
        return float("nan")
    apart = torch.cdist(shape_points.double(), others.double()).min(1).values  # (m,) each point's isolation
    return float(apart[torch.cdist(finite, shape_points.double()).argmin(1)].mean())


def perfect_draws(shape_points: torch.Tensor, n: int, seed: int) -> torch.Tensor:
    """n draws of the distribution a model of the shape is trained on: its points, resampled, with the dino's
    jitter (datasets.DINO_JITTER): what a perfect sampler returns, for the noise floor of every Trade number."""
    g = torch.Generator().manual_seed(90_000 + seed)
    idx = torch.randint(len(shape_points), (n,), generator=g)
    return shape_points[idx] + datasets.DINO_JITTER * torch.randn(n, 2, generator=g)
