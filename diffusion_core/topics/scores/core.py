"""Score fields and the dynamics that follow them, for the "Score fields" page.

The score of the data noised to level sigma (x = x0 + sigma eps, schedules.py) is
s(x, sigma) = grad_x log p_sigma(x). Any denoiser gives it (denoisers.py): for a network that predicts
eps, s(x, sigma) = (D(x; sigma) - x) / sigma^2 = -eps_theta / sigma, the formula of denoising score
matching (Vincent 2011). The dynamics below take any score
function `score(x, sigma) -> (N, d)`: noise-free gradient ascent on log p, Adam on -log p,
Langevin dynamics, and annealed Langevin dynamics over a ladder of sigmas (Song and Ermon 2019).
Each returns the whole run, states (S + 1, N, d), so a page can scrub through it; `run_together`
runs several from the same start points with one score call per step.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch

from ... import samplers, schedules
from ...denoisers import Denoiser
from ...mixtures import EmpiricalSet, GaussianMixture

Score = Callable[[torch.Tensor, float], torch.Tensor]
BLOWN_UP = 1e3  # a particle farther than this from the origin (or not finite) has run away


# ---------------------------------------------------------------- learned scores

def trained_level(denoiser: Denoiser, sigma: float, schedule: schedules.Schedule | None = None) -> float:
    """The noise level of the denoiser's schedule step nearest sigma: a level it was trained on (`schedule`
    stands in for a denoiser without one)."""
    sched = schedule or denoiser.schedule
    return float(sched.sigma[sched.nearest_step(sigma)])


def learned_score(denoiser: Denoiser, x: torch.Tensor, sigma: float,
                  schedule: schedules.Schedule | None = None) -> tuple[torch.Tensor, float]:
    """The denoiser's score at `trained_level(sigma)`; returns (score (N, d), the sigma actually used)."""
    sigma_t = trained_level(denoiser, sigma, schedule)
    return denoiser.score(x, sigma_t), sigma_t


def grid(lim: float, n: int) -> torch.Tensor:
    """An n x n grid of points covering [-lim, lim]^2, row by row (y outer, x inner); shape (n*n, 2)."""
    axis = torch.linspace(-lim, lim, n)
    yy, xx = torch.meshgrid(axis, axis, indexing="ij")
    return torch.stack([xx.reshape(-1), yy.reshape(-1)], 1)


def relative_error(mixture: GaussianMixture, denoiser: Denoiser, sigma: float, n: int = 4000,
                   seed: int = 0, schedule: schedules.Schedule | None = None) -> tuple[float, float]:
    """Density-weighted relative error of the learned score, sqrt(E|s_theta - s|^2 / E|s|^2) with
    x ~ p_sigma, and the scale it divides by, sqrt(E|s|^2).

    Monte Carlo over n draws of the noised data, with the learned score taken at the step
    nearest sigma and the exact score at that step's own sigma, so only the network is judged.
    """
    g = torch.Generator().manual_seed(seed)
    sigma_t = trained_level(denoiser, sigma, schedule)
    x = mixture.sample(n, g) + sigma_t * torch.randn(n, mixture.dim, generator=g)
    learned, _ = learned_score(denoiser, x, sigma_t, schedule)
    exact = mixture.score(x, sigma_t)
    scale = exact.pow(2).sum(1).mean().sqrt()
    return float((learned - exact).pow(2).sum(1).mean().sqrt() / scale), float(scale)


# ---------------------------------------------------------------- following the field

@dataclass(frozen=True)
class Stepper:
    """One dynamics as the noise level it evaluates the score at, step by step, and its update rule."""

    sigma: Callable[[int], float]  # step index -> sigma
    update: Callable[[torch.Tensor, int, torch.Tensor], torch.Tensor]  # (x, step index, score at x) -> new x


def run_together(score: Score, x: torch.Tensor, steps: int, steppers: list[Stepper]) -> list[torch.Tensor]:
    """Run several dynamics from the same start points, one score call per step for all of them
    (a per-particle sigma), so four samplers cost little more than one; each run is (steps + 1, N, d)."""
    n, m = len(x), len(steppers)
    states = x.repeat(m, 1)  # (m N, d): stepper k's particles are rows k N to (k + 1) N
    xs = [states]
    with torch.no_grad():
        for i in range(steps):
            sigma = torch.cat([torch.full((n,), float(st.sigma(i))) for st in steppers])
            s = score(states, sigma if m > 1 else float(steppers[0].sigma(i)))
            states = torch.cat([st.update(states[k * n:(k + 1) * n], i, s[k * n:(k + 1) * n])
                                for k, st in enumerate(steppers)])
            xs.append(states)
    runs = torch.stack(xs)  # (steps + 1, m N, d)
    return [runs[:, k * n:(k + 1) * n] for k in range(m)]


