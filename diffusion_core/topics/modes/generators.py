"""One-shot generators for "Means and modes": noise in, data out, in a single network call.

Two ways to train the same MLP G(z), z ~ N(0, I):

- `train_mse`: regression. Every training point x_i is paired once with a random z_i, and G
  minimises E|G(z) - x|^2. The minimiser of a squared error is a conditional mean, G(z) =
  E[x | z]; z says nothing about which point it was paired with, so the best a smooth G can do
  is an average of many points: a blur around the middle of the data, not samples of it.
- `train_gan`: the non-saturating GAN of Goodfellow et al. (2014). A discriminator D learns to
  tell data from G's output and G learns to fool it. Nothing pulls G towards every mode, so it
  tends to cover a few and hop between them (mode collapse; Metz et al. 2017 use the ring of 8
  Gaussians to show it). The run keeps snapshots so a page can scrub through training.

Both are generators that yield `training.TrainRecord`s, like `training.train`, and both leave
the final weights in the network. The same width and depth as the diffusion model's MLP.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterator

import torch
from torch import nn
from torch.nn import functional as F

from ... import training

FORMAT = 1
SNAPSHOTS = 12  # how many times a GAN run keeps the generator's weights (the page's slider)


@dataclass(frozen=True)
class GenConfig:
    """An MLP generator z -> x and, for a GAN, its discriminator x -> logit."""

    noise_dim: int = 2
    hidden: int = 64
    depth: int = 3
    dim: int = 2
    seed: int = 0  # seeds the initial weights

    def __post_init__(self):
        if min(self.noise_dim, self.hidden, self.depth, self.dim) < 1:
            raise ValueError("noise_dim, hidden, depth and dim must be >= 1")


def _mlp(sizes: list[int], act: type[nn.Module]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(itertools.pairwise(sizes)):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(act())
    return nn.Sequential(*layers)


class Generator(nn.Module):
    """G(z): depth hidden layers of width `hidden` (SiLU), from noise_dim to dim."""

    def __init__(self, config: GenConfig):
        super().__init__()
        self.config = config
        with torch.random.fork_rng():
            torch.manual_seed(config.seed)
            self.net = _mlp([config.noise_dim] + [config.hidden] * config.depth + [config.dim], nn.SiLU)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)

    @torch.no_grad()
    def sample(self, n: int, seed: int = 0) -> torch.Tensor:
        """n outputs for fresh noise z ~ N(0, I), deterministic in seed; shape (n, dim)."""
        z = torch.randn(n, self.config.noise_dim, generator=torch.Generator().manual_seed(seed))
        return self.eval()(z)


class Discriminator(nn.Module):
    """D(x), a logit: the generator's shape mirrored, LeakyReLU(0.2) as in Radford et al. (2016)."""

    def __init__(self, config: GenConfig):
        super().__init__()
        with torch.random.fork_rng():
            torch.manual_seed(config.seed + 1)
            self.net = _mlp([config.dim] + [config.hidden] * config.depth + [1], lambda: nn.LeakyReLU(0.2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(-1)


@dataclass(frozen=True)
class GenTrainConfig:
    batch_size: int = 512
    lr: float = 1e-3
    log_every: int = 25


def train_mse(gen: Generator, data: torch.Tensor, *, steps: int | None = None, seconds: float | None = None,
              seed: int = 0, config: GenTrainConfig = GenTrainConfig()) -> Iterator[training.TrainRecord]:
    """Regress data from noise: pair each row of `data` (N, d) with one fixed z_i, minimise |G(z_i) - x_i|^2.

    Adam with the same warm-up and cosine decay as the diffusion model.
    """
    training.check_data(data)
    g = torch.Generator().manual_seed(seed)
    z_all = torch.randn(len(data), gen.config.noise_dim, generator=g)  # (N, noise_dim), fixed pairs
    opt = torch.optim.Adam(gen.parameters(), lr=config.lr)
    budget = training.Budget(steps, seconds)  # the clock starts here: a process's first optimiser imports for seconds
    schedule = training.TrainConfig(lr=config.lr)

    def step_fn(step: int, lr: float) -> float:
        idx = torch.randint(len(data), (config.batch_size,), generator=g)
        return training.descend(opt, (gen(z_all[idx]) - data[idx]).pow(2).sum(1).mean(), lr)

    gen.train()
    try:
        yield from training.loop(step_fn, budget, lambda step, share: training.learning_rate(schedule, step, share),
                                 log_every=config.log_every)
    finally:
        gen.eval()


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """-log D(x) - log(1 - D(G(z))) averaged, with D = sigmoid(logit): softplus(-real) + softplus(fake)."""
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def generator_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """The non-saturating generator loss -log D(G(z)) = softplus(-logit), averaged."""
    return F.softplus(-fake_logits).mean()


@dataclass
class Snapshot:
    """The generator's weights after `step` training steps."""

    step: int
    state: dict[str, torch.Tensor]


def train_gan(gen: Generator, data: torch.Tensor, *, steps: int | None = None, seconds: float | None = None,
              seed: int = 0, jitter: float = 0.0, snapshots: int = SNAPSHOTS, lr: float = 1e-3,
              batch_size: int = 512, log_every: int = 25) -> Iterator[training.TrainRecord]:
    """Non-saturating GAN training (Goodfellow et al. 2014, sec. 3): one D step, then one G step.

    D minimises softplus(-D(x)) + softplus(D(G(z))), the cross-entropy of telling data from fakes;
    G minimises softplus(-D(G(z))). Adam(lr, betas = (0.5, 0.999)) for both, at a constant rate.
    Returns (as the generator's value) exactly `snapshots` Snapshots, taken as the run passes each
    of `snapshots` evenly spaced shares of its budget, the last one at its end.
    """
    training.check_data(data)
    g = torch.Generator().manual_seed(seed)
    disc = Discriminator(gen.config)
    opt_g = torch.optim.Adam(gen.parameters(), lr=lr, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(disc.parameters(), lr=lr, betas=(0.5, 0.999))
    budget = training.Budget(steps, seconds)  # the clock starts once the optimisers are built (see train_mse)
    on_step, kept = training.keeper(snapshots, gen.state_dict)

    def step_fn(step: int, rate: float) -> float:
        idx = torch.randint(len(data), (batch_size,), generator=g)
        real = data[idx] + jitter * torch.randn(batch_size, data.shape[1], generator=g)
        fake = gen(torch.randn(batch_size, gen.config.noise_dim, generator=g))
        training.descend(opt_d, discriminator_loss(disc(real), disc(fake.detach())))
        return training.descend(opt_g, generator_loss(disc(fake)))

    gen.train()
    try:
        yield from training.loop(step_fn, budget, lambda step, share: lr, log_every=log_every, on_step=on_step)
        return [Snapshot(step, state) for step, state in kept]
    finally:
        gen.eval()


# ---------------------------------------------------------------- files

def save(path: str | Path, kind: str, config: GenConfig, snapshots: list[Snapshot], meta: dict) -> None:
    """Plain tensors and dicts only, so `load` can use weights_only=True."""
    torch.save({"format": FORMAT, "kind": kind, "config": asdict(config),
                "snapshots": [{"step": s.step, "state_dict": s.state} for s in snapshots], "meta": dict(meta)}, path)


def load(path: str | Path) -> tuple[str, GenConfig, list[Snapshot], dict]:
    """(kind, config, snapshots, meta) of a generator file; bad files raise ValueError."""
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
        kind, config = blob["kind"], GenConfig(**blob["config"])
        snaps = [Snapshot(int(s["step"]), s["state_dict"]) for s in blob["snapshots"]]
    except FileNotFoundError:
        raise
    except Exception as e:
        raise ValueError(f"{path} is not a valid generator file ({type(e).__name__})") from e
    if blob.get("format") != FORMAT or not snaps:
        raise ValueError(f"{path} is not a generator file of this version")
    return kind, config, snaps, dict(blob.get("meta", {}))


def build(config: GenConfig, snapshot: Snapshot) -> Generator:
    """A generator holding the snapshot's weights, in eval mode."""
    gen = Generator(config)
    gen.load_state_dict(snapshot.state)
    return gen.eval()
