"""Shipped weights, so every page renders at once, and the recipe that remakes them.

Each entry names a dataset, a model configuration and a fixed number of training steps; with
the seed that makes the run deterministic on one machine (`python -m diffusion_core pretrain`
rewrites the files). Loading uses torch.load(weights_only=True): no pickled code.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import torch

from .. import datasets, schedules, training
from ..denoisers import NetDenoiser
from ..models import EpsMLP, ModelConfig, load_checkpoint, save_checkpoint
from ..topics.flow import core as flow
from ..topics.modes import generators
from ..topics.objective import core as objective
from ..topics.spectra import convnet

DIR = Path(__file__).parent


@dataclass(frozen=True)
class Recipe:
    """How one shipped model is trained."""

    title: str
    dataset: str
    config: ModelConfig
    steps: int
    seed: int = 0
    n_points: int | None = None  # train on datasets.memorization_set(n_points) instead of the full set
    copies: int = 1  # with n_points: its first point repeated this many times (datasets.repeated_set)
    noise: float | str = 0.0  # where training draws its steps: a log-SNR shift (0: uniform) or "elbo" (objective.levels)
    objective: str = "diffusion"  # "diffusion" (eps, x0 or v by the config's target), "flow" or "reflow" (topics/flow)
    parent: str | None = None  # reflow: the flow model whose (noise, sample) pairs it trains on, from its weights


# "Means and modes": three generators per data set on the same budget (steps, batch, width, depth);
# each name is also the recipe of its diffusion model
COMPARED = ("ring8", "two_gaussians", "dino")
DINO_STEPS = 6000  # the reference dino model's training
COMPARE_STEPS = {"ring8": 3000, "two_gaussians": 3000, "dino": DINO_STEPS}
# "Means and modes", regurgitation: the same network trained on nested sets of ring8 points
MEMO_SIZES = (5, 10, 20, 50, 100, 200, 500, 1000, 2000)
MEMO_STEPS = 4000
# "Means and modes", a point seen often: one of DUP_N ring8 points repeated k times (k = 1 is memo_200)
DUP_N, DUP_COPIES = 200, (1, 5, 20, 50, 100)


RECIPES: dict[str, Recipe] = {
    # the project's reference model: Fourier features, cosine schedule
    "dino": Recipe("Fourier features, cosine schedule", "dino", ModelConfig(), steps=DINO_STEPS),
    # the ablation ladder of the T-Rex story: each rung one change from the one before, all on Ho et al.'s
    # linear schedule until the last rung changes the schedule; and the gentle schedule as an ablation
    "ladder_none": Recipe("No time input", "dino",
                          ModelConfig(time_input="none", fourier_features=0, schedule="linear"), 3000),
    "ladder_linear": Recipe("Time as t / T", "dino",
                            ModelConfig(time_input="linear", fourier_features=0, schedule="linear"), 3000),
    "ladder_embedding": Recipe("Time as a sinusoidal embedding", "dino",
                               ModelConfig(time_input="fourier", fourier_features=0, schedule="linear"), 3000),
    "ladder_fourier": Recipe("Fourier features of the coordinates", "dino", ModelConfig(schedule="linear"), 3000),
    "ladder_cosine": Recipe("Cosine schedule", "dino", ModelConfig(), 3000),
    "ladder_gentle": Recipe("Gentle schedule (an ablation)", "dino", ModelConfig(schedule="gentle", T=50), 3000),
    # "Means and modes": the diffusion side of the comparison, the 1D mixture, the memorization dial
    "ring8": Recipe("Diffusion, ring of 8", "ring8", ModelConfig(), COMPARE_STEPS["ring8"]),
    "two_gaussians": Recipe("Diffusion, two Gaussians", "two_gaussians", ModelConfig(),
                            COMPARE_STEPS["two_gaussians"]),
    "modes_1d": Recipe("Diffusion, three modes in 1D", "three_modes_1d", ModelConfig(dim=1), 3000),
    **{f"memo_{n}": Recipe(f"Diffusion on {n:,} ring-of-8 points", "ring8", ModelConfig(), MEMO_STEPS, n_points=n)
       for n in MEMO_SIZES},
    **{f"dup_{k}": Recipe(f"Diffusion on {DUP_N} ring-of-8 points, one of them {k} times", "ring8", ModelConfig(),
                          MEMO_STEPS, n_points=DUP_N, copies=k) for k in DUP_COPIES if k > 1},
}
# "Where the loss comes from": the reference dino network trained with each prediction target and each draw of noise
# levels, several seeds each, on a short budget (where training spends its steps shows before every setting converges)
LOSS_NOISES: tuple = (objective.ELBO, -4.0, -2.0, 0.0, 2.0, 4.0)
LOSS_SEEDS = (0, 1, 2)
LOSS_STEPS = 2000


def loss_model(target: str, noise, seed: int = 0) -> str:
    """The shipped model of "Where the loss comes from" for a target, a noise-level draw and a seed."""
    token = noise if isinstance(noise, str) else f"shift{int(noise):+d}"
    return f"loss_{target}_{token}_s{seed}"


def _noise_title(noise) -> str:
    return "steps drawn in proportion to the ELBO weights" if isinstance(noise, str) else (
        "steps drawn uniformly" if noise == 0 else f"log-SNR of the draw shifted by {noise:+g}")


RECIPES.update({
    loss_model(target, noise, seed): Recipe(f"{target}-prediction, {_noise_title(noise)}", "dino",
                                            ModelConfig(target=target, seed=seed), LOSS_STEPS, seed=seed, noise=noise)
    for target in objective.TARGETS for noise in LOSS_NOISES for seed in LOSS_SEEDS})
LOSS_MODELS = tuple(name for name in RECIPES if name.startswith("loss_"))


def measured_meta(net: EpsMLP) -> dict:
    """objective.measured of a network (sampling seed 0) as plain floats: what a "loss_" file stores in its meta."""
    m = objective.measured(NetDenoiser(net))
    return {"coarse": float(m["coarse"]), "detail": float(m["detail"]), "error": [float(e) for e in m["error"]]}


# "Flow matching": the reference dino network trained with the flow-matching loss on the same budget, and reflowed
# (trained again, from its weights, on REFLOW_PAIRS (noise, sample) pairs of its own ODE)
FLOW_SETS = ("dino", "ring8")
REFLOW_STEPS, REFLOW_PAIRS, REFLOW_ODE_STEPS = 3000, 4096, 100
for _name in FLOW_SETS:  # the same steps as the set's eps-model (RECIPES[_name])
    RECIPES[f"flow_{_name}"] = Recipe("Flow matching", _name, ModelConfig(), COMPARE_STEPS[_name], objective="flow")
    RECIPES[f"reflow_{_name}"] = Recipe("Flow matching, reflowed once", _name, ModelConfig(), REFLOW_STEPS,
                                        objective="reflow", parent=f"flow_{_name}")

# "Guidance": one network for the 13 sets of the Datasaurus Dozen, with a label (and a null label, for the
# unconditional model: training drops the label at training.LABEL_DROP)
GUIDE, GUIDE_STEPS = "guide_dozen", 8000
RECIPES[GUIDE] = Recipe("Class-conditional, the Datasaurus Dozen", datasets.DOZEN,
                        ModelConfig(classes=len(datasets.DOZEN_NAMES), hidden=128), GUIDE_STEPS)
GUIDE_VIEWS = "guide_views"  # the Guidance page's samples and measures of every shape, made with guide_dozen


LADDER = ("ladder_none", "ladder_linear", "ladder_embedding", "ladder_fourier", "ladder_cosine")
ABLATION = "ladder_gentle"  # the Fourier-features rung on a schedule that never reaches pure noise


@dataclass(frozen=True)
class GenRecipe:
    """How one shipped one-shot generator is trained (generators.py): by MSE regression or as a GAN."""

    kind: str  # "mse" or "gan"
    dataset: str
    steps: int
    config: generators.GenConfig = generators.GenConfig()
    seed: int = 0


GEN_KINDS = ("mse", "gan")
GEN_RECIPES: dict[str, GenRecipe] = {f"{kind}_{name}": GenRecipe(kind, name, COMPARE_STEPS[name])
                                     for kind in GEN_KINDS for name in COMPARED}
CONV = "conv_photos"  # the convolutional denoiser of "Spectral bands", trained on patches of the photographs
CONV_STEPS = 6000
# "Means and modes", GANs are hard to train: the ring8 diffusion model's weights at the GAN's snapshot steps
GROWTH = {"ring8_growth": "ring8"}
ALL = (*RECIPES, *GEN_RECIPES, CONV, *GROWTH, GUIDE_VIEWS)  # the views after the weights


def path(name: str) -> Path:
    if name not in ALL:
        raise ValueError(f"unknown pretrained model {name!r}; valid names: {', '.join(ALL)}")
    return DIR / f"{name}.pt"


def dup_model(copies: int) -> str:
    """The shipped model trained on DUP_N points with one of them `copies` times (1: the plain set, memo_200)."""
    return f"memo_{DUP_N}" if copies == 1 else f"dup_{copies}"


def _training_data(recipe: Recipe) -> tuple:
    if recipe.n_points is not None and recipe.copies > 1:
        return datasets.repeated_set(recipe.n_points, recipe.copies, recipe.dataset), 0.0
    if recipe.n_points is not None:
        return datasets.memorization_set(recipe.n_points, recipe.dataset), 0.0
    return datasets.training_set(recipe.dataset, recipe.seed)


def load(name: str) -> tuple[EpsMLP, dict]:
    """The shipped network called `name` and its metadata (steps, seconds, seed, dataset)."""
    return load_checkpoint(path(name))


def trainer(name: str, *, steps: int | None = None, seconds: float | None = None, snapshots: int = 0):
    """A fresh network for recipe `name` and the training generator for it (training.train).

    With neither steps nor seconds, the recipe's own step count: the run that made the shipped file.
    """
    if name not in RECIPES:
        raise ValueError(f"unknown diffusion model {name!r}; valid names: {', '.join(RECIPES)}")
    recipe = RECIPES[name]
    net = EpsMLP(recipe.config)
    data, jitter = _training_data(recipe)
    if steps is None and seconds is None:
        steps = recipe.steps
    if recipe.objective == "flow":
        return net, flow.train_flow(net, data, steps=steps, seconds=seconds, seed=recipe.seed, jitter=jitter)
    if recipe.objective == "reflow":
        parent, _ = load(recipe.parent)
        noise, samples = reflow_pairs(flow.FlowDenoiser(parent))
        net.load_state_dict(parent.state_dict())
        return net, flow.train_flow(net, samples, noise=noise, steps=steps, seconds=seconds, seed=recipe.seed)
    levels = None  # uniform steps, drawn as every other recipe draws them
    if recipe.noise != 0:
        schedule = schedules.make(recipe.config.schedule, recipe.config.T)
        levels = torch.from_numpy(objective.levels(schedule, recipe.noise))
    labels = datasets.DOZEN_LABELS if recipe.config.classes else None  # the one labelled set (GUIDE)
    return net, training.train(net, data, steps=steps, seconds=seconds, seed=recipe.seed, jitter=jitter,
                               snapshots=snapshots, levels=levels, labels=labels)


def reflow_pairs(model: flow.FlowDenoiser, n: int = REFLOW_PAIRS, seed: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    """(noise, sample) pairs of a flow model's own ODE (REFLOW_ODE_STEPS Euler steps from t = 1 to 0), float32:
    what reflow trains on (Liu et al. 2023, Algorithm 1). Seed 1, apart from the pages' seed-0 runs."""
    noise = flow.start_noise(n, seed)
    end = flow.integrate(model.velocity, noise, flow.uniform_times(REFLOW_ODE_STEPS))[-1]
    return noise.float(), end.float()


