"""What "Regurgitation" shows, one call per control: the page's plain values in, numpy and numbers out.

The page calls these through its cache (app_cache/copies.py); `bench.py` times the same calls.
"""

from __future__ import annotations

import torch

from ... import datasets, metrics, pretrained, samplers, schedules, shipped
from ...denoisers import Denoiser, MixtureDenoiser
from ...mixtures import EmpiricalSet
from .core import MEMO_FRESH, MEMO_SAMPLES, MEMO_STEPS, MemorizationRun, memorization_run

SEED = 0

# ---------------------------------------------------------------- the memorization dial

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


# ---------------------------------------------------------------- a point seen often

def repeated_run(den: Denoiser, copies: int, seed: int = 0) -> dict:
    """Samples of `den` (a network trained on datasets.repeated_set(DUP_N, copies)) and of the ideal denoiser
    of that set, and the share of each that lands on the repeated point: within the copy radius of it (a tenth
    of the median distance from fresh data to the set, as for copies above), against the share of the set it
    makes up and what fresh data scores."""
    n_set = pretrained.DUP_N
    train = datasets.repeated_set(n_set, copies)
    fresh = datasets.load("ring8", MEMO_FRESH, seed=20_000 + seed)
    sigmas = schedules.grid(schedules.shipped("cosine"), MEMO_STEPS)
    x_net = samplers.sample(den, MEMO_SAMPLES, sigmas, sampler="ddpm", seed=seed)
    x_ideal = samplers.sample(MixtureDenoiser(EmpiricalSet(train)), MEMO_SAMPLES, sigmas, sampler="ddpm", seed=seed)
    radius = metrics.COPY_FACTOR * float(metrics.nearest_distances(fresh, train).median())
    on = lambda x: float((torch.cdist(x.float(), train[:1]).squeeze(1) < radius).float().mean())  # noqa: E731
    return {"copies": copies, "set_share": copies / n_set, "network_share": on(x_net), "ideal_share": on(x_ideal),
            "fresh_share": on(fresh), "radius": radius, "point": train[0].numpy(), "train": train.numpy(),
            "network_samples": x_net.numpy(), "ideal_samples": x_ideal.numpy()}


def repeated(copies: int, seed: int = 0) -> dict:
    """`repeated_run` of the shipped network trained with the point `copies` times."""
    return repeated_run(shipped.denoiser(pretrained.dup_model(copies)), copies, seed)


def repeated_curve(seed: int = 0) -> dict:
    """The share of samples on the repeated point at every shipped number of copies, network and ideal."""
    runs = [repeated(k, seed) for k in pretrained.DUP_COPIES]
    return {key: [r[key] for r in runs] for key in ("copies", "set_share", "network_share", "ideal_share",
                                                      "fresh_share")}
