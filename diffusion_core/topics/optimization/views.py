"""What "Sampling as optimization" shows, one call per control: plain values in, numpy and numbers out.

The page calls these through its cache (app_cache/optimization.py); `bench.py` times the same calls.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ... import datasets, schedules, shipped
from ...denoisers import MixtureDenoiser
from ...mixtures import EmpiricalSet
from . import core

DESCENT_SET = "dino"  # section 2 measures distances to the 142 points the dino model trains on
TRACED = 5  # runs drawn in the distance panels
DATASETS = ("dino", "ring8")  # what the page offers: its data sets, the step counts of its clouds and of its descent
CLOUD_STEPS = (5, 10, 20, 100)
DESCENT_STEPS = (5, 10, 20, 50, 100)


def quality_curves(dataset: str) -> dict:
    """core.quality_curve of every sampler on the shipped model of `dataset` (and, for a mixture, its exact
    denoiser): {"network": {sampler: (nfe, mean ed, its standard error)}, "exact": {...} or None}, and the
    floor: what fresh data scores on the same measurement (mean, standard error)."""
    def curves(den):
        out = {name: core.quality_curve(den, name, dataset, schedule=cosine) for name in core.SAMPLERS}
        groups.update({name: c.groups for name, c in out.items()} if den is net else {})
        return {name: (c.nfe, c.energy_distance, c.stderr) for name, c in out.items()}

    net, groups = shipped.denoiser(dataset), {}

    cosine = schedules.shipped("cosine")
    exact = curves(MixtureDenoiser(datasets.mixture(dataset))) if dataset in datasets.MIXTURES else None
    floor = core.floor(dataset)
    return {"network": curves(net), "exact": exact, "floor": (floor.mean, floor.std), "groups": groups}


def _below(mean: float, err: float, floor: tuple[float, float]) -> bool:
    """A point indistinguishable from fresh data: within two combined standard errors of the floor's mean."""
    return mean <= floor[0] + 2 * math.hypot(err, floor[1])


def curve_story(curves: dict) -> dict:
    """What the curves say, computed from them: per sampler the first budget from which its mean stays at the
    floor; whether every sampler is above the floor at 1 and 2 evaluations; at 5 and 10 evaluations, which
    sampler is best and whether it beats the next by more than two standard errors; and, with an exact
    denoiser, the first budget from which network and exact curves agree within their errors."""
    net, floor = curves["network"], curves["floor"]
    reach = {}
    for name, (nfe, ed, err) in net.items():
        ok = [_below(m, e, floor) for m, e in zip(ed, err)]
        reach[name] = next((nfe[i] for i in range(len(ok)) if all(ok[i:])), None)
    small = {}
    for budget in (5, 10):  # Euler is DDIM's update, so it is left out; Heun only where it spends this budget
        at = {n: ed[nfe.index(budget)] for n, (nfe, ed, _) in net.items() if budget in nfe and n != "euler"}
        (best, _), (second, _) = sorted(at.items(), key=lambda kv: kv[1])[:2]
        pick = lambda name: curves["groups"][name][net[name][0].index(budget)]  # noqa: E731
        diff, err = core.mean_and_error([b - a for a, b in zip(pick(best), pick(second))])  # paired groups
        small[budget] = {"best": best, "next": second, "clear": diff > 2 * err}
    fail = all(not _below(ed[0], err[0], floor) and not _below(ed[1], err[1], floor) for _, ed, err in net.values())
    agree = None
    if curves["exact"] is not None:
        nfe, ed, err = net["ddim"]
        _, ed_x, err_x = curves["exact"]["ddim"]
        close = [abs(a - b) <= 2 * math.hypot(e, f) for a, b, e, f in zip(ed, ed_x, err, err_x)]
        agree = next((nfe[i] for i in range(len(close)) if all(close[i:])), None)
    return {"reach": reach, "small": small, "fail_at_1_and_2": fail, "agree_with_exact_from": agree}


def cloud(dataset: str, sampler: str, steps: int) -> np.ndarray:
    """The CURVE_SAMPLES samples (seed 0) of the shipped model of `dataset` with `sampler` in `steps` steps."""
    return shipped.trajectory(dataset, sampler, steps, core.CURVE_SAMPLES, 0).samples


def _denoisers() -> dict:
    """The shipped dino network and the ideal denoiser of its 142 training points."""
    return {"network": shipped.denoiser(DESCENT_SET), "ideal": MixtureDenoiser(EmpiricalSet(datasets.load(DESCENT_SET)))}