def ascent_stepper(step_size: float, sigma: float) -> Stepper:
    """Noise-free gradient ascent on log p_sigma: x <- x + step_size * s(x, sigma)."""
    return Stepper(lambda i: sigma, lambda x, i, s: x + step_size * s)


def adam_stepper(lr: float, sigma: float, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8) -> Stepper:
    """Adam (Kingma and Ba 2015) on -log p_sigma, each particle its own parameter; the gradient is -s."""
    b1, b2 = betas
    moments: dict[str, torch.Tensor] = {}

    def update(x, i, s):
        if i == 0:  # a new run starts from zero moments, also when the stepper is reused
            moments.clear()
        grad = -s
        m = b1 * moments.get("m", torch.zeros_like(x)) + (1 - b1) * grad
        v = b2 * moments.get("v", torch.zeros_like(x)) + (1 - b2) * grad.pow(2)
        moments.update(m=m, v=v)
        return x - lr * (m / (1 - b1 ** (i + 1))) / ((v / (1 - b2 ** (i + 1))).sqrt() + eps)

    return Stepper(lambda i: sigma, update)


def langevin_stepper(step_size: float, sigma: float, noise_scale: float = 1.0,
                     generator: torch.Generator | None = None) -> Stepper:
    """Unadjusted Langevin dynamics: x <- x + step_size * s(x) + noise_scale * sqrt(2 step_size) z.

    With noise_scale = 1 its stationary law tends to p_sigma as step_size -> 0 (Roberts and Tweedie
    1996); with 0 it is gradient ascent.
    """
    amp = noise_scale * math.sqrt(2 * step_size)
    return Stepper(lambda i: sigma,
                   lambda x, i, s: x + step_size * s + amp * torch.randn(x.shape, generator=generator))


def sigma_ladder(sigma_max: float, sigma_min: float, levels: int) -> list[float]:
    """`levels` noise levels from sigma_max down to sigma_min, evenly spaced in log scale."""
    if levels == 1:
        return [sigma_min]
    r = (sigma_min / sigma_max) ** (1 / (levels - 1))
    return [sigma_max * r**i for i in range(levels)]


