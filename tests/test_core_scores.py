"""Score fields: the learned-score conversion, the four dynamics, denoising score matching, the 1D
noised density. References: closed-form mixture scores, autograd, Monte Carlo, stationary moments.

(The mixture score itself is checked against autograd of its log density at several sigmas in
test_core_mixtures.py.)
"""

import math

import pytest
import torch

from diffusion_core import datasets, metrics, mixtures, schedules
from diffusion_core.denoisers import MixtureDenoiser
from diffusion_core.topics.modes.core import exact_denoiser_1d
from diffusion_core.topics.scores import core as scores

COSINE = schedules.make("cosine", 1000)


def _one_gaussian(mean: float, std: float) -> mixtures.GaussianMixture:
    return mixtures.GaussianMixture(torch.tensor([[mean]]), torch.tensor([std]), torch.tensor([1.0]))


def test_learned_score_of_the_exact_denoiser_is_the_mixture_score():
    """(D - x) / sigma^2 at the schedule's nearest level, for a denoiser that is exact, is the closed-form score."""
    mix = datasets.mixture("ring8")
    den = MixtureDenoiser(mix)
    x = 2 * torch.randn(200, 2, generator=torch.Generator().manual_seed(0))
    for sigma in (0.05, 0.3, 2.0):
        got, sigma_t = scores.learned_score(den, x, sigma, COSINE)
        exact = mix.score(x, sigma_t)
        assert abs(math.log(sigma_t / sigma)) < 0.05
        assert float((got - exact).norm() / exact.norm()) < 1e-3, sigma


def test_the_trained_level_is_the_schedules_nearest_in_log_scale():
    sig = COSINE.sigma
    for t in (0, 10, 500, 999):
        assert scores.trained_level(None, float(sig[t]) * 1.001, COSINE) == float(sig[t])
    assert scores.trained_level(None, 1e-9, COSINE) == float(sig[0])


def test_relative_error_of_the_exact_denoiser_is_zero():
    mix = datasets.mixture("two_gaussians")
    rel, scale = scores.relative_error(mix, MixtureDenoiser(mix), 0.3, schedule=COSINE)
    assert rel < 1e-3 and scale > 0


def test_langevin_with_the_exact_score_reaches_the_right_mean_and_variance():
    target = _one_gaussian(1.0, 0.5)
    x0 = torch.zeros(4000, 1)
    xs = scores.langevin(lambda x, s: target.score(x, s), x0, 1500, 0.005, 0.0,
                         generator=torch.Generator().manual_seed(0))
    end = xs[-1, :, 0]
    # the unadjusted chain's stationary variance is v / (1 - eps / (2 v)): 0.2506 here, not 0.25
    assert abs(float(end.mean()) - 1.0) < 0.03 and abs(float(end.var()) - 0.25) < 0.02


def test_noise_free_ascent_ends_on_a_mode_centre():
    mix = datasets.mixture("two_gaussians")
    x0 = torch.randn(300, 2, generator=torch.Generator().manual_seed(1))
    for run in (scores.ascent(lambda x, s: mix.score(x, s), x0, 300, 0.01, 0.05),
                scores.adam(lambda x, s: mix.score(x, s), x0, 2000, 0.01, 0.05)):
        assert torch.cdist(run[-1], mix.means).min(1).values.max() < 0.01


def test_noise_scale_zero_turns_langevin_into_ascent():
    mix = datasets.mixture("two_gaussians")
    x0 = torch.randn(50, 2, generator=torch.Generator().manual_seed(2))
    score = lambda x, s: mix.score(x, s)  # noqa: E731
    assert torch.equal(scores.langevin(score, x0, 20, 0.01, 0.1, noise_scale=0.0),
                       scores.ascent(score, x0, 20, 0.01, 0.1))


