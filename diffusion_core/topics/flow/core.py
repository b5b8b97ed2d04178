"""Flow matching: the same network on a straight path (Lipman et al. 2023; Liu et al. 2023; Esser et al. 2024).

Convention: t = 0 is data and t = 1 is noise, as this app counts diffusion steps and as Stable Diffusion 3 writes it:

    x_t = (1 - t) x0 + t eps,        the training target  v = dx_t / dt = eps - x0.

Lipman et al. and Liu et al. run time the other way (their t = 1 is data), so their velocity is minus this one.

In the app's one language for noise (x = x0 + sigma eps), x_t / (1 - t) = x0 + sigma eps with sigma = t / (1 - t):
the flow's state is the VE state shrunk by 1 / (1 + sigma). So every denoiser D(x; sigma) is a velocity field,

    v(x_t, t) = E[eps - x0 | x_t] = (x_t - D(x_t / (1 - t); sigma)) / t,

and a velocity network is a denoiser, D = x_t - t v. Since eps - eps_hat = (1 - t)(v - v_hat), the flow loss is
the eps loss weighted by 1 / (1 - t)^2 = (1 + sigma)^2: the same regression, another weighting over noise levels.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import torch

from ... import training
from ...denoisers import Denoiser
from ...models import EpsMLP

Field = Callable[[torch.Tensor, float], torch.Tensor]  # v(x_t, t), (N, d) in and out


def sigma_of_t(t: float) -> float:
    """The VE noise level of flow time t in [0, 1): t / (1 - t)."""
    return t / (1 - t)


def t_of_sigma(sigma) -> float:
    """Flow time of the VE noise level sigma: sigma / (1 + sigma) (1 for an infinite sigma)."""
    return 1.0 if math.isinf(float(sigma)) else float(sigma) / (1 + float(sigma))


def path_state(x0: torch.Tensor, eps: torch.Tensor, t) -> torch.Tensor:
    """x_t = (1 - t) x0 + t eps, with t a float or one value per row (N,)."""
    t = torch.as_tensor(t, dtype=x0.dtype).reshape(-1, 1)
    return (1 - t) * x0 + t * eps


def target_velocity(x0: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
    """d x_t / dt along the straight path: eps - x0."""
    return eps - x0


def network_time(t, T: int) -> torch.Tensor:
    """The network's time input for flow time t: t (T - 1), a fractional step of the eps-model's range, so the
    velocity network is the same MLP with the same sinusoidal time embedding as the eps-model."""
    return torch.as_tensor(t, dtype=torch.float64).reshape(-1) * (T - 1)


T_TOP = 1 - 1e-7  # t = 1 is read at this t: sigma = 1e7, where a denoiser's guess is the data's mean to 1e-7


def velocity_of(denoiser: Denoiser) -> Field:
    """The velocity field of a denoiser: v(x_t, t) = (x_t - D(x_t / (1 - t); t / (1 - t))) / t, for 0 < t <= 1."""
    def field(x: torch.Tensor, t: float) -> torch.Tensor:
        if not 0 < t <= 1:
            raise ValueError(f"a denoiser's velocity needs 0 < t <= 1, not {t}")
        t = min(t, T_TOP)
        return (x - denoiser(x / (1 - t), sigma_of_t(t))) / t
    return field


class FlowDenoiser(Denoiser):
    """A velocity network v_theta(x_t, t) (trained by `train_flow`) as a denoiser, D(x; sigma) = x_t - t v with
    t = sigma / (1 + sigma) and x_t = x / (1 + sigma); `velocity(x, t)` is the network itself."""

    schedule = None  # it answers at any t in [0, 1]

    def __init__(self, net: EpsMLP):
        self.net = net.eval()

    @torch.no_grad()
    def velocity(self, x: torch.Tensor, t: float) -> torch.Tensor:
        """v_theta(x_t, t), in x's dtype (the network runs in float32)."""
        return self.net(x.float(), network_time(t, self.net.config.T)).to(x.dtype)

    def __call__(self, x: torch.Tensor, sigma) -> torch.Tensor:
        t = t_of_sigma(sigma)
        x_t = x / (1 + float(sigma))
        return x_t - t * self.velocity(x_t, t)


# ---------------------------------------------------------------- training

