"""What "Guidance" shows, one call per control: plain values in, numpy and numbers out.

The page calls these through its cache (app_cache/guidance.py); `bench.py` times the same calls. Every guidance
scale runs in one batch (GuidedDenoiser with one w per row) from the same noise, so the scales differ only by w.
"""

from __future__ import annotations

import numpy as np
import torch

from ... import datasets, pretrained, samplers, schedules, shipped
from ...metrics import mean_and_error
from ...models import EpsMLP
from . import core

SHAPES = datasets.DOZEN_NAMES  # the 13 shapes, the dino first
SHAPE = "star"  # the default: a shape the unconditional model's blend hides well
SCALES = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0)  # the guidance scales w the page offers
SCALE_SHOWN = 3.0  # the scale a first visitor sees
N = 300  # samples per scale and seed
SEEDS = (0, 1, 2)  # seeds of the measured trade (seed 0's samples are the ones drawn)
STEPS = 30  # DDIM steps on the cosine schedule's strided grid, for the exact denoisers and the network alike
FLOOR_DRAWS = 12  # perfect samplers' draws behind the noise floor of each Trade number
FIELD_SIGMAS = (0.05, 0.1, 0.2, 0.4, 0.8)  # the noise levels the geometry section offers
FIELD_SIGMA = 0.2  # its default
FIELD_LIM, FIELD_CELLS = 2.6, 17  # the arrows' grid
MODELS = ("exact", "trained")  # the ideal denoisers of the points; the shipped class-conditional network
TRADE_NUMBERS = ("fidelity", "coverage", "energy", "off")
MODEL_LABELS = {"exact": "exact (the points themselves)", "trained": "trained network"}


def sigmas() -> torch.Tensor:
    """The noise levels every run here visits: STEPS strided steps of the cosine schedule, then 0."""
    return schedules.grid(schedules.shipped("cosine"), STEPS)


def _pair(model: str, shape: str, net: EpsMLP | None = None):
    if model == "exact":
        return core.exact_pair(shape)
    return core.learned_pair(net if net is not None else shipped.denoiser(pretrained.GUIDE).net, shape)


def guided_samples(model: str, shape: str, seed: int = 0, net: EpsMLP | None = None) -> torch.Tensor:
    """N samples at every scale of SCALES from the same N prior draws of `seed`, in one batch: (len(SCALES), N, 2)."""
    uncond, cond = _pair(model, shape, net)
    w = torch.tensor(SCALES, dtype=torch.float64).repeat_interleave(N)
    g = torch.Generator().manual_seed(seed)
    levels = sigmas()
    start = samplers.prior(N, 2, float(levels[0]), g).repeat(len(SCALES), 1)
    return _ddim(core.GuidedDenoiser(uncond, cond, w), start, levels).reshape(len(SCALES), N, 2)


def _ddim(denoiser, start: torch.Tensor, levels) -> torch.Tensor:
    for step in samplers.ddim(denoiser, start, levels):
        pass
    return step.x


def _summary(values: list[core.Trade]) -> dict:
    return {name: mean_and_error([getattr(v, name) for v in values]) for name in TRADE_NUMBERS}


def _curve(runs: list[torch.Tensor], points: torch.Tensor) -> list[dict]:
    """For each scale, the mean and standard error over the runs (one per seed) of each Trade number."""
    return [_summary([core.trade(run[k], points) for run in runs]) for k in range(len(SCALES))]


def guided(shape: str) -> dict:
    """Everything the page shows of a shape: seed 0's samples at every scale for each model (the dial); the measured
    trade, for each model and scale the mean and standard error over SEEDS of each Trade number; the noise floor
    (FLOOR_DRAWS perfect samplers of N: mean and standard deviation of each number); how many of the shape's
    points some other shape shares (none: p_0(c | x) is 1 on every one of them); and how far from the other shapes
    seed 0's samples land at each scale (core.isolation), with the shape's own mean isolation."""
    points = datasets.dozen_shape(shape)
    runs = {m: [guided_samples(m, shape, seed) for seed in SEEDS] for m in MODELS}
    floor = [core.trade(core.perfect_draws(points, N, k), points) for k in range(FLOOR_DRAWS)]
    floor_stats = {name: (float(np.mean([getattr(f, name) for f in floor])),
                          float(np.std([getattr(f, name) for f in floor], ddof=1))) for name in TRADE_NUMBERS}
    others = datasets.DOZEN_POINTS[datasets.DOZEN_LABELS != datasets.DOZEN_NAMES.index(shape)]
    shared = int((torch.cdist(points, others).min(1).values == 0).sum())
    isolation = {m: [core.isolation(run, points, others) for run in runs[m][0]] for m in MODELS}
    return {"scales": SCALES, "points": points.numpy(), "samples": {m: runs[m][0].numpy() for m in MODELS},
            "curves": {m: _curve(runs[m], points) for m in MODELS}, "floor": floor_stats, "shared": shared,
            "isolation": {"shape": core.isolation(points, points, others), **isolation}}


def live(shape: str, net: EpsMLP) -> dict:
    """A live-trained network's samples (seed 0) at every scale and its trade curve, as `dial` and `trade` give the
    shipped one's."""
    runs = [guided_samples("trained", shape, seed, net) for seed in SEEDS]
    return {"samples": runs[0].numpy(), "curves": _curve(runs, datasets.dozen_shape(shape))}


def field(shape: str, sigma: float) -> dict:
    """The exact denoisers' steps D(x; sigma) - x over a grid (sigma^2 times the score) for the unconditional and the
    conditional model, and the class posterior p_sigma(c | x) there: the guided step at any w is
    (D_u - x) + w (D_c - D_u), so the page draws every scale from these two."""
    axis = torch.linspace(-FIELD_LIM, FIELD_LIM, FIELD_CELLS)
    yy, xx = torch.meshgrid(axis, axis, indexing="ij")
    grid = torch.stack([xx.reshape(-1), yy.reshape(-1)], 1)
    uncond, cond = core.exact_pair(shape)
    fine = torch.linspace(-FIELD_LIM, FIELD_LIM, 61)
    fy, fx = torch.meshgrid(fine, fine, indexing="ij")
    posterior = core.class_posterior(torch.stack([fx.reshape(-1), fy.reshape(-1)], 1), sigma, shape)
    return {"grid": grid.numpy(), "uncond": (uncond(grid, sigma) - grid).numpy(),
            "cond": (cond(grid, sigma) - grid).numpy(), "axis": fine.numpy(),
            "posterior": posterior.reshape(len(fine), len(fine)).numpy(), "sigma": sigma,
            "points": datasets.dozen_shape(shape).numpy(), "all": datasets.DOZEN_POINTS.numpy()}


def dozen() -> dict:
    """Every shape's points, by name: the gallery."""
    return {name: datasets.dozen_shape(name).numpy() for name in SHAPES}
