"""Training loops written as generators that yield progress records.

The caller builds the network, then iterates `train(...)`; each record carries the step, the
loss and the elapsed time, so a page can draw a progress bar or stop early without the core
knowing about the page. The network is trained in place.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import torch

from . import schedules
from .models import EpsMLP


@dataclass
class TrainRecord:
    """Progress after `step` optimisation steps."""

    step: int
    total: int | None  # the fixed step count, or None for a run bounded by time alone
    fraction: float  # share of the run done, by steps or by the time budget, whichever is further
    loss: float  # smoothed training loss (MSE on the network's target, eps unless its config says otherwise)
    elapsed: float  # seconds since training started
    lr: float
    preview: object = None  # samples of the model as it is at this step (n, d), when the job draws them


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation settings; the defaults train the dino model to the project's bar in seconds."""

    batch_size: int = 512
    lr: float = 1e-2
    warmup: int = 50
    ema_decay: float = 0.995
    log_every: int = 25


LABEL_DROP = 0.2  # a conditional network's share of unconditional examples (Ho and Salimans 2022 use 0.1 to 0.2)


def learning_rate(config: TrainConfig, step: int, fraction: float) -> float:
    """Linear warm-up over `config.warmup` steps, then cosine decay over the run's fraction."""
    return config.lr * min(1.0, (step + 1) / config.warmup) * 0.5 * (1 + math.cos(math.pi * min(fraction, 1.0)))


class Budget:
    """How far a run is: by steps, by seconds since it began, or both (whichever is further)."""

    def __init__(self, steps: int | None, seconds: float | None):
        if steps is None and seconds is None:
            raise ValueError("give steps, seconds, or both")
        self.steps, self.seconds = steps, seconds
        self.start = time.perf_counter()

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def fraction(self, step: int) -> float:
        by_steps = step / self.steps if self.steps is not None else 0.0
        by_time = self.elapsed / self.seconds if self.seconds is not None else 0.0
        return max(by_steps, by_time)

    def record(self, step: int, loss: float, lr: float) -> TrainRecord:
        """The progress record after `step` steps."""
        return TrainRecord(step, self.steps, min(1.0, self.fraction(step)), loss, self.elapsed, lr)


def check_data(data: torch.Tensor) -> None:
    if len(data) == 0 or not torch.isfinite(data).all():
        raise ValueError("training data must be a non-empty set of finite points")


def loop(step_fn: Callable[[int, float], float], budget: Budget, lr: Callable[[int, float], float], *,
         log_every: int = 25, on_step: Callable[[int, float, bool], None] | None = None) -> Iterator[TrainRecord]:
    """The skeleton every training here shares: `step_fn(step, lr)` takes one optimisation step and returns
    its loss, until the budget is spent; a record (with the loss smoothed) every `log_every` steps and at the
    end. `lr(step, fraction done)` is each step's learning rate; `on_step(steps taken, fraction, done)` runs
    after every step. Returns the number of steps taken."""
    step, smooth = 0, None
    while True:
        rate = lr(step, budget.fraction(step))
        loss = step_fn(step, rate)
        step += 1
        smooth = loss if smooth is None else 0.9 * smooth + 0.1 * loss
        share = budget.fraction(step)
        done = share >= 1.0
        if on_step is not None:
            on_step(step, share, done)
        if step % log_every == 0 or done:
            yield budget.record(step, smooth, rate)
        if done:
            return step


def keeper(count: int, state) -> tuple[Callable[[int, float, bool], None], list]:
    """An `on_step` for `loop` that keeps (steps taken, copy of state()) `count` times: as the run passes each of
    `count` evenly spaced shares of its budget, the last at its end (a step that passes several marks, a slow step
    in a timed run, is kept once per mark); and the list it fills."""
    kept: list = []

    def on_step(step: int, share: float, done: bool) -> None:
        while len(kept) < count and (done or share >= (len(kept) + 1) / count):
            kept.append((step, {k: v.detach().clone() for k, v in state().items()}))

    return on_step, kept


def descend(opt: torch.optim.Optimizer, loss: torch.Tensor, lr: float | None = None) -> float:
    """One optimiser step on `loss` (at learning rate `lr`, if given); returns the loss as a float."""
    if lr is not None:
        for group in opt.param_groups:
            group["lr"] = lr
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    return loss.item()


def regression_target(target: str, x0: torch.Tensor, eps: torch.Tensor, alpha_bar: torch.Tensor) -> torch.Tensor:
    """What a network predicting `target` regresses: eps, x0, or v = sqrt(ab) eps - sqrt(1 - ab) x0 (Salimans
    and Ho 2022), with one alpha_bar per row; shape of x0."""
    if target == "eps":
        return eps
    if target == "x0":
        return x0
    ab = alpha_bar.reshape(-1, 1).to(x0.dtype)
    return ab.sqrt() * eps - (1 - ab).sqrt() * x0


