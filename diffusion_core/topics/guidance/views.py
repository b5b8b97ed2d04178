"""What "Guidance" shows, one call per control: plain values in, numpy and numbers out.

The page calls these through its cache (app_cache/guidance.py); `bench.py` times the same calls. Every guidance
scale runs in one batch (GuidedDenoiser with one w per row) from the same noise, so the scales differ only by w.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
from pathlib import Path

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
N = 200  # samples per scale and seed
SEEDS = (0, 1, 2)  # seeds of the measured trade (seed 0's samples are the ones drawn)
# DDIM steps on the cosine schedule's strided grid, for the exact denoisers and the network alike. Guidance at high w
# needs small steps: at 30, the last steps land on the extrapolated D_w and throw up to half the samples off the shape
# at w = 8 (a discretisation error: at 250 steps none are); at 100 the numbers are within a few hundredths of 250's.
STEPS = 100
SCHEDULE = "cosine"  # the schedule the STEPS noise levels are strided from (the shipped network's)
FLOOR_RUNS = 100  # perfect samplers, each of len(SEEDS) draws of N, behind the band of each Trade number
FIELD_SIGMAS = (0.05, 0.1, 0.2, 0.4, 0.8)  # the noise levels the geometry section offers
FIELD_SIGMA = 0.2  # its default
FIELD_LIM, FIELD_CELLS = 2.6, 17  # the arrows' grid
MODELS = ("exact", "trained")  # the ideal denoisers of the points; the shipped class-conditional network
LOG = logging.getLogger(__name__)
TRADE_NUMBERS = ("fidelity", "coverage", "energy", "off")
MODEL_LABELS = {"exact": "exact (the points themselves)", "trained": "trained network"}


def sigmas() -> torch.Tensor:
    """The noise levels every run here visits: STEPS strided steps of the cosine schedule, then 0."""
    return schedules.grid(schedules.shipped(SCHEDULE), STEPS)


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


def floor(shape: str) -> dict:
    """What a perfect sampler of the shape scores, as the page's curves are measured (the mean over len(SEEDS)
    draws of N): for each Trade number the 2.5%, 50% and 97.5% points over FLOOR_RUNS such samplers. The energy
    distance is unbiased, so its band straddles 0 (and is lopsided: the statistic is skewed)."""
    points = datasets.dozen_shape(shape)
    base = 1_000 * (SHAPES.index(shape) + 1)  # each shape its own draws
    runs = [[core.trade(core.perfect_draws(points, N, base + k * len(SEEDS) + j), points) for j in range(len(SEEDS))]
            for k in range(FLOOR_RUNS)]
    return {name: tuple(float(q) for q in np.quantile([np.mean([getattr(t, name) for t in run]) for run in runs],
                                                      (0.025, 0.5, 0.975))) for name in TRADE_NUMBERS}


def measure(shape: str) -> dict:
    """Everything the page shows of a shape, computed: seed 0's samples at every scale for each model (the dial);
    the measured trade, for each model and scale the mean and standard error over SEEDS of each Trade number; the
    perfect sampler's band (`floor`); how many of the shape's points some other shape shares (none: p_0(c | x) is 1
    on every one of them); and how far from the other shapes the samples land (core.isolation, mean and standard
    error over SEEDS at each scale), with the shape's own mean isolation. About 2.5 s a shape on one thread."""
    points = datasets.dozen_shape(shape)
    runs = {m: [guided_samples(m, shape, seed) for seed in SEEDS] for m in MODELS}
    others = datasets.DOZEN_POINTS[datasets.DOZEN_LABELS != datasets.DOZEN_NAMES.index(shape)]
    shared = int((torch.cdist(points, others).min(1).values == 0).sum())
    isolation = {m: [mean_and_error([core.isolation(run[k], points, others) for run in runs[m]])
                     for k in range(len(SCALES))] for m in MODELS}
    return {"scales": SCALES, "points": points.numpy(), "samples": {m: runs[m][0].numpy() for m in MODELS},
            "curves": {m: _curve(runs[m], points) for m in MODELS}, "floor": floor(shape), "shared": shared,
            "isolation": {"shape": core.isolation(points, points, others), **isolation}}


# ---------------------------------------------------------------- the shipped views
# `measure` of every shape, made once with the shipped weights (`python -m diffusion_core pretrain --only
# guide_views`, after guide_dozen) and shipped beside them, so that no reader waits for it; a test measures a shape
# again and compares. The file names the settings it was made with and fingerprints of the data, the noise levels and
# the shipped weights: if any of them changed since, the page measures afresh instead.
VIEWS_FORMAT = 1


def settings() -> dict:
    """What `measure` depends on besides the code: the constants above, the data file (by fingerprint), the schedule
    the noise levels are strided from, and the shipped weights (by fingerprint). Inputs, not the floats computed from
    them: torch's kernels round differently on different CPUs (on a machine with AVX-512 the canonical frame and the
    cosine schedule's noise levels differ from another's in their last bits), and the file must be usable wherever
    the app runs; a test measures the default shape afresh and finds what the file holds, float rounding aside."""
    weights = hashlib.sha256()
    for name, value in shipped.denoiser(pretrained.GUIDE).net.state_dict().items():
        weights.update(name.encode())
        weights.update(value.detach().contiguous().numpy().tobytes())
    data = hashlib.sha256((datasets.DATA_DIR / "datasaurus_dozen.csv").read_bytes())
    return {"scales": list(SCALES), "n": N, "seeds": list(SEEDS), "steps": STEPS, "floor_runs": FLOOR_RUNS,
            "cover_radius": core.COVER_RADIUS, "data": data.hexdigest(),
            "schedule": [SCHEDULE, schedules.SHIPPED_T[SCHEDULE]], "weights": weights.hexdigest()}


