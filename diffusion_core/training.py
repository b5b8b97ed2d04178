"""Training loops written as generators that yield progress records.

The caller builds the network, then iterates `train(...)`; each record carries the step, the
loss and the elapsed time, so a page can draw a progress bar or stop early without the core
knowing about the page. The network is trained in place.
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass
from typing import Iterator

import torch

from . import schedules
from .models import EpsMLP


@dataclass
class TrainRecord:
    """Progress after `step` of `total` optimisation steps."""

    step: int
    total: int
    loss: float  # smoothed training loss (MSE on eps)
    elapsed: float  # seconds since training started
    lr: float

    @property
    def fraction(self) -> float:
        return min(1.0, self.step / max(self.total, 1))


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation settings; the defaults train the dino model to the project's bar in seconds."""

    batch_size: int = 512
    lr: float = 1e-2
    warmup: int = 50
    ema_decay: float = 0.995
    log_every: int = 25


def _calibrate_steps(one_step, seconds: float, trial_steps: int = 20) -> tuple[int, float]:
    """Run a few steps to measure their cost; return (total steps that fit in `seconds`, trial time)."""
    t0 = time.perf_counter()
    for _ in range(trial_steps):
        one_step(0)
    per_step = (time.perf_counter() - t0) / trial_steps
    return max(trial_steps + 1, int(seconds / per_step)), per_step * trial_steps


def train(net: EpsMLP, data: torch.Tensor, *, steps: int | None = None, seconds: float | None = None,
          seed: int = 0, jitter: float = 0.0, config: TrainConfig = TrainConfig()) -> Iterator[TrainRecord]:
    """Denoising training, Ho et al. 2020 Algorithm 1: regress eps from (x_t, t) with MSE.

    Give `steps` for a reproducible run, `seconds` for a time budget (the step count is then
    measured on this machine), or both (the budget stops the fixed schedule early). Batches are
    drawn from `data` (N, d) with replacement, plus Gaussian `jitter`. Adam with linear warm-up
    and cosine decay; at the end the network holds an exponential moving average of its weights.
    """
    if steps is None and seconds is None:
        raise ValueError("give steps, seconds, or both")
    if len(data) == 0 or not torch.isfinite(data).all():
        raise ValueError("training data must be a non-empty set of finite points")
    g = torch.Generator().manual_seed(seed)
    schedule = schedules.make(net.config.schedule, net.config.T)
    sqrt_ab, sqrt_1m_ab = schedule.alpha_bar.sqrt(), (1 - schedule.alpha_bar).sqrt()
    opt = torch.optim.Adam(net.parameters(), lr=config.lr)
    ema = copy.deepcopy(net).requires_grad_(False)
    net.train()

    def one_step(step: int, total: int = 1) -> float:
        frac = step / max(total, 1)
        lr = config.lr * min(1.0, (step + 1) / config.warmup) * 0.5 * (1 + math.cos(math.pi * frac))
        for group in opt.param_groups:
            group["lr"] = lr
        idx = torch.randint(len(data), (config.batch_size,), generator=g)
        x0 = data[idx] + jitter * torch.randn(config.batch_size, data.shape[1], generator=g)  # (B, d)
        t = torch.randint(schedule.T, (config.batch_size,), generator=g)  # (B,)
        eps = torch.randn(x0.shape, generator=g)
        x_t = sqrt_ab[t, None] * x0 + sqrt_1m_ab[t, None] * eps
        loss = (net(x_t, t) - eps).pow(2).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss.item()

    start = time.perf_counter()
    total = steps
    if total is None:
        # measure on a throwaway copy so the real run stays a function of (seed, steps)
        state = copy.deepcopy((net.state_dict(), opt.state_dict(), g.get_state()))
        total, _ = _calibrate_steps(one_step, seconds)
        net.load_state_dict(state[0])
        opt.load_state_dict(state[1])
        g.set_state(state[2])
        total = max(1, int(total * (seconds - (time.perf_counter() - start)) / seconds))
    deadline = start + seconds if seconds is not None else math.inf
    smooth = None
    ema_params, params = list(ema.parameters()), list(net.parameters())
    try:
        for step in range(total):
            loss = one_step(step, total)
            smooth = loss if smooth is None else 0.9 * smooth + 0.1 * loss
            decay = min(config.ema_decay, (1 + step) / (10 + step))
            with torch.no_grad():
                torch._foreach_lerp_(ema_params, params, 1 - decay)
            done = step + 1 == total or time.perf_counter() > deadline
            if (step + 1) % config.log_every == 0 or done:
                yield TrainRecord(step + 1, total, smooth, time.perf_counter() - start,
                                  opt.param_groups[0]["lr"])
            if done:
                break
    finally:  # also when the caller stops iterating early: keep the averaged weights
        net.load_state_dict(ema.state_dict())
        net.eval()
