"""Reverse-process samplers with one signature: DDPM, DDIM, and Euler and Heun on the probability-flow ODE.

Every sampler is `sampler(denoiser, x, steps=None, *, generator=None, **options)`: it starts from
x (the state at the noisiest step, usually `prior(...)`), visits `steps` of the denoiser's T
steps from noisiest to cleanest, and yields a `Step(x, x0_hat, t, sigma)` after each update,
so a page animates any sampler the same way. Same generator seed, same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import torch

from .models import Denoiser, eps_to_x0, x0_to_eps

# x0_hat is clipped to this box, as Ho et al. (2020) clip images to [-1, 1]. Every set in the
# canonical frame lies well inside it; without it, schedules whose alpha_bar_T is ~0 (cosine)
# turn a small eps error at the first DDIM step into a huge x0_hat.
X0_CLIP = 4.0


@dataclass
class Step:
    """One reverse step: the new state x, the prediction x0_hat made at step t, and sigma_t."""

    x: torch.Tensor  # (N, d) state after the update
    x0_hat: torch.Tensor  # (N, d) prediction of the clean data at step t
    t: int  # 0-based step index the update started from
    sigma: float  # noise std sqrt(1 - alpha_bar_t) at that step


def prior(n: int, dim: int = 2, generator: torch.Generator | None = None) -> torch.Tensor:
    """Start points x_T ~ N(0, I), shape (n, dim)."""
    return torch.randn(n, dim, generator=generator)


def timesteps(T: int, steps: int | None) -> list[int]:
    """`steps` 0-based step indices from T - 1 down to 0, evenly spaced (all T when None)."""
    if steps is None or steps >= T:
        return list(range(T - 1, -1, -1))
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    idx = torch.linspace(T - 1, 0, steps).round().long().tolist()
    return sorted(set(idx), reverse=True)


def generalized(denoiser: Denoiser, x: torch.Tensor, steps: int | None = None, *,
                eta: float = 0.0, clip_x0: float | None = X0_CLIP,
                generator: torch.Generator | None = None) -> Iterator[Step]:
    """Generalised DDIM update, Song et al. 2021 eq. 12: eta = 0 is DDIM, eta = 1 is DDPM.

    eps is recomputed from the clipped x0_hat so that the update stays consistent.
    """
    ab = denoiser.alpha_bar  # (T,)
    ts = timesteps(denoiser.schedule.T, steps)
    for i, t in enumerate(ts):
        ab_t = ab[t]
        ab_prev = ab[ts[i + 1]] if i + 1 < len(ts) else torch.tensor(1.0)
        eps = denoiser.eps(x, t)
        x0_hat = eps_to_x0(x, eps, ab_t)
        if clip_x0 is not None:
            x0_hat = x0_hat.clamp(-clip_x0, clip_x0)
            eps = x0_to_eps(x, x0_hat, ab_t)
        # sigma_t(eta) of eq. 16: the posterior std of q(x_prev | x_t, x0) when eta = 1
        s = eta * ((1 - ab_prev) / (1 - ab_t) * (1 - ab_t / ab_prev)).clamp_min(0).sqrt()
        x = ab_prev.sqrt() * x0_hat + (1 - ab_prev - s**2).clamp_min(0).sqrt() * eps
        if s > 0:
            x = x + s * torch.randn(x.shape, generator=generator)
        yield Step(x, x0_hat, t, float((1 - ab_t).sqrt()))


def ddpm(denoiser: Denoiser, x: torch.Tensor, steps: int | None = None, *,
         generator: torch.Generator | None = None, **options) -> Iterator[Step]:
    """DDPM ancestral sampling, Ho et al. 2020 Algorithm 2 (strided when steps < T)."""
    return generalized(denoiser, x, steps, eta=1.0, generator=generator, **options)


def ddim(denoiser: Denoiser, x: torch.Tensor, steps: int | None = None, *,
         generator: torch.Generator | None = None, **options) -> Iterator[Step]:
    """Deterministic DDIM, Song et al. 2021 eq. 12 with eta = 0."""
    return generalized(denoiser, x, steps, eta=0.0, generator=generator, **options)


def _ode(denoiser: Denoiser, x: torch.Tensor, steps: int | None, heun: bool, clip_x0: float | None
         ) -> Iterator[Step]:
    """The probability-flow ODE in the VE frame, dx / dsigma = (x - D(x; sigma)) / sigma (Karras et al.
    2022, eq. 3 with their schedule sigma(t) = t), from sigma_T down to the smallest sigma and then to 0.

    D is the denoiser's x0_hat, read in the VP frame at x_t = sqrt(ab) x. States are yielded in the VP
    frame (x_t = sqrt(ab_prev) x), so a page draws them like the other samplers'. An Euler step is the
    same update as DDIM (Song et al. 2021, sec. 4.3). Heun's second-order correction (Karras et al. 2022,
    Algorithm 1) evaluates D again at the Euler point and uses the average of the two, except on the
    last step to sigma = 0. It averages the two denoised estimates D rather than the two slopes
    (x - D) / sigma: the same second-order method for a smooth D, but a convex combination, so it stays
    stable over the first step of a strided schedule (the cosine schedule's sigma falls from about
    20,000 to 4 in one of eight steps, where averaging slopes overshoots by a factor of thousands).
    """
    ab = denoiser.alpha_bar
    ts = timesteps(denoiser.schedule.T, steps)
    sig = ((1 - ab) / ab).sqrt()  # (T,) VE noise level of each step

    def denoised(x_ve, t):
        x0 = denoiser.x0_hat(ab[t].sqrt() * x_ve, t)
        return x0.clamp(-clip_x0, clip_x0) if clip_x0 is not None else x0

    x_ve = x / ab[ts[0]].sqrt()
    for i, t in enumerate(ts):
        nxt = ts[i + 1] if i + 1 < len(ts) else None
        r = sig[nxt] / sig[t] if nxt is not None else torch.tensor(0.0)  # sigma_next / sigma
        x0_hat = denoised(x_ve, t)
        x_new = r * x_ve + (1 - r) * x0_hat  # Euler: x + (sigma_next - sigma) (x - D) / sigma
        if heun and nxt is not None:
            x_new = r * x_ve + (1 - r) * (x0_hat + denoised(x_new, nxt)) / 2
        x_ve = x_new
        x_vp = x_ve * (ab[nxt].sqrt() if nxt is not None else 1.0)
        yield Step(x_vp, x0_hat, t, float((1 - ab[t]).sqrt()))


def euler(denoiser: Denoiser, x: torch.Tensor, steps: int | None = None, *,
          generator: torch.Generator | None = None, clip_x0: float | None = X0_CLIP) -> Iterator[Step]:
    """Euler steps along the probability-flow ODE (one network call per step)."""
    return _ode(denoiser, x, steps, False, clip_x0)


def heun(denoiser: Denoiser, x: torch.Tensor, steps: int | None = None, *,
         generator: torch.Generator | None = None, clip_x0: float | None = X0_CLIP) -> Iterator[Step]:
    """Heun's second-order steps along the probability-flow ODE (two network calls per step, one on the last)."""
    return _ode(denoiser, x, steps, True, clip_x0)