def _stored(view: dict) -> dict:
    """A view as plain tensors, tuples and numbers (torch.load(weights_only=True) reads them back)."""
    return {"samples": {m: torch.from_numpy(a) for m, a in view["samples"].items()}, "curves": view["curves"],
            "floor": view["floor"], "shared": view["shared"], "isolation": view["isolation"]}


def save(path) -> dict:
    """Measure every shape and write the views to `path` (whole or not at all: a reader never meets a half-written
    file); returns the file's settings."""
    made = settings()
    path = Path(path)
    part = path.with_name(path.name + ".part")
    torch.save({"format": VIEWS_FORMAT, "settings": made,
                "views": {shape: _stored(measure(shape)) for shape in SHAPES}}, part)
    os.replace(part, path)
    return made


@functools.lru_cache(maxsize=1)
def _read_shipped() -> dict:
    """The shipped views by shape, as `measure` returns them; raises when the file is missing or unreadable, or
    was made with other settings, data or weights."""
    blob = torch.load(pretrained.path(pretrained.GUIDE_VIEWS), map_location="cpu", weights_only=True)
    if blob.get("format") != VIEWS_FORMAT or blob.get("settings") != settings():
        raise ValueError("made with other settings, data or weights: python -m diffusion_core pretrain --only "
                         f"{pretrained.GUIDE_VIEWS}")
    return {shape: {"scales": SCALES, "points": datasets.dozen_shape(shape).numpy(),
                    "samples": {m: blob["views"][shape]["samples"][m].numpy() for m in MODELS},
                    **{k: blob["views"][shape][k] for k in ("curves", "floor", "shared", "isolation")}}
            for shape in SHAPES}


def shipped_views() -> dict:
    """The shipped views by shape (read once); empty, with a warning in the server's log, when the file cannot be
    used: the page then measures (about 3 s a shape), and the next call tries the file again."""
    try:
        return _read_shipped()
    except Exception as err:  # noqa: BLE001 - any fault in the file: measure instead, and say so in the log
        LOG.warning("the shipped guidance views are not used (%s: %s)", type(err).__name__, err)
        return {}


def forget_shipped() -> None:
    """Read the shipped file again at the next call (after `save`, and in the tests)."""
    _read_shipped.cache_clear()


def guided(shape: str) -> dict:
    """The page's view of a shape (`measure`): shipped, or measured when the shipped file does not match."""
    view = shipped_views().get(shape)
    return view if view is not None else measure(shape)


def apart(a: tuple[float, float], b: tuple[float, float]) -> bool:
    """Two (mean, standard error) pairs further apart than two combined standard errors."""
    return abs(a[0] - b[0]) > 2 * float(np.hypot(a[1], b[1]))


def facts(view: dict, model: str) -> dict:
    """What a model's curves show, decided on the numbers with their errors (the page's sentences are chosen on
    these): the scale of its best fidelity from w = 1 up, and whether some scale above 1 beats w = 1's beyond two
    combined standard errors; the
    scales whose coverage ties the highest (within two combined standard errors); whether coverage at the largest
    scale is below w = 1's beyond the errors; whether w = 1 samples the shape as well as a perfect sampler can tell
    (no sample off the shape, the energy distance inside the band); whether the samples at the largest scale land
    farther from the other shapes than the shape's points do on average, beyond two standard errors."""
    curve, one = view["curves"][model], SCALES.index(1.0)
    fid = [c["fidelity"] for c in curve]
    cov = [c["coverage"] for c in curve]
    best = min((k for k, w in enumerate(SCALES) if w >= 1), key=lambda k: fid[k][0])
    top = max(range(len(SCALES)), key=lambda k: cov[k][0])
    lo, _, hi = view["floor"]["energy"]
    energy_one = curve[one]["energy"][0]
    iso = view["isolation"][model][-1]
    return {"best_fidelity": SCALES[best],
            "gains": any(w > 1 and fid[k][0] < fid[one][0] and apart(fid[k], fid[one]) for k, w in enumerate(SCALES)),
            "coverage_ties": [w for k, w in enumerate(SCALES) if not apart(cov[k], cov[top])],
            "coverage_falls": cov[-1][0] < cov[one][0] and apart(cov[-1], cov[one]),
            "samples_the_shape": curve[one]["off"][0] == 0 and lo <= energy_one <= hi,
            "farther": iso[0] - view["isolation"]["shape"] > 2 * iso[1]}


def live(shape: str, net: EpsMLP) -> dict:
    """A live-trained network's samples (seed 0) at every scale, its trade curve and where its samples land, as
    `guided` gives the shipped one's."""
    runs = [guided_samples("trained", shape, seed, net) for seed in SEEDS]
    points = datasets.dozen_shape(shape)
    others = datasets.DOZEN_POINTS[datasets.DOZEN_LABELS != datasets.DOZEN_NAMES.index(shape)]
    isolation = [mean_and_error([core.isolation(run[k], points, others) for run in runs]) for k in range(len(SCALES))]
    return {"samples": runs[0].numpy(), "curves": _curve(runs, points), "isolation": isolation}


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