def test_annealing_recovers_the_weights_that_plain_langevin_gets_wrong():
    """The bar, at the page's default settings: annealed within 0.05 of 1/5 : 4/5, plain Langevin visibly not."""
    mix = datasets.mixture("two_gaussians")
    run = scores.follow(mix, steps=500, step_size=0.005, noise_scale=1.0)

    def weights(x):
        cov = metrics.mode_coverage(x, mix)
        return cov.shares / cov.shares.sum()

    assert (weights(run.final["Annealed Langevin"]) - mix.weights).abs().max() < 0.05
    assert (weights(run.final["Langevin"]) - mix.weights).abs().max() > 0.15
    assert run.frames[0] == 0 and run.frames[-1] == 500 and len(run.frames) <= 101
    assert all(v.shape == (len(run.frames), 1000, 2) for v in run.states.values())


def test_annealed_langevin_spreads_its_steps_over_the_ladder_with_song_and_ermon_step_sizes():
    seen = []

    def score(x, s):
        seen.append(s)
        return torch.zeros_like(x)

    sigmas = scores.sigma_ladder(2.0, 0.5, 3)
    assert sigmas == pytest.approx([2.0, 1.0, 0.5])
    x = torch.zeros(20000, 1)
    run = scores.annealed_langevin(score, x, 7, 0.01, sigmas, generator=torch.Generator().manual_seed(0))
    assert seen == [2.0] * 3 + [1.0] * 2 + [0.5] * 2
    # with a zero score each step adds variance 2 a_i, a_i = 0.01 sigma_i^2 / sigma_L^2: 0.16, 0.04, 0.01
    assert abs(float(run[-1].var()) - 2 * (3 * 0.16 + 2 * 0.04 + 2 * 0.01)) < 0.05


def test_run_away_flags_infinite_nan_and_distant_particles():
    x = torch.tensor([[0.0, 1.0], [float("nan"), 0.0], [float("inf"), 1.0], [2e3, 0.0], [999.0, 0.0]])
    assert scores.run_away(x).tolist() == [False, True, True, True, False]
    mix = datasets.mixture("two_gaussians")
    start = torch.randn(10, 2, generator=torch.Generator().manual_seed(3))
    blown = scores.ascent(lambda x, s: mix.score(x, s), start, 100, 0.5, 0.1)
    assert scores.run_away(blown[-1]).all(), "a step far above 2 (s^2 + sigma^2) overshoots every time"


def test_running_together_equals_running_each_alone():
    """One score call per step with a per-particle sigma gives the same runs as four separate loops."""
    mix = datasets.mixture("two_gaussians")
    x0 = torch.randn(64, 2, generator=torch.Generator().manual_seed(4))
    sigmas = scores.sigma_ladder(3.0, 0.1, 5)

    def steppers():
        return [scores.ascent_stepper(0.01, 0.1), scores.adam_stepper(0.01, 0.1),
                scores.langevin_stepper(0.01, 0.1, 1.0, torch.Generator().manual_seed(5)),
                scores.annealed_stepper(40, 0.005, sigmas, 1.0, torch.Generator().manual_seed(6))]

    together = scores.run_together(mix.score, x0, 40, steppers())
    alone = [scores.run_together(mix.score, x0, 40, [st])[0] for st in steppers()]
    for a, b in zip(together, alone):
        assert torch.allclose(a, b, atol=1e-5)


def test_a_reused_adam_stepper_starts_from_zero_moments():
    mix = datasets.mixture("two_gaussians")
    x0 = torch.randn(32, 2, generator=torch.Generator().manual_seed(7))
    stepper = scores.adam_stepper(0.05, 0.1)
    first = scores.run_together(mix.score, x0, 30, [stepper])[0]
    again = scores.run_together(mix.score, x0, 30, [stepper])[0]
    assert torch.equal(first, again)


def test_step_limit_is_where_ascent_starts_to_overshoot():
    """For one Gaussian of variance v = s^2 + sigma^2 ascent contracts iff a < 2 v: just below the limit
    it settles, just above it the distance to the mode grows."""
    one = _one_gaussian(0.0, 0.3)
    limit = scores.step_limit(one, 0.1)
    assert limit == pytest.approx(2 * (0.09 + 0.01))
    x0 = torch.tensor([[1.0]])
    below = scores.ascent(lambda x, s: one.score(x, s), x0, 400, 0.95 * limit, 0.1)[-1].abs()
    above = scores.ascent(lambda x, s: one.score(x, s), x0, 400, 1.05 * limit, 0.1)[-1].abs()
    assert float(below) < 1e-3 and float(above) > 1.0