def descent_traces(steps: int, gamma: float, traced: int = TRACED) -> dict:
    """core.distance_trace of `traced` descent runs (same start points) with the shipped network and the ideal
    denoiser of the dino's points: {name: (sigmas, nearest, smoothed)} as numpy."""
    points, cosine = datasets.load(DESCENT_SET), schedules.shipped("cosine")
    out = {}
    for name, den in _denoisers().items():
        trace = core.distance_trace(core.descent_samples(den, traced, steps, gamma, schedule=cosine), points)
        out[name] = tuple(v.numpy() for v in vars(trace).values())
    return out


def momentum_scan(steps: int) -> dict:
    """Energy distance at each core.MOMENTA for the shipped dino network and the ideal denoiser (the mean over
    core.GROUPS groups, and its standard error), and the groups of the network's runs, paired across gammas."""
    cosine = schedules.shipped("cosine")
    scan = {name: core.momentum_scan(den, DESCENT_SET, steps, schedule=cosine) for name, den in _denoisers().items()}
    means = {name: [core.mean_and_error(g) for g in groups] for name, groups in scan.items()}
    net = [m for m, _ in means["network"]]
    best = int(np.argmin(net))
    floor = core.floor(DESCENT_SET)
    return {"floor": (floor.mean, floor.std), "curves": {k: [m for m, _ in v] for k, v in means.items()},
            "errors": {k: [e for _, e in v] for k, v in means.items()}, "groups": scan["network"],
            "best_gamma": core.MOMENTA[best], "best_ed": net[best],
            "best_beats_plain": verdict_of(scan["network"], best) == "better than"}


def verdict_of(groups: list[list[float]], index: int) -> str:
    """How the network's samples at the gamma of `index` compare with plain DDIM's (index 0): the groups pair up
    (the same start points), so the difference is judged against its own standard error."""
    diff, err = core.mean_and_error([c - p for c, p in zip(groups[index], groups[0])])
    return "better than" if diff < -2 * err else "worse than" if diff > 2 * err else "within the measurement's noise of"


def verdict(scan: dict, gamma: float) -> str:
    """`verdict_of` the chosen gamma."""
    return verdict_of(scan["groups"], core.MOMENTA.index(gamma))


def descent_cloud(steps: int, gamma: float) -> np.ndarray:
    """The shipped dino network's descent samples (CURVE_SAMPLES, seed 0) at `steps` steps and momentum gamma."""
    run = core.descent_samples(shipped.denoiser(DESCENT_SET), core.CURVE_SAMPLES, steps, gamma)
    return run.states[-1].numpy()


LANDSCAPE_LIM, LANDSCAPE_CELLS, LANDSCAPE_FRAMES, LANDSCAPE_FROM = 3.2, 51, 25, 3.0


def landscape(steps: int, gamma: float) -> dict:
    """The smoothed distance sqrt(2 f_sigma) to the dino's 142 points on a grid, at the noise level of each
    state of a descent run from LANDSCAPE_FROM down (at most LANDSCAPE_FRAMES of them, and the sample at sigma
    0, where it is the distance to the nearest point), with the states of the TRACED runs of the network and
    of the ideal denoiser at those levels."""
    points, cosine = datasets.load(DESCENT_SET), schedules.shipped("cosine")
    runs = {name: core.descent_samples(den, TRACED, steps, gamma, schedule=cosine) for name, den in _denoisers().items()}
    sigmas = runs["network"].sigmas
    shown = [i for i, s in enumerate(sigmas.tolist()) if s <= LANDSCAPE_FROM]
    if len(shown) > LANDSCAPE_FRAMES:
        shown = [shown[round(k)] for k in np.linspace(0, len(shown) - 1, LANDSCAPE_FRAMES)]
    axis = torch.linspace(-LANDSCAPE_LIM, LANDSCAPE_LIM, LANDSCAPE_CELLS)
    yy, xx = torch.meshgrid(axis, axis, indexing="ij")
    grid = torch.stack([xx.reshape(-1), yy.reshape(-1)], 1)  # (cells^2, 2), x fastest
    maps = [core.smoothed_distance(grid, points, float(sigmas[i])).reshape(len(axis), len(axis)) for i in shown]
    return {"axis": axis.numpy(), "sigmas": [float(sigmas[i]) for i in shown], "maps": torch.stack(maps).numpy(),
            "states": {name: r.states[shown].numpy() for name, r in runs.items()}, "points": points.numpy(),
            "steps_taken": shown}
