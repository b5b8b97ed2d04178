"""Samplers with the exact denoiser of a Gaussian must recover that Gaussian, on any grid of noise levels;
the one sampler loop must reproduce the VP DDIM and DDPM updates it replaced."""

import itertools
import math

import pytest
import torch

from diffusion_core import denoisers, pretrained, samplers, schedules
from diffusion_core.mixtures import GaussianMixture

GAUSS = GaussianMixture(torch.tensor([[0.8, -0.5]]), torch.tensor([0.4]), torch.tensor([1.0]))
EXACT = denoisers.MixtureDenoiser(GAUSS)


def _errors(x: torch.Tensor) -> tuple[float, float]:
    """Largest error of the samples' mean and of their std against the Gaussian's closed form."""
    return float((x.mean(0) - GAUSS.means[0]).abs().max()), float((x.std(0) - 0.4).abs().max())


@pytest.mark.parametrize("schedule", ["linear", "cosine"])
@pytest.mark.parametrize("sampler", ["ddim", "ddpm", "euler", "heun"])
def test_exact_denoiser_recovers_the_gaussian_on_the_schedules_own_steps(schedule, sampler):
    sigmas = schedules.grid(schedules.make(schedule, 1000))  # all 1,000 steps
    mean_err, std_err = _errors(samplers.sample(EXACT, 20_000, sigmas, sampler=sampler, seed=0))
    assert mean_err < 0.015 and std_err < 0.015


@pytest.mark.parametrize("spacing", ["karras", "log-linear"])
@pytest.mark.parametrize("sampler", ["ddim", "ddpm", "euler", "heun"])
def test_exact_denoiser_recovers_the_gaussian_on_other_grids(spacing, sampler):
    """1,000 levels between the cosine schedule's smallest and largest sigma, spaced as Karras et al. (rho = 7)
    or evenly in log sigma: every sampler lands on N(m, 0.4^2) within 0.015 (measured: DDPM's std is off by
    0.0064 on the Karras grid, the others by 0.0025 or less; with 200 levels DDPM is off by 0.031, with 50 by
    0.097: the error is discretisation, and it falls as the levels grow)."""
    sigmas = schedules.grid(schedules.make("cosine", 1000), 1000, spacing)
    assert len(sigmas) == 1001 and sigmas[-1] == 0
    mean_err, std_err = _errors(samplers.sample(EXACT, 20_000, sigmas, sampler=sampler, seed=0))
    assert mean_err < 0.015 and std_err < 0.015, (mean_err, std_err)


def test_the_grids_follow_their_formulas():
    sched = schedules.make("cosine", 1000)
    hi, lo = float(sched.sigma[-1]), float(sched.sigma[0])
    k = schedules.grid(sched, 5, "karras")
    ramp = torch.linspace(0, 1, 5, dtype=torch.float64)
    torch.testing.assert_close(k[:-1], (hi ** (1 / 7) + ramp * (lo ** (1 / 7) - hi ** (1 / 7))) ** 7)
    g = schedules.grid(sched, 5, "log-linear")
    torch.testing.assert_close(g[:-1].log().diff(), torch.full((4,), math.log(lo / hi) / 4, dtype=torch.float64))
    s = schedules.grid(sched, 10)
    torch.testing.assert_close(s[:-1], sched.sigma[schedules.timesteps(1000, 10)])
    with pytest.raises(ValueError, match="strided, log-linear, karras"):
        schedules.grid(sched, 5, "quadratic")


@pytest.mark.parametrize("sampler", ["ddim", "ddpm", "euler", "heun"])
def test_discretisation_error_shrinks_with_more_steps(sampler):
    """Few steps under-disperse the samples; the error in the std falls as steps grow."""
    sched = schedules.make("linear", 1000)
    errors = [_errors(samplers.sample(EXACT, 20_000, schedules.grid(sched, n), sampler=sampler, seed=0))[1]
              for n in (10, 50, 250)]
    assert errors[0] > errors[1] > errors[2]


