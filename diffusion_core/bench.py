"""Benchmarks: `python -m diffusion_core bench TOPIC` prints one JSON object of seconds.

Every page's room has a `bench.py` (diffusion_core/topics/<topic>/bench.py) with a `run(repeats)` that
times the calls its page makes, through the same `views` and `figures` functions (uncached: the first
reader to ask for a setting pays this; the app caches it for everyone after). Adding a room adds its
bench; nothing here changes. The topic "training" is this module's own: training speed and the quality
of the dino model.
"""

from __future__ import annotations

import importlib
import pkgutil
import time
from pathlib import Path

import torch

from . import datasets, metrics, models, pretrained, samplers, schedules, training
from .denoisers import NetDenoiser

TOPICS_DIR = Path(__file__).parent / "topics"


def topics() -> tuple[str, ...]:
    """Every bench: "training", then each room that has a bench.py, in name order."""
    rooms = sorted(m.name for m in pkgutil.iter_modules([str(TOPICS_DIR)])
                   if (TOPICS_DIR / m.name / "bench.py").exists())
    return ("training", *rooms)


def module(topic: str):
    """The bench module of `topic`; an unknown topic raises ValueError naming the valid ones."""
    if topic not in topics():
        raise ValueError(f"unknown bench {topic!r}; valid: {', '.join(topics())}")
    if topic == "training":
        import sys

        return sys.modules[__name__]
    return importlib.import_module(f"diffusion_core.topics.{topic}.bench")


def run_topic(topic: str, repeats: int | None = None, **options) -> dict:
    """Run one bench: {"topic", "threads", "repeats", ...its figures}."""
    mod = module(topic)
    reps = repeats or getattr(mod, "REPEATS", 1)
    return {"topic": topic, "threads": torch.get_num_threads(), "repeats": reps, **mod.run(reps, **options)}


def median_seconds(fn, repeats: int) -> float:
    """Median wall time of `repeats` calls of fn, in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return round(sorted(times)[len(times) // 2], 4)


def figure(fig) -> int:
    """What Streamlit sends of a figure: its JSON; returns its size in bytes."""
    return len(fig.to_json())


# ---------------------------------------------------------------- the "training" bench

REPEATS = 1


def run(repeats: int, seconds: float = 10.0, seed: int = 0) -> dict:
    """Training speed and dino quality from scratch, the shipped model's quality, and sampling time."""
    result = {}
    net = models.EpsMLP(models.ModelConfig(seed=seed))
    record = None
    data, jitter = datasets.training_set("dino")
    for record in training.train(net, data, seconds=seconds, seed=seed, jitter=jitter):
        pass
    result["train"] = {"budget_seconds": seconds, "seconds": round(record.elapsed, 2), "steps": record.step,
                       "steps_per_second": round(record.step / record.elapsed, 1)}
    shipped_net, _ = pretrained.load("dino")
    for key, model in (("trained", net), ("shipped", shipped_net)):
        den = NetDenoiser(model)
        x = samplers.sample(den, 1000, schedules.grid(den.schedule), sampler="ddpm", seed=seed + 1)
        q = metrics.dino_quality(x, seed=seed)
        result[key] = {"ed": round(q.energy_distance, 5), "s2d": round(q.sample_to_data, 4),
                       "sampler": "ddpm, all T steps", "samples": 1000}
    floor = metrics.dino_quality(datasets.load("dino", 1000, seed=seed + 7), seed=seed)
    result["data_vs_data"] = {"ed": round(floor.energy_distance, 5), "s2d": round(floor.sample_to_data, 4)}
    den = NetDenoiser(shipped_net)
    fifty = schedules.grid(den.schedule, 50)
    samplers.sample(den, 100, fifty, sampler="ddim")  # warm-up
    result["sample_10000_ddim50_seconds"] = median_seconds(
        lambda: samplers.sample(den, 10_000, fifty, sampler="ddim", seed=seed), max(3, repeats))
    return result
