"""What "Sampling as optimization" shows, one call per control: plain values in, numpy and numbers out.

The page calls these through its cache (app_cache/optimization.py); `bench.py` times the same calls.
"""

from __future__ import annotations

import numpy as np

from ... import datasets, schedules, shipped
from ...denoisers import MixtureDenoiser
from ...mixtures import EmpiricalSet
from . import core

DESCENT_SET = "dino"  # section 2 measures distances to the 142 points the dino model trains on
TRACED = 5  # runs drawn in the distance panels


def quality_curves(dataset: str) -> dict:
    """core.quality_curve of every sampler on the shipped model of `dataset` (and, for a mixture, its exact
    denoiser): {"network": {sampler: (nfe, ed)}, "exact": {...} or None}."""
    def curves(den):
        return {name: tuple(vars(core.quality_curve(den, name, dataset, schedule=cosine)).values())
                for name in core.SAMPLERS}

    cosine = schedules.shipped("cosine")
    exact = curves(MixtureDenoiser(datasets.mixture(dataset))) if dataset in datasets.MIXTURES else None
    return {"network": curves(shipped.denoiser(dataset)), "exact": exact}


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
    """Energy distance at each core.MOMENTA for the shipped dino network and the ideal denoiser, and the
    verdict the page states: the best gamma, and whether it beats plain DDIM by more than the noise."""
    cosine = schedules.shipped("cosine")
    scan = {name: core.momentum_scan(den, DESCENT_SET, steps, schedule=cosine) for name, den in _denoisers().items()}
    net = scan["network"]
    best = int(np.argmin(net))
    return {"curves": scan, "best_gamma": core.MOMENTA[best], "best_ed": net[best],
            "best_beats_plain": net[best] < net[0] - core.ED_NOISE}


def verdict(scan: dict, gamma: float) -> str:
    """How the network's samples at momentum gamma compare with plain DDIM's, against the measurement's noise."""
    net = scan["curves"]["network"]
    plain, chosen = net[0], net[core.MOMENTA.index(gamma)]
    return ("better than" if chosen < plain - core.ED_NOISE else "worse than" if chosen > plain + core.ED_NOISE
            else "within the measurement's noise of")


def descent_cloud(steps: int, gamma: float) -> np.ndarray:
    """The shipped dino network's descent samples (CURVE_SAMPLES, seed 0) at `steps` steps and momentum gamma."""
    run = core.descent_samples(shipped.denoiser(DESCENT_SET), core.CURVE_SAMPLES, steps, gamma)
    return run.states[-1].numpy()