def test_ddim_is_deterministic_given_the_start_and_ddpm_given_the_seed():
    sigmas = schedules.grid(schedules.make("linear", 100))
    a = samplers.sample(EXACT, 50, sigmas, sampler="ddpm", seed=3)
    b = samplers.sample(EXACT, 50, sigmas, sampler="ddpm", seed=3)
    c = samplers.sample(EXACT, 50, sigmas, sampler="ddpm", seed=4)
    assert torch.equal(a, b) and not torch.equal(a, c)
    x = samplers.prior(50, 2, float(sigmas[0]))
    twenty = schedules.grid(schedules.make("linear", 100), 20)
    d1 = list(samplers.ddim(EXACT, x.clone(), twenty, generator=torch.Generator().manual_seed(1)))[-1].x
    d2 = list(samplers.ddim(EXACT, x.clone(), twenty, generator=torch.Generator().manual_seed(2)))[-1].x
    assert torch.equal(d1, d2)


def test_steps_yield_x_x0_hat_and_sigma():
    """One record per noise level, the denoiser's answer at that state, and last the sample at sigma = 0."""
    sigmas = schedules.grid(schedules.make("cosine", 200), 25)
    steps = list(samplers.ddpm(EXACT, samplers.prior(8, 2, float(sigmas[0])), sigmas))
    assert len(steps) == 26
    assert [s.sigma for s in steps] == sigmas.tolist()
    assert all(s.x.shape == (8, 2) and s.x0_hat.shape == (8, 2) for s in steps)
    for s in steps[:-1]:
        torch.testing.assert_close(s.x0_hat, GAUSS.posterior_mean(s.x, s.sigma))
    assert steps[0].sigma > 1000 and steps[-1].sigma == 0
    torch.testing.assert_close(steps[-1].x, steps[-2].x0_hat)  # the last step lands on x0_hat
    torch.testing.assert_close(steps[3].vp, steps[3].x / math.sqrt(1 + steps[3].sigma ** 2))


@pytest.mark.parametrize("sampler", samplers.NAMES)
def test_trajectory_stacks_the_same_run_as_sample(sampler):
    sigmas = schedules.grid(schedules.make("linear", 50), 10)
    xs, x0s, sig = samplers.trajectory(EXACT, 5, sigmas, sampler=sampler, seed=7)
    assert xs.shape == (11, 5, 2) and x0s.shape == (10, 5, 2) and len(sig) == 11
    assert torch.equal(xs[-1], samplers.sample(EXACT, 5, sigmas, sampler=sampler, seed=7))
    ve, _, _ = samplers.trajectory(EXACT, 5, sigmas, sampler=sampler, seed=7, frame="ve")
    torch.testing.assert_close(xs[0], ve[0] * schedules.make("linear", 50).alpha_bar[-1].sqrt())


@pytest.mark.parametrize("T,steps", [(1000, 50), (1000, 1), (50, 50), (50, 200), (10, None)])
def test_timesteps_run_from_noisiest_to_cleanest(T, steps):
    ts = schedules.timesteps(T, steps)
    assert ts[0] == T - 1
    assert ts[-1] == (T - 1 if steps == 1 else 0)  # a single step jumps from x_T straight to x0_hat
    assert all(a > b for a, b in itertools.pairwise(ts))
    assert len(ts) == min(steps or T, T)


def test_unknown_sampler_lists_the_valid_names_and_bad_grids_are_refused():
    with pytest.raises(ValueError, match="ddpm, ddim"):
        samplers.get("euler-maruyama-deluxe")
    with pytest.raises(ValueError, match="end at 0"):
        list(samplers.ddim(EXACT, torch.zeros(2, 2), [3.0, 1.0]))
    with pytest.raises(ValueError, match="fall"):
        list(samplers.ddim(EXACT, torch.zeros(2, 2), [1.0, 3.0, 0.0]))
    with pytest.raises(ValueError, match="momentum"):
        list(samplers.heun(EXACT, torch.zeros(2, 2), [3.0, 1.0, 0.0], gamma=2.0))


def test_an_euler_step_on_the_probability_flow_ode_is_a_ddim_step():
    """Song et al. 2021, sec. 4.3: DDIM is Euler's method on the ODE in the sigma variables."""
    sigmas = schedules.grid(schedules.make("cosine", 1000), 20)
    a = samplers.sample(EXACT, 200, sigmas, sampler="ddim", seed=1)
    b = samplers.sample(EXACT, 200, sigmas, sampler="euler", seed=1)
    torch.testing.assert_close(a, b, atol=1e-3, rtol=1e-3)