def train_flow(net: EpsMLP, data: torch.Tensor, *, noise: torch.Tensor | None = None, steps: int | None = None,
               seconds: float | None = None, seed: int = 0, jitter: float = 0.0,
               config: training.TrainConfig = training.TrainConfig()) -> Iterator[training.TrainRecord]:
    """Conditional flow matching: regress eps - x0 from (x_t, t), t uniform on [0, 1], with MSE (Lipman et al. 2023,
    eq. 23 with sigma_min = 0; Liu et al. 2023). Batches draw rows of `data` with replacement (plus `jitter`); each
    row's noise is fresh, or, for reflow, the row of `noise` it was paired with. The same optimiser, learning rates
    and weight average as `training.train`; the network ends up holding the average."""
    training.check_data(data)
    if noise is not None and noise.shape != data.shape:
        raise ValueError("reflow pairs: noise and data must have the same shape")
    g = torch.Generator().manual_seed(seed)
    opt, ema, average = training.averaged_adam(net, config)
    budget = training.Budget(steps, seconds)  # the clock starts once the optimiser is built

    def step_fn(step: int, lr: float) -> float:
        idx = torch.randint(len(data), (config.batch_size,), generator=g)
        x0 = data[idx] + jitter * torch.randn(config.batch_size, data.shape[1], generator=g)
        eps = noise[idx] if noise is not None else torch.randn(x0.shape, generator=g)
        t = torch.rand(config.batch_size, generator=g)
        pred = net(path_state(x0, eps, t), network_time(t, net.config.T))
        loss = training.descend(opt, (pred - target_velocity(x0, eps)).pow(2).mean(), lr)
        average(step)
        return loss

    return (yield from training.averaged_run(net, ema, step_fn, budget, config))


# ---------------------------------------------------------------- sampling: from t = 1 (noise) to t = 0

def uniform_times(steps: int) -> torch.Tensor:
    """steps + 1 flow times, evenly spaced from 1 (noise) to 0 (data)."""
    return torch.linspace(1.0, 0.0, steps + 1, dtype=torch.float64)


def times_of_sigmas(sigmas) -> torch.Tensor:
    """The flow times of a sampler's noise levels (falling, the last 0)."""
    return torch.tensor([t_of_sigma(s) for s in sigmas], dtype=torch.float64)


def integrate(field: Field, x: torch.Tensor, times, *, heun: bool = False) -> torch.Tensor:
    """The ODE dx/dt = v(x, t) from times[0] down to times[-1] by Euler steps, or Heun's (the slope averaged with
    the one at the Euler point; no second evaluation on a last step to t = 0): the states (len(times), N, d),
    float64 inside."""
    ts = [float(t) for t in times]
    if len(ts) < 2 or any(b >= a for a, b in itertools.pairwise(ts)):
        raise ValueError("times must fall strictly")
    x = x.double()
    states = [x]
    for t, t_next in itertools.pairwise(ts):
        v = field(x, t).double()
        x_next = x + (t_next - t) * v
        if heun and t_next > 0:
            x_next = x + (t_next - t) * (v + field(x_next, t_next).double()) / 2
        x = x_next
        states.append(x)
    return torch.stack(states)


def evaluations(steps: int, heun: bool) -> int:
    """Network evaluations of `integrate` over `steps` steps ending at t = 0."""
    return 2 * steps - 1 if heun else steps


def start_noise(n: int, seed: int, dim: int = 2) -> torch.Tensor:
    """n draws of N(0, I) from `seed`: the t = 1 end of every run here."""
    return torch.randn(n, dim, generator=torch.Generator().manual_seed(seed)).double()


# ---------------------------------------------------------------- how straight the paths are

@dataclass(frozen=True)
class Straightness:
    ratio: float  # the mean over paths of (length of the path) / (distance between its ends); 1 for a straight path
    cost: float  # the transport cost of the coupling: the mean of |x_1 - x_0|^2 over paths (noise end, data end)
    deviation: float  # Liu et al.'s S(Z): the mean over t and paths of |(x_1 - x_0) - dx/dt|^2 (x_1 the noise end,
    # x_0 the data end, t from 1 to 0), 0 for straight paths


def straightness(states: torch.Tensor) -> Straightness:
    """How straight the paths of an ODE run are, from its states (S + 1, N, d) on an evenly spaced grid of t."""
    steps = states.diff(dim=0)  # (S, N, d)
    length = steps.norm(dim=2).sum(0)  # (N,)
    chord = states[-1] - states[0]  # (N, d)
    ratio = (length / chord.norm(dim=1).clamp_min(1e-12)).mean()
    s = len(steps)
    deviation = (chord[None] - s * steps).pow(2).sum(2).mean()  # dx/dt ~ -s * step on the grid t = 1 -> 0
    return Straightness(float(ratio), float(chord.pow(2).sum(1).mean()), float(deviation))
