"""What "Means and modes" shows, one call per control: the page's plain values in, numpy and numbers out.

The page calls these through its cache (app_cache/modes.py); `bench.py` times the same calls.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import torch

from ... import pretrained, schedules, shipped
from ...denoisers import Denoiser
from ...mixtures import three_modes_1d
from . import generators
from .core import MemorizationRun, PosteriorView, exact_denoiser_1d, mean_paths, memorization_run, mode_landings
from .core import posterior_view, report, report_noise

N_SAMPLES, DIFF_SAMPLER, DIFF_STEPS = 1000, "ddpm", 100  # each panel of the three generators
MODEL_1D = "modes_1d"  # the shipped network trained on samples of the 1D mixture (cosine schedule)


# ---------------------------------------------------------------- 1. three generators

def panel_report(samples: np.ndarray, dataset: str, seed: int = 0) -> dict:
    """`core.report` as plain values: ED and its noise band, and shares / weights / off-mode / modes hit /
    largest error, or None."""
    r = report(torch.from_numpy(np.ascontiguousarray(samples, dtype=np.float32)), dataset, seed)
    c = r.coverage
    return {"ed": r.energy_distance, "band": report_noise(dataset, len(samples), seed), "n": len(samples),
            "coverage": None if c is None else {"shares": c.shares.numpy(), "weights": c.weights.numpy(),
                                                "off_mode": c.off_mode, "modes_hit": c.modes_hit,
                                                "max_error": c.max_error}}


@functools.lru_cache(maxsize=8)
def shipped_generator(name: str) -> tuple[generators.GenConfig, list[generators.Snapshot], dict]:
    """The shipped one-shot generator `name` (pretrained.GEN_RECIPES), loaded once: config, snapshots, metadata."""
    return pretrained.load_generator(name)


def generator_steps(name: str) -> list[int]:
    """The training step of each snapshot of a shipped generator (one for the MSE generator)."""
    return [s.step for s in shipped_generator(name)[1]]


def generator_samples(name: str, snapshot: int, n: int = N_SAMPLES, seed: int = 0) -> np.ndarray:
    """n samples of snapshot `snapshot` (an index; -1 is the end of training) of a shipped generator."""
    config, snaps, _ = shipped_generator(name)
    return generators.build(config, snaps[snapshot]).sample(n, seed=seed).numpy()


def snapshot_index(position: int | None, count: int) -> int:
    """The snapshot a slider position (1 to generators.SNAPSHOTS) picks among `count`; None is the last."""
    if position is None:
        return count - 1
    return min(count - 1, max(0, math.ceil(position / generators.SNAPSHOTS * count) - 1))


def diffusion_samples(dataset: str, n: int = N_SAMPLES, seed: int = 0) -> np.ndarray:
    """n samples of the shipped diffusion model of `dataset`, DDPM in DIFF_STEPS steps."""
    return live_diffusion_samples(shipped.denoiser(dataset), n, seed)


def live_diffusion_samples(den: Denoiser, n: int = N_SAMPLES, seed: int = 0) -> np.ndarray:
    """The same for any eps-network's denoiser (a model trained live)."""
    return shipped.run_of(den, DIFF_SAMPLER, DIFF_STEPS, n, seed).samples


def budget(dataset: str) -> dict:
    """What the three generators of `dataset` share and do not: training steps, and the weights of each."""
    gen = generators.Generator(generators.GenConfig())
    return {"steps": pretrained.COMPARE_STEPS[dataset], "generator_weights": sum(p.numel() for p in gen.parameters()),
            "diffusion_weights": shipped.info(dataset)["params"]}


# ---------------------------------------------------------------- 2. the mean walks onto a mode

def posterior(x_t: float, t: int) -> PosteriorView:
    """`core.posterior_view` on the cosine schedule, with the shipped 1D network's guess."""
    return posterior_view(x_t, t, schedules.shipped("cosine"), learned=shipped.denoiser(MODEL_1D))


def paths(learned: bool, n: int, seed: int = 0) -> dict:
    """1D reverse runs of the exact denoiser or of the shipped 1D network, and how many landed on each mode."""
    den = shipped.denoiser(MODEL_1D) if learned else exact_denoiser_1d()
    steps, xs, x0s = mean_paths(den, n, seed)
    landed = torch.bincount(mode_landings(xs[-1]), minlength=len(three_modes_1d()))
    return {"steps": steps.numpy(), "states": xs.numpy(), "guesses": x0s.numpy(), "landed": landed.tolist(),
            "modes": three_modes_1d().means[:, 0].tolist()}


# ---------------------------------------------------------------- 3. regurgitation

def memorization_summary(run: MemorizationRun) -> dict:
    """A MemorizationRun as numpy arrays and floats (for the cache and the session state)."""
    out = {"train": run.train.numpy(), "network_samples": run.network_samples.numpy(),
           "ideal_samples": run.ideal_samples.numpy(), "fresh_distances": run.network.fresh_distances.numpy(),
           "radius": run.network.radius, "fresh_share": run.network.fresh_share}
    for key, m in (("network", run.network), ("ideal", run.ideal)):
        out[f"{key}_distances"] = m.sample_distances.numpy()
        out[f"{key}_share"] = m.copy_share
    return out


def memorization(n_train: int, seed: int = 0) -> dict:
    """The regurgitation dial at N = n_train: the shipped network trained on those points, and their ideal denoiser."""
    return live_memorization(shipped.denoiser(f"memo_{n_train}"), n_train, seed)


def live_memorization(den: Denoiser, n_train: int, seed: int = 0) -> dict:
    """The same for a network trained live on the n_train points."""
    return memorization_summary(memorization_run(den, n_train, seed))
