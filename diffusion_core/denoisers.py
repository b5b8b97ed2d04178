"""Denoisers: every model, learned or exact, answers x0_hat = D(x; sigma).

x is a state in the variance-exploding frame, x = x0 + sigma eps (schedules.py), and sigma a float or
one value per row. This is the interface of Karras et al. (2022, eq. 2 and Table 1): a sampler, a
score field or a figure asks any denoiser the same question, and a network trained on a discrete
schedule maps sigma to its own time input inside its wrapper. Everything else the maths needs is
derived from D by the small pure functions below (Vincent 2011; Ho et al. 2020, sec. 3.2):

    eps_hat = (x - D) / sigma,      score = grad_x log p_sigma(x) = (D - x) / sigma^2.

A velocity network is one more wrapper (topics/flow); a class-conditional network is a NetDenoiser with a label, and
guidance combines two denoisers into a third (topics/guidance).
"""

from __future__ import annotations

import math

import torch

from . import schedules
from .mixtures import GaussianMixture

# ---------------------------------------------------------------- conversions (pure)

def x0_from_eps(x: torch.Tensor, eps: torch.Tensor, sigma) -> torch.Tensor:
    """x0_hat = x - sigma eps_hat: the forward formula x = x0 + sigma eps, inverted."""
    return x - _column(sigma, x) * eps


def eps_from_x0(x: torch.Tensor, x0: torch.Tensor, sigma) -> torch.Tensor:
    """eps_hat = (x - x0_hat) / sigma."""
    return (x - x0) / _column(sigma, x)


def score_from_x0(x: torch.Tensor, x0: torch.Tensor, sigma) -> torch.Tensor:
    """Tweedie's formula: grad log p_sigma(x) = (E[x0 | x] - x) / sigma^2 (Efron 2011; Vincent 2011)."""
    return (x0 - x) / _column(sigma, x) ** 2


def score_from_eps(eps: torch.Tensor, sigma, like: torch.Tensor | None = None) -> torch.Tensor:
    """grad log p_sigma(x) = -eps_hat / sigma."""
    return -eps / _column(sigma, eps if like is None else like)


def _column(sigma, x: torch.Tensor):
    """sigma as a float, or as an (N, 1) tensor for one value per row of x."""
    if isinstance(sigma, torch.Tensor) and sigma.numel() > 1:
        return sigma.reshape(-1, 1).to(x.dtype)
    return float(sigma)


# ---------------------------------------------------------------- the interface

class Denoiser:
    """x0_hat = D(x; sigma). Subclasses implement __call__; `schedule` is the grid a model was trained on
    (None for one that answers at any sigma, such as the exact denoiser of a mixture)."""

    schedule: schedules.Schedule | None = None

    def __call__(self, x: torch.Tensor, sigma) -> torch.Tensor:
        raise NotImplementedError

    def eps(self, x: torch.Tensor, sigma) -> torch.Tensor:
        """The noise the model sees in x: (x - D(x; sigma)) / sigma; shape (N, d)."""
        return eps_from_x0(x, self(x, sigma), sigma)

    def score(self, x: torch.Tensor, sigma) -> torch.Tensor:
        """grad_x log p_sigma(x) as the model sees it: (D(x; sigma) - x) / sigma^2; shape (N, d)."""
        return score_from_x0(x, self(x, sigma), sigma)


class NetDenoiser(Denoiser):
    """A network eps_theta(x_t, t) trained on a discrete schedule (the eps-MLPs, the image U-Net).

    Karras et al. (2022), Table 1, VP column: D(x; sigma) = x - sigma eps_theta(c_in x, t(sigma)) with
    c_in = 1 / sqrt(1 + sigma^2), which turns x back into the VP state x_t the network was trained on,
    and t(sigma) the (fractional) step whose noise level is sigma, interpolated in log sigma between the
    schedule's steps; on the schedule's own levels it is that step exactly. A class-conditional network answers
    for `label`, or unconditionally (its null label) without one. `net.config` names the
    schedule and T, and the target if the network predicts x0 (D is its output) or v (in the VP frame
    x_t = alpha x0 + s eps with alpha = c_in and s = sigma c_in, x0 = alpha x_t - s v = c_in^2 x - sigma c_in v).
    """

    def __init__(self, net: torch.nn.Module, label: int | None = None):
        self.net = net.eval()
        classes = getattr(net.config, "classes", 0)
        if label is not None and not 0 <= label < classes:
            raise ValueError(f"label {label!r} is not one of this network's {classes} classes")
        # a conditional network's label (None: its null label, the unconditional model)
        self._label = {} if label is None else {"y": torch.tensor([label])}
        self.schedule = schedules.make(net.config.schedule, net.config.T)
        self._log_sigma = self.schedule.sigma.log()  # (T,) increasing, float64
        self._step_at = {float(sig): t for t, sig in enumerate(self.schedule.sigma.tolist())}  # the exact hits

    def step_of(self, sigma) -> torch.Tensor:
        """The network's time input for noise level sigma: a 0-based step, fractional between steps,
        clamped to [0, T - 1]; shape (1,) for a float sigma, (N,) for one per row."""
        if not isinstance(sigma, torch.Tensor) and float(sigma) in self._step_at:  # a sampler on the model's grid
            return torch.tensor([float(self._step_at[float(sigma)])], dtype=torch.float64)
        s = torch.as_tensor(sigma, dtype=torch.float64).reshape(-1)
        ls, grid = s.log(), self._log_sigma
        hi = torch.searchsorted(grid, ls).clamp(1, len(grid) - 1)
        lo = hi - 1
        w = ((ls - grid[lo]) / (grid[hi] - grid[lo])).clamp(0, 1)
        t = torch.where(grid[hi] == ls, hi.double(), lo + w)  # an exact hit on a step is that step
        return t

    @torch.no_grad()
    def __call__(self, x: torch.Tensor, sigma) -> torch.Tensor:
        """x0_hat in x's dtype; the network itself runs in float32 (give float64 x to keep x - sigma eps exact
        at large sigma, as the samplers do)."""
        if isinstance(sigma, torch.Tensor) and sigma.numel() > 1:
            c_in = (1 + sigma.double().reshape(-1, 1) ** 2).rsqrt()
        else:
            c_in = 1 / math.sqrt(1 + float(sigma) ** 2)
        out = self.net((c_in * x).float(), self.step_of(sigma), **self._label).to(x.dtype)
        target = getattr(self.net.config, "target", "eps")
        if target == "x0":
            return out
        if target == "v":
            return (c_in**2 * x - _column(sigma, x) * c_in * out).to(x.dtype)
        return x0_from_eps(x, out, sigma)


class MixtureDenoiser(Denoiser):
    """The exact (ideal) denoiser of a Gaussian mixture or an empirical set: its posterior mean E[x0 | x]."""

    def __init__(self, mixture: GaussianMixture):
        self.mixture = mixture

    def __call__(self, x: torch.Tensor, sigma) -> torch.Tensor:
        return self.mixture.posterior_mean(x, sigma)
