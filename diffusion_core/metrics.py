"""Sample-quality measures: energy distance, distance to the data, mode coverage."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import torch

from . import datasets
from .mixtures import GaussianMixture


def mean_and_error(values) -> tuple[float, float]:
    """The mean of independent measurements and its standard error (0 for a single one)."""
    v = torch.tensor(list(values), dtype=torch.float64)
    return float(v.mean()), float(v.std() / math.sqrt(len(v))) if len(v) > 1 else 0.0


def standardize(points: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
    """Shift by the reference's mean and divide by its pooled std (one isotropic scale)."""
    centre = reference.mean(0)
    scale = (reference - centre).pow(2).mean().sqrt()
    return (points - centre) / scale


def _mean_within(a: torch.Tensor, chunk: int = 1024) -> torch.Tensor:
    """E|X - X'| over distinct pairs (the zero diagonal excluded), in row blocks to bound memory."""
    n = len(a)
    total = sum(torch.cdist(a[i:i + chunk], a).sum() for i in range(0, n, chunk))
    return total / max(n * (n - 1), 1)


def energy_distance_within(a: torch.Tensor) -> torch.Tensor:
    """E|X - X'| over distinct pairs of the rows of a: the within-set term of the energy distance."""
    return _mean_within(a.double())


def energy_distance(a: torch.Tensor, b: torch.Tensor, b_within: float | None = None) -> float:
    """Energy distance 2 E|X - Y| - E|X - X'| - E|Y - Y'| (Szekely and Rizzo 2013).

    The unbiased U-statistic: within-set means skip the zero self-distances, so two samples of
    one distribution score about 0 at any sample size (the V-statistic adds about
    E|X - X'| (1/n + 1/m), 0.003 for 1,000 dino points against 1,000).
    `b_within`, E|Y - Y'| of b if already known, saves recomputing it for a fixed reference.
    """
    a, b = a.double(), b.double()
    within_b = _mean_within(b) if b_within is None else b_within
    return float(2 * torch.cdist(a, b).mean() - _mean_within(a) - within_b)


def nearest_distances(a: torch.Tensor, b: torch.Tensor, chunk: int = 4096) -> torch.Tensor:
    """For each row of a, the Euclidean distance to its nearest row of b; shape (len(a),)."""
    return torch.cat([torch.cdist(a[i:i + chunk].double(), b.double()).min(1).values
                      for i in range(0, len(a), chunk)]).float()


@dataclass(frozen=True)
class Quality:
    """Energy distance and mean sample-to-data distance, both in the standardised frame."""

    energy_distance: float
    sample_to_data: float


def _finite_rows(samples: torch.Tensor) -> torch.Tensor:
    """The samples whose coordinates are all finite (a diverged sampler leaves inf or NaN)."""
    return samples[torch.isfinite(samples).all(1)]


def quality(samples: torch.Tensor, data: torch.Tensor) -> Quality:
    """ED and s2d of samples against data, after standardising both by the data's mean and scale."""
    s = _finite_rows(samples)
    if not len(s):
        return Quality(float("inf"), float("inf"))
    s, d = standardize(s, data), standardize(data, data)
    return Quality(energy_distance(s, d), float(nearest_distances(s, d).mean()))


@dataclass(frozen=True)
class Coverage:
    """Share of samples near each mixture component, next to the component weights."""

    shares: torch.Tensor  # (K,) fraction of all samples near component k
    weights: torch.Tensor  # (K,) true weights
    off_mode: float  # fraction of samples near no component

    @property
    def modes_hit(self) -> int:
        """Components that received at least a quarter of their fair share."""
        return int((self.shares >= 0.25 * self.weights).sum())

    @property
    def max_error(self) -> float:
        return float((self.shares - self.weights).abs().max())


def mode_coverage(samples: torch.Tensor, mixture: GaussianMixture, radius: float = 3.0) -> Coverage:
    """Assign each sample to its nearest component if within `radius` of that component's stds.

    A sample with a NaN or infinite coordinate is near no component (it counts in `off_mode`).
    """
    if (mixture.stds <= 0).any():
        raise ValueError("mode coverage needs components of positive width (not an empirical set)")
    finite = samples[torch.isfinite(samples).all(1)].float()
    d = torch.cdist(finite, mixture.means) / mixture.stds[None, :]  # (N, K) in stds
    nearest = d.argmin(1)
    near = d.gather(1, nearest[:, None]).squeeze(1) <= radius
    counts = torch.bincount(nearest[near], minlength=len(mixture)).float()
    n = max(len(samples), 1)
    return Coverage(counts / n, mixture.weights.clone(), float(1 - counts.sum() / n) if len(samples) else 1.0)


DINO_REFERENCE_N = 5000


