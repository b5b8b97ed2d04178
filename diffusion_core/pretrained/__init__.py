"""Shipped weights, so every page renders at once, and the recipe that remakes them.

Each entry names a dataset, a model configuration and a fixed number of training steps; with
the seed that makes the run deterministic on one machine (`python -m diffusion_core pretrain`
rewrites the files). Loading uses torch.load(weights_only=True): no pickled code.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from .. import datasets, training
from ..models import EpsMLP, ModelConfig, load_checkpoint, save_checkpoint

DIR = Path(__file__).parent


@dataclass(frozen=True)
class Recipe:
    """How one shipped model is trained."""

    title: str
    dataset: str
    config: ModelConfig
    steps: int
    seed: int = 0


RECIPES: dict[str, Recipe] = {
    # the project's reference model: Fourier features, cosine schedule
    "dino": Recipe("Fourier features, cosine schedule", "dino", ModelConfig(), steps=6000),
    # the ablation ladder of the T-Rex story, each rung one change from the one before,
    # all on Ho et al.'s linear schedule except the last
    "ladder_none": Recipe("No time input", "dino",
                          ModelConfig(time_input="none", fourier_features=0, schedule="linear"), 3000),
    "ladder_linear": Recipe("Time as t / T", "dino",
                            ModelConfig(time_input="linear", fourier_features=0, schedule="linear"), 3000),
    "ladder_fourier": Recipe("Fourier features", "dino", ModelConfig(schedule="linear"), 3000),
    "ladder_gentle": Recipe("Fourier features, gentler schedule", "dino",
                            ModelConfig(schedule="gentle", T=50), 3000),
}
LADDER = ("ladder_none", "ladder_linear", "ladder_fourier", "ladder_gentle")


def path(name: str) -> Path:
    if name not in RECIPES:
        raise ValueError(f"unknown pretrained model {name!r}; valid names: {', '.join(RECIPES)}")
    return DIR / f"{name}.pt"


def load(name: str) -> tuple[EpsMLP, dict]:
    """The shipped network called `name` and its metadata (steps, seconds, seed, dataset)."""
    return load_checkpoint(path(name))


def trainer(name: str, *, steps: int | None = None, seconds: float | None = None):
    """A fresh network for recipe `name` and the training generator for it (training.train).

    With neither steps nor seconds, the recipe's own step count: the run that made the shipped file.
    """
    path(name)  # raises the clear error for an unknown name
    recipe = RECIPES[name]
    net = EpsMLP(recipe.config)
    data, jitter = datasets.training_set(recipe.dataset, recipe.seed)
    if steps is None and seconds is None:
        steps = recipe.steps
    return net, training.train(net, data, steps=steps, seconds=seconds, seed=recipe.seed, jitter=jitter)


def train_job(name: str, *, steps: int | None = None, seconds: float | None = None):
    """`trainer` as one job for `worker.Worker`: yields the training records, returns the weights.

    The weights come back as numpy arrays (a plain pickle through the pipe, no shared memory);
    `torch.from_numpy` each to load them.
    """
    net, run = trainer(name, steps=steps, seconds=seconds)
    yield from run
    return {k: v.numpy() for k, v in net.state_dict().items()}


def remake(name: str, on_record=None) -> dict:
    """Retrain the shipped model `name` from its recipe and overwrite its file; returns its metadata."""
    net, run = trainer(name)
    start = time.perf_counter()
    for record in run:
        if on_record is not None:
            on_record(record)
    recipe = RECIPES[name]
    meta = {"name": name, "title": recipe.title, "dataset": recipe.dataset, "steps": recipe.steps,
            "seed": recipe.seed, "seconds": round(time.perf_counter() - start, 2)}
    save_checkpoint(net, path(name), meta)
    return meta
