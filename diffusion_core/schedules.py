"""Discrete noise schedules, the one language for noise levels, and noise grids for samplers.

The forward process is x_t = sqrt(alpha_bar_t) x0 + sqrt(1 - alpha_bar_t) eps (Ho et al. 2020,
eq. 4). Divided by sqrt(alpha_bar_t) it reads x = x_t / sqrt(alpha_bar_t) = x0 + sigma eps, the
"variance exploding" frame of Karras et al. (2022, eq. 2), with

    sigma = sqrt((1 - alpha_bar) / alpha_bar),      alpha_bar = 1 / (1 + sigma^2).

In this project **sigma always means that noise level**, in code and on every page. The standard
deviation of the noise inside x_t, sqrt(1 - alpha_bar), is called `noise_std`. Arrays are indexed
by t - 1, so index 0 is the first, least noisy step.

- linear: betas linear from 1e-4 to 0.02 at T = 1000 (Ho et al. 2020), rescaled by
  1000 / T for other T so that x_T stays pure noise (alpha_bar_T < 1e-3).
- cosine: alpha_bar from the squared cosine of Nichol and Dhariwal (2021), eq. 17.
- gentle: linear betas from 1e-4 chosen to end at alpha_bar_T = 0.6, the fix that makes the
  T-Rex (dino) toy model work: with 50 steps this is Ho's 1e-4..0.02 range.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

GENTLE_ALPHA_BAR_T = 0.6


# ---------------------------------------------------------------- conversions (pure)

def sigma_of(alpha_bar):
    """The noise level sigma = sqrt((1 - alpha_bar) / alpha_bar) of a VP step (Karras et al. 2022, eq. 2)."""
    if isinstance(alpha_bar, torch.Tensor):
        ab = alpha_bar.double()
        return ((1 - ab) / ab).sqrt()
    return math.sqrt((1 - alpha_bar) / alpha_bar)


def alpha_bar_of(sigma):
    """The inverse of `sigma_of`: alpha_bar = 1 / (1 + sigma^2)."""
    if isinstance(sigma, torch.Tensor):
        return 1 / (1 + sigma.double() ** 2)
    return 1 / (1 + sigma**2)


def to_vp(x: torch.Tensor, sigma) -> torch.Tensor:
    """x_t = x / sqrt(1 + sigma^2) = sqrt(alpha_bar) x: a state of noise level sigma in the VP frame."""
    return x / math.sqrt(1 + float(sigma) ** 2)


def from_vp(x_t: torch.Tensor, alpha_bar: float) -> tuple[torch.Tensor, float]:
    """A VP state x_t as (x, sigma) with x = x_t / sqrt(alpha_bar) = x0 + sigma eps."""
    return torch.as_tensor(x_t, dtype=torch.float32) / math.sqrt(alpha_bar), sigma_of(float(alpha_bar))


# ---------------------------------------------------------------- schedules

@dataclass(frozen=True)
class Schedule:
    """A discrete schedule; every tensor has shape (T,) and index t - 1."""

    name: str
    betas: torch.Tensor

    @property
    def T(self) -> int:
        """Number of steps."""
        return len(self.betas)

    @property
    def alphas(self) -> torch.Tensor:
        return 1.0 - self.betas

    @property
    def alpha_bar(self) -> torch.Tensor:
        """alpha_bar_t = prod_{s <= t} (1 - beta_s), float32 (what the shipped networks were trained on)."""
        return torch.cumprod(self.alphas.double(), 0).float()

    @property
    def sigma(self) -> torch.Tensor:
        """The noise level of each step, sqrt((1 - alpha_bar) / alpha_bar), float64: increasing in t."""
        return sigma_of(self.alpha_bar)

    @property
    def noise_std(self) -> torch.Tensor:
        """Std of the noise inside x_t (the VP frame): sqrt(1 - alpha_bar_t)."""
        return (1.0 - self.alpha_bar).sqrt()

    @property
    def snr(self) -> torch.Tensor:
        """Signal-to-noise ratio alpha_bar_t / (1 - alpha_bar_t) = 1 / sigma^2 (Kingma et al. 2021)."""
        ab = self.alpha_bar
        return ab / (1.0 - ab)

    def alpha_bar_prev(self) -> torch.Tensor:
        """alpha_bar_{t-1}, with alpha_bar_0 = 1; shape (T,)."""
        return torch.cat([torch.ones(1), self.alpha_bar[:-1]])

    def nearest_step(self, sigma: float) -> int:
        """The 0-based step whose noise level is nearest `sigma`, in log scale."""
        return int((self.sigma.log() - math.log(sigma)).abs().argmin())


def q_sample(x0: torch.Tensor, eps: torch.Tensor, alpha_bar) -> torch.Tensor:
    """The forward process x_t = sqrt(alpha_bar) x0 + sqrt(1 - alpha_bar) eps, Ho et al. 2020 eq. 4.

    alpha_bar is a scalar or one value per row (shape (N,) or (N, 1)).
    """
    ab = torch.as_tensor(alpha_bar, dtype=x0.dtype)
    if ab.ndim == 1:
        ab = ab[:, None]
    return ab.sqrt() * x0 + (1 - ab).sqrt() * eps


def linear(T: int = 1000) -> Schedule:
    """Linear betas, Ho et al. (2020): 1e-4 to 0.02 at T = 1000, scaled by 1000 / T."""
    scale = 1000.0 / T
    return Schedule("linear", torch.linspace(1e-4 * scale, 0.02 * scale, T).clamp(max=0.999))


def cosine(T: int = 1000, s: float = 0.008) -> Schedule:
    """Cosine schedule, Nichol and Dhariwal (2021) eq. 17, betas clipped at 0.999."""
    steps = torch.arange(T + 1, dtype=torch.float64) / T
    f = torch.cos((steps + s) / (1 + s) * math.pi / 2).pow(2)
    ab = f / f[0]
    betas = (1 - ab[1:] / ab[:-1]).clamp(max=0.999)
    return Schedule("cosine", betas.float())


def gentle(T: int = 50, alpha_bar_T: float = GENTLE_ALPHA_BAR_T) -> Schedule:
    """Linear betas from 1e-4, the last one found by bisection so that prod(1 - beta) = alpha_bar_T."""
    lo, hi = 1e-4, 1.0
    for _ in range(100):  # bisection on the last beta; alpha_bar_T falls as it grows
        mid = 0.5 * (lo + hi)
        ab_T = torch.prod(1 - torch.linspace(1e-4, mid, T, dtype=torch.float64))
        lo, hi = (mid, hi) if ab_T > alpha_bar_T else (lo, mid)
    return Schedule("gentle", torch.linspace(1e-4, 0.5 * (lo + hi), T, dtype=torch.float64).float())


_BUILDERS = {"linear": linear, "cosine": cosine, "gentle": gentle}
NAMES = tuple(_BUILDERS)
# how the pages name them, and the step count of the shipped models that use each
LABELS = {"linear": "linear (Ho et al. 2020)", "cosine": "cosine (Nichol & Dhariwal 2021)",
          "gentle": f"gentle (ends at ᾱ_T = {GENTLE_ALPHA_BAR_T:g})"}
SHIPPED_T = {"linear": 1000, "cosine": 1000, "gentle": 50}


def make(name: str, T: int) -> Schedule:
    """The schedule called `name` with T steps; unknown names raise ValueError."""
    if name not in _BUILDERS:
        raise ValueError(f"unknown schedule {name!r}; valid names: {', '.join(NAMES)}")
    if not isinstance(T, int) or T < 2:
        raise ValueError(f"T must be an integer of at least 2, got {T!r}")
    return _BUILDERS[name](T)


def shipped(name: str) -> Schedule:
    """The schedule `name` with the step count the shipped models use (linear and cosine 1000, gentle 50)."""
    if name not in SHIPPED_T:
        raise ValueError(f"unknown schedule {name!r}; valid names: {', '.join(NAMES)}")
    return make(name, SHIPPED_T[name])


# ---------------------------------------------------------------- noise grids for samplers

def timesteps(T: int, steps: int | None) -> list[int]:
    """`steps` 0-based step indices from T - 1 down to 0, evenly spaced (all T when None)."""
    if steps is None or steps >= T:
        return list(range(T - 1, -1, -1))
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    idx = torch.linspace(T - 1, 0, steps).round().long().tolist()
    return sorted(set(idx), reverse=True)


SPACINGS = ("strided", "log-linear", "karras")


def grid(schedule: Schedule, steps: int | None = None, spacing: str = "strided", rho: float = 7.0) -> torch.Tensor:
    """The noise levels a sampler visits, from the noisiest down, then 0; float64, shape (S + 1,).

    - strided: the schedule's own steps (`timesteps`), as DDPM and DDIM take them (Song et al. 2021, sec. 4.2);
    - log-linear: `steps` levels evenly spaced in log sigma between the schedule's largest and smallest;
    - karras: the same ends, spaced as sigma^(1/rho) (Karras et al. 2022, eq. 5, rho = 7).
    """
    sig = schedule.sigma
    if spacing == "strided":
        levels = sig[timesteps(schedule.T, steps)]
    elif spacing in ("log-linear", "karras"):
        n = schedule.T if steps is None else steps
        if n < 1:
            raise ValueError(f"steps must be at least 1, got {n}")
        hi, lo = float(sig[-1]), float(sig[0])
        if n == 1:
            levels = torch.tensor([hi], dtype=torch.float64)
        elif spacing == "log-linear":
            levels = torch.linspace(math.log(hi), math.log(lo), n, dtype=torch.float64).exp()
        else:
            ramp = torch.linspace(0, 1, n, dtype=torch.float64)
            levels = (hi ** (1 / rho) + ramp * (lo ** (1 / rho) - hi ** (1 / rho))) ** rho
    else:
        raise ValueError(f"unknown spacing {spacing!r}; valid: {', '.join(SPACINGS)}")
    return torch.cat([levels, torch.zeros(1, dtype=torch.float64)])