_SAMPLERS = {"ddpm": ddpm, "ddim": ddim, "euler": euler, "heun": heun}
CALLS_PER_STEP = {"ddpm": 1, "ddim": 1, "euler": 1, "heun": 2}  # network evaluations (Heun: one fewer in all)
NAMES = tuple(_SAMPLERS)


def get(name: str):
    """The sampler called `name`; unknown names raise ValueError listing the valid ones."""
    if name not in _SAMPLERS:
        raise ValueError(f"unknown sampler {name!r}; valid names: {', '.join(NAMES)}")
    return _SAMPLERS[name]


def sample(denoiser: Denoiser, n: int, *, sampler: str = "ddpm", steps: int | None = None,
           seed: int = 0, dim: int = 2) -> torch.Tensor:
    """Draw n samples end to end with a named sampler; deterministic in seed. Shape (n, dim)."""
    g = torch.Generator().manual_seed(seed)
    x = prior(n, dim, g)
    for step in get(sampler)(denoiser, x, steps, generator=g):
        x = step.x
    return x


def trajectory(denoiser: Denoiser, n: int, *, sampler: str = "ddpm", steps: int | None = None,
               seed: int = 0, dim: int = 2) -> tuple[torch.Tensor, torch.Tensor, list[int]]:
    """The whole run of `sample(...)` with the same seed: states (S + 1, n, d) from x_T to x_0
    (the last equals what `sample` returns), x0_hat (S, n, d), and the step indices."""
    g = torch.Generator().manual_seed(seed)
    x = prior(n, dim, g)
    xs, x0s, ts = [x], [], []
    for step in get(sampler)(denoiser, x, steps, generator=g):
        xs.append(step.x)
        x0s.append(step.x0_hat)
        ts.append(step.t)
    return torch.stack(xs), torch.stack(x0s), ts