def test_heun_converges_faster_than_euler():
    """Second order against first: doubling the steps halves Euler's error in the spread and cuts Heun's by
    more, so Heun pulls ahead (measured: 0.044 and 0.020 at 16 steps, 0.022 and 0.006 at 32)."""
    sched = schedules.make("cosine", 1000)

    def err(name, n):
        return _errors(samplers.sample(EXACT, 20_000, schedules.grid(sched, n), sampler=name, seed=0))[1]

    e16, e32 = {n: err(n, 16) for n in ("euler", "heun")}, {n: err(n, 32) for n in ("euler", "heun")}
    assert e32["heun"] < 0.5 * e32["euler"]
    assert e16["heun"] / e32["heun"] > 1.3 * e16["euler"] / e32["euler"]


# ---------------------------------------------------------------- the loop against the VP updates it replaced

def _vp_reference(net, schedule, n: int, steps: int, seed: int, eta: float) -> torch.Tensor:
    """Song et al. 2021, eq. 12, written in the VP frame with the raw eps-network, as the project sampled
    before the loop moved to noise levels: x_prev = sqrt(ab_prev) x0_hat + sqrt(1 - ab_prev - s^2) eps + s z,
    with x0_hat clipped to +-4 and eps recomputed from it. In float64 around the float32 network: at t = T
    x0_hat = (x_t - sqrt(1 - ab) eps) / sqrt(ab) divides a float32 rounding by sqrt(ab_T) ~ 5e-5 (the old
    float32 code and the new loop differ there by up to 8e-5 in a few of 1,000 coordinates at the end)."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 2, generator=g).double()
    ab = schedule.alpha_bar.double()
    ts = schedules.timesteps(schedule.T, steps)
    with torch.no_grad():
        for i, t in enumerate(ts):
            ab_t, ab_prev = ab[t], ab[ts[i + 1]] if i + 1 < len(ts) else torch.tensor(1.0, dtype=torch.float64)
            eps = net(x.float(), torch.tensor([t])).double()
            x0 = ((x - (1 - ab_t).sqrt() * eps) / ab_t.sqrt()).clamp(-4, 4)
            eps = (x - ab_t.sqrt() * x0) / (1 - ab_t).sqrt()
            s = eta * ((1 - ab_prev) / (1 - ab_t) * (1 - ab_t / ab_prev)).clamp_min(0).sqrt()
            x = ab_prev.sqrt() * x0 + (1 - ab_prev - s**2).clamp_min(0).sqrt() * eps
            if s > 0:
                x = x + s * torch.randn(x.shape, generator=g).double()
    return x.float()


@pytest.mark.parametrize("steps", [5, 50, 1000])
def test_ddim_in_the_loop_equals_the_vp_ddim_on_the_shipped_dino_model(steps):
    net = pretrained.load("dino")[0]
    den = denoisers.NetDenoiser(net)
    ref = _vp_reference(net, den.schedule, 500, steps, 3, eta=0.0)
    new = samplers.sample(den, 500, schedules.grid(den.schedule, steps), sampler="ddim", seed=3)
    torch.testing.assert_close(new, ref, atol=1e-5, rtol=0)


def test_ddpm_in_the_loop_follows_the_vp_ddpm_on_the_shipped_dino_model():
    """The same random draws in the same order: the ancestral sampler matches the VP one step for step (the
    two only differ by float32 rounding, which 100 noisy steps do not amplify)."""
    net = pretrained.load("dino")[0]
    den = denoisers.NetDenoiser(net)
    ref = _vp_reference(net, den.schedule, 500, 100, 4, eta=1.0)
    new = samplers.sample(den, 500, schedules.grid(den.schedule, 100), sampler="ddpm", seed=4)
    torch.testing.assert_close(new, ref, atol=1e-4, rtol=0)


def test_momentum_changes_only_what_it_should():
    """gamma = 1 is the plain sampler exactly; gamma != 1 takes the same first step and differs after it."""
    sigmas = schedules.grid(schedules.make("linear", 1000), 10)
    x = samplers.prior(30, 2, float(sigmas[0]), torch.Generator().manual_seed(5))
    plain = [s.x for s in samplers.ddim(EXACT, x, sigmas)]
    one = [s.x for s in samplers.ddim(EXACT, x, sigmas, gamma=1.0)]
    two = [s.x for s in samplers.ddim(EXACT, x, sigmas, gamma=2.0)]
    assert all(torch.equal(a, b) for a, b in zip(plain, one))
    torch.testing.assert_close(plain[1], two[1])
    assert not torch.allclose(plain[2], two[2])