def train_job(name: str, *, steps: int | None = None, seconds: float | None = None):
    """`trainer` as one job for `worker.Worker`: yields the training records, returns the weights.

    The weights come back as numpy arrays (a plain pickle through the pipe, no shared memory);
    `torch.from_numpy` each to load them.
    """
    net, run = trainer(name, steps=steps, seconds=seconds)
    yield from run
    return {k: v.numpy() for k, v in net.state_dict().items()}


# ---------------------------------------------------------------- one-shot generators

def load_generator(name: str) -> tuple[generators.GenConfig, list[generators.Snapshot], dict]:
    """The shipped generator `name` (GEN_RECIPES): config, snapshots over training (one for MSE), metadata."""
    if name not in GEN_RECIPES:
        raise ValueError(f"unknown generator {name!r}; valid names: {', '.join(GEN_RECIPES)}")
    _, config, snapshots, meta = generators.load(path(name))
    return config, snapshots, meta


def generator_job(name: str, *, steps: int | None = None, seconds: float | None = None):
    """Train generator recipe `name` from scratch, as one job for `worker.Worker`.

    Yields training records; returns the snapshots as [(step, {name: numpy array})]: a GAN's
    snapshots over training, or the MSE generator's final weights alone.
    """
    if name not in GEN_RECIPES:
        raise ValueError(f"unknown generator {name!r}; valid names: {', '.join(GEN_RECIPES)}")
    recipe = GEN_RECIPES[name]
    if steps is None and seconds is None:
        steps = recipe.steps
    gen = generators.Generator(recipe.config)
    if recipe.kind == "gan":
        data, jitter = datasets.training_set(recipe.dataset, recipe.seed)
        snaps = yield from generators.train_gan(gen, data, steps=steps, seconds=seconds, seed=recipe.seed,
                                                jitter=jitter)
    else:
        record = None
        # the MSE generator regresses fixed (z, x) pairs: draw the pairs' points without jitter
        pairs = datasets.load(recipe.dataset, datasets.TRAINING_N, seed=recipe.seed)
        for record in generators.train_mse(gen, pairs, steps=steps, seconds=seconds, seed=recipe.seed):
            yield record
        snaps = [generators.Snapshot(record.step if record else 0, gen.state_dict())]
    return [(s.step, {k: v.numpy() for k, v in s.state.items()}) for s in snaps]


