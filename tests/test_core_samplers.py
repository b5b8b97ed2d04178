"""Samplers with the exact denoiser of a Gaussian must recover that Gaussian."""

import pytest
import torch

from diffusion_core import models, samplers, schedules
from diffusion_core.mixtures import GaussianMixture

GAUSS = GaussianMixture(torch.tensor([[0.8, -0.5]]), torch.tensor([0.4]), torch.tensor([1.0]))


@pytest.mark.parametrize("schedule", ["linear", "cosine"])
@pytest.mark.parametrize("sampler", ["ddim", "ddpm", "euler", "heun"])
def test_exact_eps_recovers_the_gaussian(schedule, sampler):
    den = models.MixtureDenoiser(GAUSS, schedules.make(schedule, 1000))
    x = samplers.sample(den, 20_000, sampler=sampler, seed=0)  # all 1,000 steps
    torch.testing.assert_close(x.mean(0), GAUSS.means[0], atol=0.015, rtol=0)
    torch.testing.assert_close(x.std(0), torch.full((2,), 0.4), atol=0.015, rtol=0)


@pytest.mark.parametrize("sampler", ["ddim", "ddpm", "euler", "heun"])
def test_discretisation_error_shrinks_with_more_steps(sampler):
    """Few steps under-disperse the samples; the error in the std falls as steps grow."""
    den = models.MixtureDenoiser(GAUSS, schedules.make("linear", 1000))
    errors = [float((samplers.sample(den, 20_000, sampler=sampler, steps=n, seed=0).std(0) - 0.4).abs().max())
              for n in (10, 50, 250)]
    assert errors[0] > errors[1] > errors[2]


def test_ddim_is_deterministic_given_the_start_and_ddpm_given_the_seed():
    den = models.MixtureDenoiser(GAUSS, schedules.make("linear", 100))
    a = samplers.sample(den, 50, sampler="ddpm", seed=3)
    b = samplers.sample(den, 50, sampler="ddpm", seed=3)
    c = samplers.sample(den, 50, sampler="ddpm", seed=4)
    assert torch.equal(a, b) and not torch.equal(a, c)
    x = torch.randn(50, 2)
    d1 = list(samplers.ddim(den, x.clone(), 20, generator=torch.Generator().manual_seed(1)))[-1].x
    d2 = list(samplers.ddim(den, x.clone(), 20, generator=torch.Generator().manual_seed(2)))[-1].x
    assert torch.equal(d1, d2)


def test_steps_yield_x_x0_hat_t_sigma():
    den = models.MixtureDenoiser(GAUSS, schedules.make("cosine", 200))
    steps = list(samplers.ddpm(den, torch.randn(8, 2), 25))
    assert len(steps) == 25
    assert [s.t for s in steps] == samplers.timesteps(200, 25)
    assert all(s.x.shape == (8, 2) and s.x0_hat.shape == (8, 2) for s in steps)
    assert steps[0].sigma > 0.99 and steps[-1].sigma < 0.05
    torch.testing.assert_close(steps[-1].x, steps[-1].x0_hat)  # the last step lands on x0_hat


@pytest.mark.parametrize("sampler", samplers.NAMES)
def test_trajectory_stacks_the_same_run_as_sample(sampler):
    den = models.MixtureDenoiser(GAUSS, schedules.make("linear", 50))
    xs, x0s, ts = samplers.trajectory(den, 5, sampler=sampler, steps=10, seed=7)
    assert xs.shape == (11, 5, 2) and x0s.shape == (10, 5, 2) and len(ts) == 10
    assert torch.equal(xs[-1], samplers.sample(den, 5, sampler=sampler, steps=10, seed=7))


@pytest.mark.parametrize("T,steps", [(1000, 50), (1000, 1), (50, 50), (50, 200), (10, None)])
def test_timesteps_run_from_noisiest_to_cleanest(T, steps):
    ts = samplers.timesteps(T, steps)
    assert ts[0] == T - 1
    assert ts[-1] == (T - 1 if steps == 1 else 0)  # a single step jumps from x_T straight to x0_hat
    assert all(a > b for a, b in zip(ts, ts[1:]))
    assert len(ts) == min(steps or T, T)


def test_unknown_sampler_lists_the_valid_names():
    with pytest.raises(ValueError, match="ddpm, ddim"):
        samplers.get("euler-maruyama-deluxe")


def test_an_euler_step_on_the_probability_flow_ode_is_a_ddim_step():
    """Song et al. 2021, sec. 4.3: DDIM is Euler's method on the ODE in the VE variables."""
    den = models.MixtureDenoiser(GAUSS, schedules.make("cosine", 1000))
    a = samplers.sample(den, 200, sampler="ddim", steps=20, seed=1)
    b = samplers.sample(den, 200, sampler="euler", steps=20, seed=1)
    torch.testing.assert_close(a, b, atol=1e-3, rtol=1e-3)


def test_heun_converges_faster_than_euler():
    """Second order against first: doubling the steps halves Euler's error in the spread and cuts Heun's by
    more, so Heun pulls ahead (measured: 0.044 and 0.020 at 16 steps, 0.022 and 0.006 at 32)."""
    den = models.MixtureDenoiser(GAUSS, schedules.make("cosine", 1000))

    def err(name, n):
        return float((samplers.sample(den, 20_000, sampler=name, steps=n, seed=0).std(0) - 0.4).abs().max())

    e16, e32 = {n: err(n, 16) for n in ("euler", "heun")}, {n: err(n, 32) for n in ("euler", "heun")}
    assert e32["heun"] < 0.5 * e32["euler"]
    assert e16["heun"] / e32["heun"] > 1.3 * e16["euler"] / e32["euler"]