def annealed_stepper(steps: int, step_size: float, sigmas: list[float], noise_scale: float = 1.0,
                     generator: torch.Generator | None = None) -> Stepper:
    """Annealed Langevin dynamics, Song and Ermon 2019, Algorithm 1: `steps` split evenly over the
    ladder, at level i the step size step_size * sigma_i^2 / sigma_L^2 (sigma_L the last, smallest)."""
    if steps < len(sigmas):
        raise ValueError(f"annealing over {len(sigmas)} noise levels needs at least that many steps, not {steps}")
    per = [steps // len(sigmas) + (i < steps % len(sigmas)) for i in range(len(sigmas))]
    level_of = [i for i, k in enumerate(per) for _ in range(k)]

    def update(x, j, s):
        a = step_size * (sigmas[level_of[j]] / sigmas[-1]) ** 2
        return x + a * s + noise_scale * math.sqrt(2 * a) * torch.randn(x.shape, generator=generator)

    return Stepper(lambda j: sigmas[level_of[j]], update)


def ascent(score: Score, x: torch.Tensor, steps: int, step_size: float, sigma: float) -> torch.Tensor:
    """`ascent_stepper` run alone: states (steps + 1, N, d)."""
    return run_together(score, x, steps, [ascent_stepper(step_size, sigma)])[0]


def adam(score: Score, x: torch.Tensor, steps: int, lr: float, sigma: float) -> torch.Tensor:
    """`adam_stepper` run alone."""
    return run_together(score, x, steps, [adam_stepper(lr, sigma)])[0]


def langevin(score: Score, x: torch.Tensor, steps: int, step_size: float, sigma: float,
             noise_scale: float = 1.0, generator: torch.Generator | None = None) -> torch.Tensor:
    """`langevin_stepper` run alone."""
    return run_together(score, x, steps, [langevin_stepper(step_size, sigma, noise_scale, generator)])[0]


def annealed_langevin(score: Score, x: torch.Tensor, steps: int, step_size: float, sigmas: list[float],
                      noise_scale: float = 1.0, generator: torch.Generator | None = None) -> torch.Tensor:
    """`annealed_stepper` run alone."""
    return run_together(score, x, steps, [annealed_stepper(steps, step_size, sigmas, noise_scale, generator)])[0]


def run_away(x: torch.Tensor, bound: float = BLOWN_UP) -> torch.Tensor:
    """Which particles have left the finite world: a NaN or inf coordinate, or farther than `bound`; (N,) bool."""
    return ~torch.isfinite(x).all(1) | (x.nan_to_num(0.0).norm(dim=1) > bound)


# ---------------------------------------------------------------- denoising score matching, one point

@dataclass(frozen=True)
class DsmPicture:
    """Why regressing the noise learns the score, at one noisy point x of an empirical set."""

    targets: torch.Tensor  # (M, d) the regression target (x_i - x) / sigma^2 = -eps_i / sigma for each clean x_i
    weights: torch.Tensor  # (M,) p(x_i | x): how likely each clean point is to have produced x
    score: torch.Tensor  # (d,) their weighted average: the score of the noised set at x


def dsm_picture(points: torch.Tensor, x: torch.Tensor, sigma: float) -> DsmPicture:
    """The denoising-score-matching targets at x for every clean point, and their posterior average."""
    empirical = EmpiricalSet(points)
    x = torch.as_tensor(x, dtype=torch.float32).reshape(1, -1)
    targets = (empirical.means - x) / sigma**2
    weights = empirical.responsibilities(x, sigma)[0]
    return DsmPicture(targets, weights, weights @ targets)


# ---------------------------------------------------------------- 1D: the noised density over time

def marginal_log_density(mixture: GaussianMixture, schedule: schedules.Schedule, xs: torch.Tensor,
                         steps: list[int]) -> torch.Tensor:
    """log q_t(x) of a 1D mixture under the VP forward process at the given 0-based steps; (len(steps), len(xs)).
    (The noised law is the mixture's `noised_vp`.)"""
    return torch.stack([mixture.noised_vp(float(schedule.alpha_bar[t])).log_prob(xs.reshape(-1, 1)) for t in steps])


# ---------------------------------------------------------------- what the page shows, in one call each

@dataclass(frozen=True)
class FieldView:
    axis: torch.Tensor  # (n,) grid coordinates along each axis
    points: torch.Tensor  # (n * n, 2) grid points, y outer
    exact: torch.Tensor  # (n * n, 2) exact score at sigma_used
    learned: torch.Tensor  # (n * n, 2) the network's score
    log_density: torch.Tensor  # (n, n) log p_sigma on the grid
    error_map: torch.Tensor  # (n, n) |learned - exact| / sqrt(E|exact|^2), the scale of the score where data is
    relative_error: float  # density-weighted, Monte Carlo (relative_error)
    sigma_used: float  # the network's sigma nearest the one asked for


def field_view(mixture: GaussianMixture, denoiser: Denoiser, sigma: float, lim: float = 2.6, n: int = 25,
               seed: int = 0, schedule: schedules.Schedule | None = None) -> FieldView:
    """Exact and learned score on an n x n grid at the network's noise level nearest sigma."""
    pts = grid(lim, n)
    learned, sigma_t = learned_score(denoiser, pts, sigma, schedule)
    exact = mixture.score(pts, sigma_t)
    rel, scale = relative_error(mixture, denoiser, sigma_t, seed=seed, schedule=schedule)
    err = (learned - exact).norm(dim=1) / scale
    return FieldView(torch.linspace(-lim, lim, n), pts, exact, learned,
                     mixture.log_prob(pts, sigma_t).reshape(n, n), err.reshape(n, n), rel, sigma_t)


METHODS = ("Gradient ascent", "Adam", "Langevin", "Annealed Langevin")


def step_limit(mixture: GaussianMixture, sigma: float) -> float:
    """The largest step for which x <- x + a s(x, sigma) settles at the narrowest mode instead of
    overshooting: 2 (s_k^2 + sigma^2), the narrowest noised component's variance times 2 (for one
    Gaussian of variance v the update is x - m <- (1 - a / v)(x - m), which shrinks iff a < 2 v)."""
    return 2 * float((mixture.stds.pow(2) + sigma**2).min())


@dataclass(frozen=True)
class FollowRun:
    frames: list[int]  # the steps kept for display, from 0 to the last
    states: dict[str, torch.Tensor]  # method -> (len(frames), N, d) particle positions at those steps
    final: dict[str, torch.Tensor]  # method -> (N, d) positions after the last step
    sigmas: list[float]  # the annealing ladder; the other three run at its last, smallest sigma
    overshoots: dict[str, bool]  # method -> its step exceeds step_limit somewhere (Adam normalises: never)


def follow(mixture: GaussianMixture, *, steps: int, step_size: float, noise_scale: float, n: int = 1000,
           sigma_max: float = 3.0, sigma_min: float = 0.1, levels: int = 10, max_frames: int = 101,
           seed: int = 0) -> FollowRun:
    """The four dynamics on the mixture's exact score, from the same start points x ~ N(0, I)."""
    g = torch.Generator().manual_seed(seed)
    x0 = torch.randn(n, mixture.dim, generator=g)
    sigmas = sigma_ladder(sigma_max, sigma_min, levels)

    steppers = [ascent_stepper(step_size, sigma_min), adam_stepper(step_size, sigma_min),
                langevin_stepper(step_size, sigma_min, noise_scale, torch.Generator().manual_seed(seed + 1)),
                annealed_stepper(steps, step_size, sigmas, noise_scale, torch.Generator().manual_seed(seed + 2))]
    runs = dict(zip(METHODS, run_together(mixture.score, x0, steps, steppers)))
    frames = sorted(set(torch.linspace(0, steps, min(max_frames, steps + 1)).round().long().tolist()))
    tol = 1 - 1e-6  # at the limit itself the distance to the mode neither shrinks nor grows: a bounce
    plain = step_size >= tol * step_limit(mixture, sigma_min)
    annealed = any(step_size * (s / sigmas[-1]) ** 2 >= tol * step_limit(mixture, s) for s in sigmas)
    overshoots = dict(zip(METHODS, (plain, False, plain, annealed)))
    return FollowRun(frames, {k: v[frames] for k, v in runs.items()}, {k: v[-1] for k, v in runs.items()}, sigmas,
                     overshoots)


def dsm_example(points: torch.Tensor, sigma: float, seed: int = 0) -> tuple[torch.Tensor, DsmPicture]:
    """One noisy point x = x_k + sigma eps from a random training point x_k, and its DsmPicture."""
    g = torch.Generator().manual_seed(seed)
    k = int(torch.randint(len(points), (1,), generator=g))
    x = points[k] + sigma * torch.randn(points.shape[1], generator=g)
    return x, dsm_picture(points, x, sigma)


@dataclass(frozen=True)
class OdeSdeView:
    density_steps: torch.Tensor  # (R,) 1-based steps of the density rows, from T down
    grid: torch.Tensor  # (X,) values of x_t
    log_density: torch.Tensor  # (R, X)
    paths: dict[str, tuple[torch.Tensor, torch.Tensor]]  # sampler -> (1-based steps (S + 1,), states (S + 1, runs))


def ode_sde_view(denoiser: Denoiser, mixture: GaussianMixture, schedule: schedules.Schedule, steps: int,
                 runs: int, seed: int = 0, every: int = 10, lim: float = 3.5, points: int = 101) -> OdeSdeView:
    """The 1D mixture's noised density over (t, x), and DDPM (reverse SDE) and DDIM (probability-flow
    ODE) runs of `denoiser` (its exact denoiser) over `steps` of the schedule, from the same start points."""
    T = schedule.T
    rows = list(range(T - 1, -1, -every))
    if rows[-1] != 0:
        rows.append(0)  # the last row is the least noisy step, where the paths land
    grid_x = torch.linspace(-lim, lim, points)
    at = torch.tensor(schedules.timesteps(T, steps) + [-1]) + 1  # 1-based step of each state, 0 for the sample
    paths = {}
    for name in ("ddpm", "ddim"):
        xs, _, _ = samplers.trajectory(denoiser, runs, schedules.grid(schedule, steps), sampler=name, seed=seed, dim=1)
        paths[name] = (at, xs[..., 0])
    return OdeSdeView(torch.tensor(rows) + 1, grid_x, marginal_log_density(mixture, schedule, grid_x, rows), paths)