def snapshots_from_job(result) -> list[generators.Snapshot]:
    """`generator_job`'s return value as Snapshots of torch tensors."""
    return [generators.Snapshot(step, {k: torch.from_numpy(v) for k, v in state.items()}) for step, state in result]


def denoiser_of(name: str, net: EpsMLP) -> NetDenoiser | flow.FlowDenoiser:
    """A network of recipe `name` as a denoiser: NetDenoiser for a diffusion recipe, FlowDenoiser for a flow one."""
    return NetDenoiser(net) if RECIPES[name].objective == "diffusion" else flow.FlowDenoiser(net)


def net_from_job(name: str, state: dict) -> EpsMLP:
    """The network of recipe `name` holding `train_job`'s returned weights, in eval mode."""
    net = EpsMLP(RECIPES[name].config)
    net.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
    return net.eval()


def conv_job(*, steps: int | None = None, seconds: float | None = None):
    """Train the convolutional denoiser from scratch on the photographs' patches, as one worker job;
    returns its weights as numpy arrays. With neither steps nor seconds, the shipped run (CONV_STEPS)."""
    net = convnet.ConvDenoiser()
    if steps is None and seconds is None:
        steps = CONV_STEPS
    yield from training.train(net, convnet.patches(), steps=steps, seconds=seconds, config=convnet.TRAIN_CONFIG)
    return {k: v.numpy() for k, v in net.state_dict().items()}