def train(net: EpsMLP, data: torch.Tensor, *, steps: int | None = None, seconds: float | None = None,
          seed: int = 0, jitter: float = 0.0, config: TrainConfig = TrainConfig(),
          snapshots: int = 0, levels: torch.Tensor | None = None, labels: torch.Tensor | None = None,
          label_drop: float = LABEL_DROP) -> Iterator[TrainRecord]:
    """Denoising training, Ho et al. 2020 Algorithm 1: regress eps (or the config's target) from (x_t, t) with MSE.

    Give `steps` for a reproducible run (same seed and steps, same weights), `seconds` for a
    time budget (the learning rate then decays with the elapsed share of the budget, so a busy
    machine gets fewer steps but a finished schedule), or both (whichever ends first). Batches
    are drawn from `data` (N, d) with replacement, plus Gaussian `jitter`. Adam with warm-up and
    cosine decay; the network ends up holding an exponential moving average of its weights,
    also when the caller stops iterating early. With `snapshots`, the generator returns that many
    (step, averaged weights) pairs taken along the way (`keeper`). Steps t are drawn uniformly, or with the
    probabilities `levels` (shape (T,)) when given; the network regresses `net.config.target` (eps when it has none).
    A class-conditional network (config.classes > 0) trains on `labels` (N,), one per row of `data`, each replaced
    by the null label with probability `label_drop`, so that one network learns both the conditional and the
    unconditional model (classifier-free guidance, Ho and Salimans 2022, Algorithm 1).
    """
    check_data(data)
    g = torch.Generator().manual_seed(seed)
    schedule = schedules.make(net.config.schedule, net.config.T)
    alpha_bar = schedule.alpha_bar  # (T,)
    target = getattr(net.config, "target", "eps")
    if levels is not None and (levels.shape != (schedule.T,) or not torch.isfinite(levels).all()
                               or (levels < 0).any() or levels.sum() <= 0):
        raise ValueError(f"levels must be {schedule.T} finite non-negative probabilities, not all zero")
    classes = getattr(net.config, "classes", 0)
    if classes and (labels is None or labels.shape != (len(data),) or labels.min() < 0 or labels.max() >= classes):
        raise ValueError(f"a class-conditional network needs one label in 0..{classes - 1} per training point")
    if not classes and labels is not None:
        raise ValueError("labels are for a class-conditional network (config.classes > 0)")
    opt, ema, average = averaged_adam(net, config)
    budget = Budget(steps, seconds)  # the clock starts here: a process's first optimiser imports for seconds

    def conditioning(idx: torch.Tensor) -> dict:
        if not classes:
            return {}
        dropped = torch.rand(len(idx), generator=g) < label_drop
        return {"y": torch.where(dropped, classes, labels[idx])}

    def step_fn(step: int, lr: float) -> float:
        idx = torch.randint(len(data), (config.batch_size,), generator=g)
        x0 = data[idx] + jitter * torch.randn(config.batch_size, data.shape[1], generator=g)  # (B, d)
        if levels is None:
            t = torch.randint(schedule.T, (config.batch_size,), generator=g)  # (B,)
        else:
            t = torch.multinomial(levels, config.batch_size, replacement=True, generator=g)
        eps = torch.randn(x0.shape, generator=g)
        x_t = schedules.q_sample(x0, eps, alpha_bar[t])
        goal = regression_target(target, x0, eps, alpha_bar[t])
        loss = descend(opt, (net(x_t, t, **conditioning(idx)) - goal).pow(2).mean(), lr)
        average(step)
        return loss

    return (yield from averaged_run(net, ema, step_fn, budget, config, snapshots))


def averaged_adam(net: torch.nn.Module, config: TrainConfig) -> tuple[torch.optim.Optimizer, torch.nn.Module,
                                                                      Callable[[int], None]]:
    """Adam on `net`'s weights, a copy of `net` that holds the exponential moving average of them, and
    `average(step)`, which folds the weights after `step` into the copy (a shorter memory early on)."""
    opt = torch.optim.Adam(net.parameters(), lr=config.lr)
    ema = copy.deepcopy(net).requires_grad_(False)
    ema_params, params = list(ema.parameters()), list(net.parameters())

    def average(step: int) -> None:
        with torch.no_grad():
            torch._foreach_lerp_(ema_params, params, 1 - min(config.ema_decay, (1 + step) / (10 + step)))

    return opt, ema, average


def averaged_run(net: torch.nn.Module, ema: torch.nn.Module, step_fn: Callable[[int, float], float], budget: Budget,
                 config: TrainConfig, snapshots: int = 0) -> Iterator[TrainRecord]:
    """`loop` over `step_fn` with the config's learning rates; `net` ends up holding the averaged weights `ema`
    (also when the caller stops early). Returns `snapshots` (step, averaged weights) pairs (`keeper`)."""
    on_step, kept = keeper(snapshots, ema.state_dict) if snapshots else (None, [])
    net.train()
    try:
        yield from loop(step_fn, budget, lambda step, share: learning_rate(config, step, share),
                        log_every=config.log_every, on_step=on_step)
        return kept
    finally:
        net.load_state_dict(ema.state_dict())
        net.eval()