def dino_quality(samples: torch.Tensor, seed: int = 0, n_reference: int = DINO_REFERENCE_N) -> Quality:
    """The project's dino yardstick in the canonical (standardised) frame.

    ED of 1,000 or so samples against a fresh draw of `n_reference` jittered dino points
    (U-statistic, unbiased; how much fresh data points score at a sample size is `dino_noise`); s2d, the
    mean distance from each sample to its nearest of the 142 points (data: 0.0125, its jitter).
    """
    s = _finite_rows(samples)
    if not len(s):
        return Quality(float("inf"), float("inf"))
    reference, within = _dino_reference(seed, n_reference)
    return Quality(energy_distance(s, reference, b_within=within),
                   float(nearest_distances(s, datasets.DINO_POINTS).mean()))


@functools.lru_cache(maxsize=4)
def _dino_reference(seed: int, n: int) -> tuple[torch.Tensor, float]:
    """The yardstick's reference draw and its E|Y - Y'|, computed once per (seed, n)."""
    reference = datasets.load("dino", n, seed=10_000 + seed).double()
    return reference, float(_mean_within(reference))


# ---------------------------------------------------------------- the estimate's own noise

NOISE_DRAWS = 12  # fresh draws that measure the spread of the energy distance of perfect samples


@dataclass(frozen=True)
class NoiseBand:
    """What the energy distance of n fresh draws of the data itself comes to against the same reference:
    a mean and one standard deviation. A model whose samples score inside mean + 2 std is as good as the
    estimate can tell (`within`)."""

    mean: float
    std: float

    @property
    def top(self) -> float:
        return self.mean + 2 * self.std

    def within(self, ed: float) -> bool:
        return ed <= self.top


def noise_band(draw, reference: torch.Tensor, within: float, draws: int = NOISE_DRAWS) -> NoiseBand:
    """The NoiseBand of `draw(k)` (fresh data, k = 0, 1, ...) against `reference` (its E|Y - Y'| is `within`)."""
    eds = torch.tensor([energy_distance(draw(k), reference, b_within=within) for k in range(draws)])
    return NoiseBand(float(eds.mean()), float(eds.std()))


@functools.lru_cache(maxsize=8)
def dino_noise(n: int, seed: int = 0) -> NoiseBand:
    """The NoiseBand of the dino yardstick (`dino_quality`) for n samples."""
    reference, within = _dino_reference(seed, DINO_REFERENCE_N)
    return noise_band(lambda k: datasets.load("dino", n, seed=50_000 + k).double(), reference, within)


def resampled_noise(data: torch.Tensor, n: int, seed: int = 0) -> NoiseBand:
    """The noise band of `quality`'s energy distance for n samples when the data is a finite set of points
    (a reader's): n points resampled from the set, against the set, both standardised by it. Resamples repeat
    the set's own points, so this is a lower bound on the noise of truly fresh draws."""
    reference = standardize(data.double(), data.double())
    within = float(_mean_within(reference))
    g = torch.Generator().manual_seed(70_000 + seed)
    return noise_band(lambda k: reference[torch.randint(len(reference), (n,), generator=g)], reference, within)


# ---------------------------------------------------------------- memorization

COPY_FACTOR = 0.1  # a copy is this many times closer to a training point than a typical fresh draw


@dataclass(frozen=True)
class Memorization:
    """How close samples sit to the training set, next to fresh draws from the same distribution."""

    sample_distances: torch.Tensor  # (n,) each sample's distance to its nearest training point
    fresh_distances: torch.Tensor  # (m,) the same for fresh data never trained on
    radius: float  # the copy radius: COPY_FACTOR times the median of fresh_distances

    @property
    def copy_share(self) -> float:
        """Share of samples closer than `radius` to a training point."""
        return float((self.sample_distances < self.radius).float().mean())

    @property
    def fresh_share(self) -> float:
        """The same share for fresh data: what chance alone gives."""
        return float((self.fresh_distances < self.radius).float().mean())


def memorization(samples: torch.Tensor, train: torch.Tensor, fresh: torch.Tensor,
                 factor: float = COPY_FACTOR) -> Memorization:
    """Nearest-training-point distances of samples and of fresh data, and the share of copies.

    A sample counts as a copy when it is `factor` times closer to some training point than the
    median fresh draw is to its nearest one: a radius that shrinks as the training set grows
    denser. Fresh data then scores about 1% on ring8 from N = 10 up; with a handful of points
    the radius nears a mode's own width and chance alone scores more (10% at N = 5).
    Non-finite samples count as non-copies (their distance is inf).
    """
    s = samples.float()
    finite = torch.isfinite(s).all(1)
    d = torch.full((len(s),), float("inf"))
    if finite.any():
        d[finite] = nearest_distances(s[finite], train)
    f = nearest_distances(fresh, train)
    return Memorization(d, f, factor * float(f.median()))