def load_conv() -> tuple[convnet.ConvDenoiser, dict]:
    """The shipped convolutional denoiser and its metadata."""
    return convnet.load(path(CONV))


def conv_from_job(state: dict) -> convnet.ConvDenoiser:
    """A ConvDenoiser holding `conv_job`'s returned weights, in eval mode."""
    net = convnet.ConvDenoiser()
    net.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
    return net.eval()


def remake(name: str, on_record=None) -> dict:
    """Retrain the shipped model `name` from its recipe and overwrite its file; returns its metadata."""
    if name in GEN_RECIPES:
        return _remake_generator(name, on_record)
    if name == CONV:
        return _remake_conv(on_record)
    if name in GROWTH:
        return _remake_growth(name, on_record)
    if name == GUIDE_VIEWS:
        return _remake_guide_views()
    net, run = trainer(name)
    start = time.perf_counter()
    for record in run:
        if on_record is not None:
            on_record(record)
    recipe = RECIPES[name]
    meta = {"name": name, "title": recipe.title, "dataset": recipe.dataset, "steps": recipe.steps,
            "seed": recipe.seed, "seconds": round(time.perf_counter() - start, 2)}
    if name in LOSS_MODELS:  # the page compares all of them at once: measured here, checked again by the tests
        meta["measured"] = measured_meta(net)
    save_checkpoint(net, path(name), meta)
    return meta


