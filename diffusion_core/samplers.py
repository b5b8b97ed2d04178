"""One sampler family over a noise grid: DDPM, DDIM, Euler and Heun, with Permenter and Yuan's momentum.

Every sampler is `sampler(denoiser, x, sigmas, *, generator=None, **options)`: x is the start state at
noise level sigmas[0] in the frame x = x0 + sigma eps (`prior` draws one), `sigmas` the levels to visit,
falling to a final 0 (`schedules.grid` makes them). It yields one `Step(x, x0_hat, sigma)` per level:
the state at that level and the denoiser's answer there, and last the sample itself at sigma = 0. A
page animates any sampler the same way; `Step.vp` is the state in the VP frame x_t, as pages draw it.

One update covers them all (Song et al. 2021, eq. 12, written in sigma as Karras et al. 2022 do):

    eps = (x - x0_hat) / sigma,
    x_next = x0_hat + sigma_down eps + sigma_up z,    z ~ N(0, I),
    sigma_up = eta sigma_next sqrt(1 - sigma_next^2 / sigma^2),  sigma_down = sqrt(sigma_next^2 - sigma_up^2).

eta = 1 is DDPM's ancestral step (Ho et al. 2020, Algorithm 2), eta = 0 is DDIM, which is also Euler's
method on the probability-flow ODE dx/dsigma = (x - D(x; sigma)) / sigma (Song et al. 2021, sec. 4.3;
Karras et al. 2022, eq. 3). Heun corrects each Euler step with a second evaluation at the new level.
`gamma` is the momentum of Permenter and Yuan (2024, Algorithm 2): the step uses
eps_bar = gamma eps + (1 - gamma) eps_prev instead of eps; gamma = 1 is the plain sampler.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Iterator

import torch

from . import schedules
from .denoisers import Denoiser

# x0_hat is clipped to this box, as Ho et al. (2020) clip images to [-1, 1]. Every set in the
# canonical frame lies well inside it; without it, schedules whose alpha_bar_T is ~0 (cosine)
# turn a small eps error at the first step into a huge x0_hat.
X0_CLIP = 4.0


@dataclass
class Step:
    """The state x at noise level sigma, and the denoiser's guess x0_hat = D(x; sigma) there."""

    x: torch.Tensor  # (N, d) in the frame x = x0 + sigma eps
    x0_hat: torch.Tensor  # (N, d); equal to x at sigma = 0, where x is the sample
    sigma: float

    @property
    def vp(self) -> torch.Tensor:
        """The state in the VP frame, x_t = x / sqrt(1 + sigma^2) (schedules.to_vp)."""
        return schedules.to_vp(self.x, self.sigma)


