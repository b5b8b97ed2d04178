"""Training: progress records, determinism, early stop, and the dino quality bar at a fixed step count."""

import pytest
import torch

from diffusion_core import datasets, metrics, models, samplers, schedules, training
from diffusion_core.denoisers import NetDenoiser

SMALL = dict(hidden=32, depth=2, fourier_features=8)


def _train(steps, seed=0, data=None, **kw):
    net = models.EpsMLP(models.ModelConfig(**SMALL))
    data = datasets.load("ring8", 2000) if data is None else data
    records = list(training.train(net, data, steps=steps, seed=seed,
                                  config=training.TrainConfig(batch_size=128, log_every=10), **kw))
    return net, records


def test_records_count_up_and_the_loss_falls():
    net, records = _train(200)
    assert [r.step for r in records] == list(range(10, 201, 10))
    assert records[-1].total == 200 and records[-1].fraction == 1.0
    assert records[-1].loss < 0.8 * records[0].loss
    assert all(r.elapsed >= 0 for r in records) and not net.training


def test_same_seed_same_weights_other_seed_other_weights():
    a, _ = _train(30, seed=1)
    b, _ = _train(30, seed=1)
    c, _ = _train(30, seed=2)
    for (k, va), vb, vc in zip(a.state_dict().items(), b.state_dict().values(), c.state_dict().values()):
        assert torch.equal(va, vb), k
    assert any(not torch.equal(va, vc) for va, vc in zip(a.state_dict().values(), c.state_dict().values()))


def test_a_time_budget_alone_ends_the_run():
    net = models.EpsMLP(models.ModelConfig(**SMALL))
    records = list(training.train(net, datasets.load("moons", 500), seconds=0.5,
                                  config=training.TrainConfig(batch_size=64)))
    assert records[-1].total is None and records[-1].fraction == 1.0 and records[-1].elapsed >= 0.5


def test_stopping_early_keeps_the_averaged_weights():
    net = models.EpsMLP(models.ModelConfig(**SMALL))
    before = [p.clone() for p in net.parameters()]
    run = training.train(net, datasets.load("ring8", 500), steps=1000, config=training.TrainConfig(log_every=5))
    for record in run:
        if record.step >= 20:
            break
    run.close()
    assert record.step == 20 and not net.training
    assert any(not torch.equal(a, b) for a, b in zip(before, net.parameters()))


def test_bad_training_input_is_refused():
    net = models.EpsMLP(models.ModelConfig(**SMALL))
    with pytest.raises(ValueError, match="steps, seconds"):
        next(training.train(net, datasets.load("moons", 10)))
    with pytest.raises(ValueError, match="finite"):
        next(training.train(net, torch.tensor([[0.0, float("nan")]]), steps=5))


def test_the_default_recipe_reaches_the_dino_bar_in_2500_steps():
    """About what 10 s buys on 2 cores (see `python -m diffusion_core bench`)."""
    net = models.EpsMLP(models.ModelConfig())
    for _ in training.train(net, datasets.load("dino"), steps=2500, seed=0, jitter=datasets.DINO_JITTER):
        pass
    den = NetDenoiser(net)
    x = samplers.sample(den, 1000, schedules.grid(den.schedule), sampler="ddpm", seed=1)
    q = metrics.dino_quality(x)
    assert q.energy_distance <= 0.003 and q.sample_to_data <= 0.042, q