def run_job(job, on_record=None):
    """Drive a training job generator to its end, passing each record on; returns the job's result."""
    while True:
        try:
            record = next(job)
        except StopIteration as done:
            return done.value
        if on_record is not None:
            on_record(record)


def _remake_generator(name: str, on_record=None) -> dict:
    recipe = GEN_RECIPES[name]
    start = time.perf_counter()
    snapshots = snapshots_from_job(run_job(generator_job(name), on_record))
    meta = {"name": name, "kind": recipe.kind, "dataset": recipe.dataset, "steps": recipe.steps,
            "seed": recipe.seed, "seconds": round(time.perf_counter() - start, 2)}
    generators.save(path(name), recipe.kind, recipe.config, snapshots, meta)
    return meta


def _remake_conv(on_record=None) -> dict:
    start = time.perf_counter()
    net = conv_from_job(run_job(conv_job(), on_record))
    meta = {"name": CONV, "dataset": "photographs", "steps": CONV_STEPS, "seed": 0,
            "seconds": round(time.perf_counter() - start, 2)}
    convnet.save(net, path(CONV), meta)
    return meta


def _remake_guide_views() -> dict:
    from ..topics.guidance import views  # it reads the shipped weights through this module

    start = time.perf_counter()
    made = views.save(path(GUIDE_VIEWS))
    views.forget_shipped()
    return {"name": GUIDE_VIEWS, "shapes": len(views.SHAPES), "weights": made["weights"][:12],
            "seconds": round(time.perf_counter() - start, 2)}


# ---------------------------------------------------------------- a diffusion model's weights along its training

def _remake_growth(name: str, on_record=None) -> dict:
    """The recipe GROWTH[name] trained again, keeping its averaged weights GEN_SNAPSHOTS times along the way."""
    recipe_name = GROWTH[name]
    start = time.perf_counter()
    _, run = trainer(recipe_name, snapshots=generators.SNAPSHOTS)
    kept = run_job(run, on_record)
    meta = {"name": name, "recipe": recipe_name, "steps": RECIPES[recipe_name].steps,
            "seconds": round(time.perf_counter() - start, 2)}
    torch.save({"format": 1, "recipe": recipe_name, "meta": meta,
                "snapshots": [{"step": step, "state_dict": state} for step, state in kept]}, path(name))
    return meta


def load_growth(name: str) -> tuple[str, list[tuple[int, EpsMLP]], dict]:
    """(recipe name, [(training step, network in eval mode)], metadata) of a GROWTH file; weights_only."""
    if name not in GROWTH:
        raise ValueError(f"unknown growth file {name!r}; valid names: {', '.join(GROWTH)}")
    try:
        blob = torch.load(path(name), map_location="cpu", weights_only=True)
        nets = []
        for snap in blob["snapshots"]:
            net = EpsMLP(RECIPES[blob["recipe"]].config)
            net.load_state_dict(snap["state_dict"])
            nets.append((int(snap["step"]), net.eval()))
    except FileNotFoundError:
        raise
    except Exception as e:
        raise ValueError(f"{path(name)} is not a valid growth file ({type(e).__name__})") from e
    return blob["recipe"], nets, dict(blob.get("meta", {}))
