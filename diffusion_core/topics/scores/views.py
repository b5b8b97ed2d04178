"""What "Score fields" shows, one call per control: the page's plain values in, numpy and numbers out.

The page calls these through its cache (app_cache/scores.py); `bench.py` times the same calls.
"""

from __future__ import annotations

import numpy as np
import torch

from ... import datasets, metrics, schedules, shipped
from ...mixtures import three_modes_1d
from ..modes.core import exact_denoiser_1d
from . import core

FIELD_SET = "ring8"  # the field section: ring8's exact score against the shipped ring8 network
FOLLOW_SET = "two_gaussians"  # the dynamics section: the 1/5 : 4/5 mixture
FOLLOW_FRAMES = 51  # steps of the run kept for scrubbing in the browser (evenly spaced, the first and the last)
DSM_POINTS = 64  # clean points in the denoising-score-matching picture
SETTLED = 0.9  # a sampler whose particles end in a mode less often than this has not settled
# What the page's controls offer: noise levels of the field (and, but the last, of the DSM picture), the
# followers' step sizes and noise scales, the ODE/SDE step counts, the dino section's noise levels.
SIGMAS = (0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0, 5.0)
STEP_SIZES = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5)
NOISE_SCALES = tuple(round(0.05 * k, 2) for k in range(21))
ODE_STEPS = (5, 10, 20, 50, 100, 250)
DINO_SIGMAS = (0.05, 0.1, 0.2, 0.5)
FOLLOW_DEFAULT = (500, 0.005, 1.0)  # the followers' steps, step size and noise scale a first visitor sees
ODE_DEFAULT = (20, 8)  # the ODE/SDE section's steps and runs
SIGMA_MAX, SIGMA_MIN = 3.0, 0.1  # annealed Langevin's ladder; the other samplers run at its smallest level


def field(sigma: float) -> dict:
    """`core.field_view` of ring8 at noise level sigma (the shipped network's nearest level), as numpy."""
    v = core.field_view(datasets.mixture(FIELD_SET), shipped.denoiser(FIELD_SET), sigma)
    return {"axis": v.axis.numpy(), "points": v.points.numpy(), "exact": v.exact.numpy(),
            "learned": v.learned.numpy(), "log_density": v.log_density.numpy(), "error_map": v.error_map.numpy(),
            "relative_error": v.relative_error, "sigma_used": v.sigma_used}


def _status(run_away: int, overshoots: bool, landed: float) -> str:
    """How a sampler's particles ended: "ran away", "overshoots", "unsettled" or "settled"."""
    if run_away:
        return "ran away"
    if landed < SETTLED:
        return "overshoots" if overshoots else "unsettled"
    return "settled"


def follow(steps: int, step_size: float, noise_scale: float) -> dict:
    """`core.follow` on the two Gaussians: frames, states per method (float32), and where each ended."""
    mix = datasets.mixture(FOLLOW_SET)
    run = core.follow(mix, steps=steps, step_size=step_size, noise_scale=noise_scale, sigma_max=SIGMA_MAX,
                      sigma_min=SIGMA_MIN, max_frames=FOLLOW_FRAMES)
    ends = {}
    for method, x in run.final.items():
        cov = metrics.mode_coverage(x, mix)
        landed = float(cov.shares.sum())
        away = int(core.run_away(x).sum())
        ends[method] = {"weights": (cov.shares / landed).numpy() if landed > 0 else np.full(len(mix), np.nan),
                        "landed": landed, "run_away": away, "overshoots": run.overshoots[method],
                        "status": _status(away, run.overshoots[method], landed)}
    return {"frames": run.frames, "states": {k: v.numpy() for k, v in run.states.items()}, "ends": ends,
            "sigmas": run.sigmas, "truth": mix.weights.numpy()}


def dsm(sigma: float, seed: int) -> dict:
    """A denoising-score-matching picture on DSM_POINTS ring8 points: the noisy x, targets, weights, score."""
    pts = datasets.load(FIELD_SET, DSM_POINTS, seed=3)
    x, pic = core.dsm_example(pts, sigma, seed)
    return {"points": pts.numpy(), "x": x.numpy(), "to_clean": (pic.targets * sigma**2).numpy(),
            "weights": pic.weights.numpy(), "mean_step": (pic.score * sigma**2).numpy(), "score": pic.score.numpy()}


def ode_sde(steps: int, runs: int, seed: int = 0) -> dict:
    """`core.ode_sde_view` of the 1D mixture: its noised density over (t, x), DDPM and DDIM runs."""
    v = core.ode_sde_view(exact_denoiser_1d(), three_modes_1d(), schedules.shipped("cosine"), steps, runs, seed)
    return {"density_steps": v.density_steps.numpy(), "grid": v.grid.numpy(), "log_density": v.log_density.numpy(),
            **{name: (ps.numpy(), xs.numpy()) for name, (ps, xs) in v.paths.items()}}


# ---------------------------------------------------------------- 2b. the same on the dino model

DINO_FOLLOWERS, DINO_STEPS, ADAM_LR, PLACE = 500, 300, 0.02, 0.05


def places(x: torch.Tensor, cell: float = PLACE) -> int:
    """How many distinct places the points sit at, to within `cell` (their coordinates rounded to it)."""
    finite = x[torch.isfinite(x).all(1)]
    return len(torch.unique((finite / cell).round(), dim=0))


def dino_followers(sigma: float) -> dict:
    """Gradient ascent and Adam on the shipped dino network's own score at its level nearest sigma (step size
    sigma^2 / 4, well inside the stable range), and DDPM with the same network, all from the same DINO_FOLLOWERS
    start points: their samples, energy distance (and its noise band), s2d and the places they pile onto."""
    den = shipped.denoiser("dino")
    sigma_t = core.trained_level(den, sigma)
    score = lambda x, s: den.score(x, sigma_t)  # noqa: E731
    x0 = torch.randn(DINO_FOLLOWERS, 2, generator=torch.Generator().manual_seed(0))
    runs = {"Gradient ascent": core.ascent(score, x0, DINO_STEPS, sigma_t**2 / 4, sigma_t)[-1],
            "Adam": core.adam(score, x0, DINO_STEPS, ADAM_LR, sigma_t)[-1],
            "DDPM": shipped.trajectory("dino", "ddpm", 100, DINO_FOLLOWERS, 0).samples}
    out = {}
    for name, x in runs.items():
        x = torch.as_tensor(x)
        q = metrics.dino_quality(x)
        out[name] = {"samples": x.numpy(), "ed": q.energy_distance, "s2d": q.sample_to_data, "places": places(x)}
    return {"runs": out, "sigma_used": sigma_t, "band": metrics.dino_noise(DINO_FOLLOWERS), "steps": DINO_STEPS}