def prior(n: int, dim: int, sigma_max: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """Start points: x_T ~ N(0, I) in the VP frame, at noise level sigma_max: x = x_T sqrt(1 + sigma_max^2).
    Float64: at sigma_max ~ 20,000 a float32 state keeps only ~1e-3 of the data (see `walk`)."""
    return torch.randn(n, dim, generator=generator).double() * math.sqrt(1 + float(sigma_max) ** 2)


def _ancestral(sigma: float, sigma_next: float, eta: float) -> tuple[float, float]:
    """(sigma_up, sigma_down) of one step: the fresh noise and the part of the old noise kept."""
    up = min(sigma_next, eta * sigma_next * math.sqrt(max(0.0, 1 - sigma_next**2 / sigma**2)))
    return up, math.sqrt(max(0.0, sigma_next**2 - up**2))


def walk(denoiser: Denoiser, x: torch.Tensor, sigmas, *, generator: torch.Generator | None = None,
         eta: float = 0.0, heun: bool = False, gamma: float = 1.0,
         clip_x0: float | None = X0_CLIP) -> Iterator[Step]:
    """The sampler loop over the noise levels `sigmas` (falling, the last 0); see the module's docstring."""
    levels = [float(s) for s in sigmas]
    if len(levels) < 2 or levels[-1] != 0 or any(b >= a for a, b in itertools.pairwise(levels)):
        raise ValueError("sigmas must fall strictly and end at 0")
    if heun and eta:
        raise ValueError("Heun's correction is for the deterministic sampler (eta = 0)")
    if heun and gamma != 1:
        raise ValueError("momentum (gamma != 1) is for the one-evaluation steps, not Heun's")

    def denoise(state, sigma):
        x0 = denoiser(state, sigma).double()
        return x0 if clip_x0 is None else x0.clamp(-clip_x0, clip_x0)

    # The loop runs in float64: at sigma ~ 20,000 a float32 state x = x0 + sigma eps keeps only ~1e-3 of x0,
    # and x0_hat = x - sigma eps_hat would cancel it away. The records are float32, like every tensor here.
    dtype, x = torch.float32, x.double()
    eps_prev = None
    for sigma, sigma_next in itertools.pairwise(levels):
        x0_hat = denoise(x, sigma)
        yield Step(x.to(dtype), x0_hat.to(dtype), sigma)
        eps = (x - x0_hat) / sigma
        up, down = _ancestral(sigma, sigma_next, eta)
        x_next = x0_hat + down * eps  # written from x0_hat, not x: no cancellation at sigma ~ 20,000
        if gamma != 1 and eps_prev is not None:  # momentum: (down - sigma)(eps_bar - eps)
            x_next = x_next + (down - sigma) * (1 - gamma) * (eps_prev - eps)
        if heun and sigma_next > 0:
            x_next = _heun(denoise, x, x0_hat, x_next, sigma, sigma_next)
        if up > 0:
            x_next = x_next + up * torch.randn(x.shape, generator=generator).double()
        x, eps_prev = x_next, eps
    yield Step(x.to(dtype), x.to(dtype), 0.0)


def _heun(denoise, x, x0_hat, x_euler, sigma: float, sigma_next: float) -> torch.Tensor:
    """Heun's correction (Karras et al. 2022, Algorithm 1) with the two denoised estimates averaged rather
    than the two slopes (x - D) / sigma: the same second-order method for a smooth D, but a convex
    combination, so it stays stable over the first step of a strided schedule (the cosine schedule's sigma
    falls from about 20,000 to 4 in one of eight steps, where averaging slopes overshoots by thousands).
    No second evaluation on the last step, to sigma = 0."""
    r = sigma_next / sigma
    return r * x + (1 - r) * (x0_hat + denoise(x_euler, sigma_next)) / 2


def ddpm(denoiser: Denoiser, x: torch.Tensor, sigmas, *, generator: torch.Generator | None = None,
         **options) -> Iterator[Step]:
    """DDPM ancestral sampling, Ho et al. 2020 Algorithm 2 (strided when the grid skips steps)."""
    return walk(denoiser, x, sigmas, generator=generator, eta=1.0, **options)


def ddim(denoiser: Denoiser, x: torch.Tensor, sigmas, *, generator: torch.Generator | None = None,
         **options) -> Iterator[Step]:
    """Deterministic DDIM, Song et al. 2021 eq. 12 with eta = 0; gamma > 1 adds Permenter and Yuan's momentum."""
    return walk(denoiser, x, sigmas, generator=generator, eta=0.0, **options)


def euler(denoiser: Denoiser, x: torch.Tensor, sigmas, *, generator: torch.Generator | None = None,
          **options) -> Iterator[Step]:
    """Euler steps along the probability-flow ODE (one network call per step): the DDIM update."""
    return walk(denoiser, x, sigmas, generator=generator, eta=0.0, **options)


def heun(denoiser: Denoiser, x: torch.Tensor, sigmas, *, generator: torch.Generator | None = None,
         **options) -> Iterator[Step]:
    """Heun's second-order steps along the probability-flow ODE (two network calls per step, one on the last)."""
    return walk(denoiser, x, sigmas, generator=generator, eta=0.0, heun=True, **options)


_SAMPLERS = {"ddpm": ddpm, "ddim": ddim, "euler": euler, "heun": heun}
CALLS_PER_STEP = {"ddpm": 1, "ddim": 1, "euler": 1, "heun": 2}  # network evaluations (Heun: one fewer in all)
NAMES = tuple(_SAMPLERS)
LABELS = {"ddpm": "DDPM", "ddim": "DDIM", "euler": "Euler", "heun": "Heun"}


def get(name: str):
    """The sampler called `name`; unknown names raise ValueError listing the valid ones."""
    if name not in _SAMPLERS:
        raise ValueError(f"unknown sampler {name!r}; valid names: {', '.join(NAMES)}")
    return _SAMPLERS[name]


def run(denoiser: Denoiser, n: int, sigmas, *, sampler: str = "ddpm", seed: int = 0, dim: int = 2,
        **options) -> Iterator[Step]:
    """A whole run from n prior draws of `seed` (the generator then drives the sampler's noise)."""
    g = torch.Generator().manual_seed(seed)
    x = prior(n, dim, float(sigmas[0]), g)
    return get(sampler)(denoiser, x, sigmas, generator=g, **options)


def sample(denoiser: Denoiser, n: int, sigmas, *, sampler: str = "ddpm", seed: int = 0, dim: int = 2,
           **options) -> torch.Tensor:
    """Draw n samples end to end with a named sampler; deterministic in seed. Shape (n, dim)."""
    for step in run(denoiser, n, sigmas, sampler=sampler, seed=seed, dim=dim, **options):
        pass
    return step.x


def trajectory(denoiser: Denoiser, n: int, sigmas, *, sampler: str = "ddpm", seed: int = 0, dim: int = 2,
               frame: str = "vp", **options) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The whole run of `sample(...)` with the same seed: states (S + 1, n, d) from the start to the sample
    (the last equals what `sample` returns), in the VP frame x_t (frame="vp") or as x = x0 + sigma eps
    ("ve"); the guesses x0_hat (S, n, d); and the noise levels of the states (S + 1,), the last 0."""
    if frame not in ("vp", "ve"):
        raise ValueError(f"frame must be 'vp' or 've', not {frame!r}")
    steps = list(run(denoiser, n, sigmas, sampler=sampler, seed=seed, dim=dim, **options))
    xs = torch.stack([s.vp if frame == "vp" else s.x for s in steps])
    return xs, torch.stack([s.x0_hat for s in steps[:-1]]), torch.tensor([s.sigma for s in steps], dtype=torch.float64)