def test_follow_flags_the_samplers_whose_step_overshoots():
    mix = datasets.mixture("two_gaussians")
    ok = scores.follow(mix, steps=20, step_size=0.005, noise_scale=1.0, n=50)
    assert not any(ok.overshoots.values())
    annealed_only = scores.follow(mix, steps=20, step_size=0.05, noise_scale=1.0, n=50)
    assert annealed_only.overshoots == {"Gradient ascent": False, "Adam": False, "Langevin": False,
                                        "Annealed Langevin": True}
    big = scores.follow(mix, steps=20, step_size=0.5, noise_scale=1.0, n=50)
    assert big.overshoots == {"Gradient ascent": True, "Adam": False, "Langevin": True, "Annealed Langevin": True}


def test_annealing_needs_a_step_per_level():
    with pytest.raises(ValueError, match="at least"):
        scores.annealed_stepper(3, 0.01, scores.sigma_ladder(3.0, 0.1, 10))


def test_dsm_average_target_is_the_score_of_the_noised_set():
    pts = datasets.load("ring8", 30, seed=4)
    x = torch.tensor([0.3, -0.8], requires_grad=True)
    sigma = 0.4
    pic = scores.dsm_picture(pts, x.detach(), sigma)
    assert torch.allclose(pic.weights.sum(), torch.tensor(1.0))
    log_p = mixtures.EmpiricalSet(pts).log_prob(x[None, :], sigma)[0]
    (grad,) = torch.autograd.grad(log_p, x)
    assert torch.allclose(pic.score, grad, atol=1e-4)


def test_marginal_density_integrates_to_one_and_matches_monte_carlo():
    mix = mixtures.three_modes_1d()
    sched = schedules.make("cosine", 1000)
    grid = torch.linspace(-5, 5, 1001)
    steps = [0, 300, 700, 999]
    dens = scores.marginal_log_density(mix, sched, grid, steps).double().exp()
    assert torch.allclose(torch.trapezoid(dens, grid.double(), dim=1), torch.ones(4, dtype=torch.float64), atol=1e-3)
    g = torch.Generator().manual_seed(0)
    x0 = mix.sample(200_000, g)[:, 0]
    edges = torch.linspace(-3, 3, 13)
    for row, t in enumerate(steps):
        ab = sched.alpha_bar[t]
        xt = ab.sqrt() * x0 + (1 - ab).sqrt() * torch.randn(len(x0), generator=g)
        hist = torch.histogram(xt, edges).hist / len(xt)
        fine = (grid >= -3) & (grid <= 3)
        cum = torch.cat([torch.zeros(1, dtype=torch.float64),
                         torch.cumulative_trapezoid(dens[row][fine], grid[fine].double())])
        binned = cum[::50][1:] - cum[::50][:-1]
        assert torch.allclose(binned.float(), hist, atol=0.005), t


def test_field_view_shapes_and_the_exact_network_has_no_error():
    mix = datasets.mixture("ring8")
    v = scores.field_view(mix, MixtureDenoiser(mix), 0.3, lim=2.0, n=9, schedule=COSINE)
    assert v.points.shape == (81, 2) and v.log_density.shape == (9, 9) and v.error_map.shape == (9, 9)
    assert float(v.error_map.max()) < 1e-3 and v.relative_error < 1e-3
    assert torch.allclose(v.points[1], torch.tensor([-1.5, -2.0]))  # x varies fastest, as the heat map expects


def test_ode_sde_view_runs_both_samplers_from_the_same_starts_over_the_whole_time_axis():
    v = scores.ode_sde_view(exact_denoiser_1d(), mixtures.three_modes_1d(), COSINE, 20, 5)
    assert int(v.density_steps[0]) == 1000 and int(v.density_steps[-1]) == 1
    assert v.log_density.shape == (len(v.density_steps), len(v.grid))
    (sde_steps, sde), (ode_steps, ode) = v.paths["ddpm"], v.paths["ddim"]
    assert torch.equal(sde[0], ode[0]) and sde.shape == ode.shape == (21, 5)
    assert int(sde_steps[0]) == 1000 and int(sde_steps[-1]) == 0 and torch.equal(sde_steps, ode_steps)
