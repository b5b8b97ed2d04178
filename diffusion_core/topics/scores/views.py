"""What "Score fields" shows, one call per control: the page's plain values in, numpy and numbers out.

The page calls these through its cache (app_cache/scores.py); `bench.py` times the same calls.
"""

from __future__ import annotations

import numpy as np

from ... import datasets, metrics, schedules, shipped
from ..modes.core import exact_denoiser_1d
from ...mixtures import three_modes_1d
from . import core

FIELD_SET = "ring8"  # the field section: ring8's exact score against the shipped ring8 network
FOLLOW_SET = "two_gaussians"  # the dynamics section: the 1/5 : 4/5 mixture
DSM_POINTS = 64  # clean points in the denoising-score-matching picture
SETTLED = 0.9  # a sampler whose particles end in a mode less often than this has not settled


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
    run = core.follow(mix, steps=steps, step_size=step_size, noise_scale=noise_scale)
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
