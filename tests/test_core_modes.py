"""The maths of "Means and modes": one-shot generators, the 1D posterior in bins, memorization.

References are independent of the code under test: closed forms, BCE from torch, quadrature of
the pointwise posterior density, brute-force softmax in float64, and Monte Carlo.
"""

import math

import pytest
import torch
from torch.nn import functional as F

from diffusion_core import datasets, metrics, mixtures, schedules
from diffusion_core.denoisers import MixtureDenoiser
from diffusion_core.topics.copies import core as copies
from diffusion_core.topics.modes import core as modes
from diffusion_core.topics.modes import generators

# ---------------------------------------------------------------- generators

def test_generator_shapes_and_samples_are_deterministic_in_the_seed():
    gen = generators.Generator(generators.GenConfig(noise_dim=3, hidden=8, depth=2, dim=2, seed=1))
    assert gen(torch.randn(5, 3)).shape == (5, 2)
    assert torch.equal(gen.sample(7, seed=4), gen.sample(7, seed=4))
    assert not torch.equal(gen.sample(7, seed=4), gen.sample(7, seed=5))
    same = generators.Generator(generators.GenConfig(noise_dim=3, hidden=8, depth=2, dim=2, seed=1))
    assert torch.equal(same.sample(3), gen.sample(3)), "initial weights depend on the config's seed alone"
    assert generators.Discriminator(gen.config)(torch.randn(4, 2)).shape == (4,)


def test_gen_config_rejects_empty_layers():
    with pytest.raises(ValueError):
        generators.GenConfig(hidden=0)


def test_gan_losses_are_the_binary_cross_entropies():
    g = torch.Generator().manual_seed(0)
    real, fake = torch.randn(50, generator=g) * 3, torch.randn(60, generator=g) * 3
    bce = F.binary_cross_entropy(torch.sigmoid(real), torch.ones(50)) + \
        F.binary_cross_entropy(torch.sigmoid(fake), torch.zeros(60))
    assert torch.allclose(generators.discriminator_loss(real, fake), bce, atol=1e-5)
    assert torch.allclose(generators.generator_loss(fake), -torch.log(torch.sigmoid(fake)).mean(), atol=1e-5)


def test_mse_generator_learns_the_mean_when_noise_says_nothing():
    """Two far-apart clusters, each point paired with independent noise: E[x | z] = E[x], the midpoint."""
    g = torch.Generator().manual_seed(0)
    data = torch.cat([torch.full((500, 2), -2.0), torch.full((1500, 2), 2.0)]) + 0.05 * torch.randn(2000, 2, generator=g)
    gen = generators.Generator(generators.GenConfig(hidden=32, depth=2))
    for _ in generators.train_mse(gen, data, steps=600, seed=1):
        pass
    out = gen.sample(2000, seed=3)
    assert torch.allclose(out.mean(0), data.mean(0), atol=0.15), (out.mean(0), data.mean(0))  # (1, 1)
    assert out.std(0).max() < 0.5 * data.std(0).min(), "a blur around the mean, not samples of the clusters"
    assert not gen.training


def test_gan_run_keeps_evenly_spaced_snapshots_and_is_reproducible():
    data = datasets.load("ring8", 500, seed=0)

    def run():
        gen = generators.Generator(generators.GenConfig(hidden=16, depth=2))
        job = generators.train_gan(gen, data, steps=60, snapshots=4, batch_size=64, log_every=10)
        records = []
        while True:
            try:
                records.append(next(job))
            except StopIteration as done:
                return gen, records, done.value

    gen, records, snaps = run()
    assert [s.step for s in snaps] == [15, 30, 45, 60]
    assert len(records) == 6
    assert records[-1].step == 60 and records[-1].fraction == 1.0
    assert torch.equal(generators.build(gen.config, snaps[-1]).sample(10), gen.sample(10))
    _, _, again = run()
    assert all(torch.equal(a.state[k], b.state[k]) for a, b in zip(snaps, again) for k in a.state)
    assert not torch.equal(snaps[0].state["net.0.weight"], snaps[-1].state["net.0.weight"])


def test_a_timed_gan_run_keeps_exactly_the_snapshots_asked_for():
    gen = generators.Generator(generators.GenConfig(hidden=16, depth=2))
    job = generators.train_gan(gen, datasets.load("ring8", 500), seconds=0.3, snapshots=12, batch_size=64)
    while True:
        try:
            next(job)
        except StopIteration as done:
            snaps = done.value
            break
    assert len(snaps) == 12 and [s.step for s in snaps] == sorted(s.step for s in snaps)


def test_generator_files_round_trip_and_refuse_garbage(tmp_path):
    gen = generators.Generator(generators.GenConfig(hidden=8, depth=1))
    snap = generators.Snapshot(7, gen.state_dict())
    generators.save(tmp_path / "g.pt", "mse", gen.config, [snap], {"steps": 7})
    kind, config, snaps, meta = generators.load(tmp_path / "g.pt")
    assert (kind, config, [s.step for s in snaps], meta) == ("mse", gen.config, [7], {"steps": 7})
    (tmp_path / "bad.pt").write_bytes(b"not a torch file")
    with pytest.raises(ValueError, match="not a valid generator file"):
        generators.load(tmp_path / "bad.pt")


# ---------------------------------------------------------------- the 1D posterior in bins

@pytest.mark.parametrize("x, sigma", [(0.3, 2.0), (1.0, 0.5), (-1.2, 0.2), (2.5, 0.05)])
def test_posterior_bins_match_quadrature_of_the_pointwise_density(x, sigma):
    mix = mixtures.three_modes_1d()
    edges = torch.linspace(-4, 4, 33)
    bins = mix.bin_probabilities(edges, torch.tensor([x]), sigma).double()
    fine = torch.linspace(-4, 4, 32 * 400 + 1)
    dens = mix.posterior_log_density(fine[:, None], torch.tensor([x]), sigma).double().exp()
    cum = torch.cat([torch.zeros(1, dtype=torch.float64),
                     torch.cumulative_trapezoid(dens, fine.double())])  # integral from -4 to each point
    quad = cum[::400][1:] - cum[::400][:-1]
    assert torch.allclose(bins, quad, atol=2e-4), (bins - quad).abs().max()


def test_prior_bins_match_a_monte_carlo_histogram():
    mix = mixtures.three_modes_1d()
    edges = torch.linspace(-3.5, 3.5, 15)
    draws = mix.sample(200_000, torch.Generator().manual_seed(0))[:, 0]
    hist = torch.histogram(draws, edges).hist / len(draws)
    assert torch.allclose(mix.bin_probabilities(edges), hist, atol=0.004)


def test_posterior_components_match_importance_sampling_from_the_prior():
    """Monte Carlo: draw x0 from the prior, weight by the likelihood N(x; x0, sigma^2); compare mean and variance."""
    mix = mixtures.three_modes_1d()
    x0 = mix.sample(400_000, torch.Generator().manual_seed(1))[:, 0].double()
    for x, sigma in ((0.7, 1.3), (-0.4, 0.3), (1.3, 0.5)):
        w, m, s = mix.posterior_components(torch.tensor([x]), sigma)
        assert math.isclose(float(w.sum()), 1.0, rel_tol=1e-6) and (s > 0).all()
        mean = float(w.double() @ m[:, 0].double())
        var = float(w.double() @ (s.double() ** 2 + m[:, 0].double() ** 2)) - mean**2
        lik = torch.exp(-0.5 * (x - x0) ** 2 / sigma**2)
        mc_mean = float((lik * x0).sum() / lik.sum())
        mc_var = float((lik * x0**2).sum() / lik.sum()) - mc_mean**2
        assert abs(mean - mc_mean) < 0.01 and abs(var - mc_var) < 0.01 * max(var, 0.1), (x, sigma)


def test_posterior_view_goes_from_the_global_mean_to_the_noisy_value():
    """The two closed-form limits: sigma -> infinity gives the prior and its mean; sigma -> 0 gives x itself."""
    schedule = schedules.make("cosine", 1000)
    gm = float(mixtures.three_modes_1d().global_mean()[0])
    for x_t in (-1.7, 0.3, 1.3):
        late, early = modes.posterior_view(x_t, 999, schedule), modes.posterior_view(x_t, 0, schedule)
        assert abs(late.mean - gm) < 0.02 and late.learned_mean is None
        assert torch.allclose(late.posterior, late.prior, atol=0.01), "at t = T the posterior is the prior"
        assert abs(early.mean - early.observed) < 0.01 and abs(early.observed - x_t) < 0.001
        spread = lambda v: float((v.posterior * (v.centres - v.mean) ** 2).sum())  # noqa: E731
        assert spread(early) < 0.01 * spread(late)


def test_exact_reverse_runs_land_on_the_modes_in_proportion_to_their_weights():
    """A Monte Carlo check of the whole chain: DDPM with the exact mean reproduces the mixture's weights."""
    steps, xs, x0s = modes.mean_paths(modes.exact_denoiser_1d(), 3000, seed=2, schedule=schedules.make("cosine", 1000))
    assert steps[0] == 1000 and steps[-1] == 1 and xs.shape == (len(steps) + 1, 3000) and x0s.shape == (len(steps), 3000)
    shares = torch.bincount(modes.mode_landings(xs[-1]), minlength=3).float() / 3000
    assert torch.allclose(shares, torch.tensor([0.5, 0.2, 0.3]), atol=0.03), shares
    gm = float(mixtures.three_modes_1d().global_mean()[0])
    assert (x0s[0] - gm).abs().max() < 0.3, "the first guesses sit near the global mean"


# ---------------------------------------------------------------- memorization

def test_empirical_posterior_mean_matches_a_brute_force_softmax():
    g = torch.Generator().manual_seed(0)
    pts, x = torch.randn(300, 2, generator=g), 2 * torch.randn(50, 2, generator=g)
    for sigma in (0.03, 0.4, 3.0):
        d2 = ((x.double()[:, None, :] - pts.double()[None, :, :]) ** 2).sum(-1)
        ref = torch.softmax(-d2 / (2 * sigma**2), 1) @ pts.double()
        got = mixtures.EmpiricalSet(pts).posterior_mean(x, sigma)
        assert torch.allclose(got.double(), ref, atol=1e-4), sigma


def test_memorization_counts_copies_against_fresh_data():
    train = torch.tensor([[0.0, 0.0], [10.0, 0.0]])
    fresh = torch.tensor([[1.0, 0.0], [0.0, 2.0], [10.0, 3.0]])  # distances 1, 2, 3: median 2, radius 0.2
    samples = torch.tensor([[0.1, 0.0], [10.0, 0.15], [5.0, 0.0], [float("nan"), 0.0]])
    m = metrics.memorization(samples, train, fresh)
    assert math.isclose(m.radius, 0.2, rel_tol=1e-6)
    assert torch.allclose(m.sample_distances[:3], torch.tensor([0.1, 0.15, 5.0]))
    assert math.isinf(float(m.sample_distances[3]))
    assert m.copy_share == 0.5 and m.fresh_share == 0.0


def test_ideal_denoiser_of_ten_points_copies_them_and_the_true_mixture_does_not():
    """The bar: with N = 10 the ideal denoiser of the set copies >= 99% of its samples. The exact
    denoiser of the distribution the points came from (ring8's mixture) draws fresh points instead:
    its share is chance, like fresh data's."""
    schedule = schedules.make("cosine", 1000)
    truth = MixtureDenoiser(datasets.mixture("ring8"))
    run = copies.memorization_run(truth, 10, schedule=schedule)
    assert run.ideal.copy_share >= 0.99
    assert run.network.copy_share < 0.05 and run.ideal.fresh_share < 0.05
    assert run.ideal_samples.shape == (copies.MEMO_SAMPLES, 2)


def test_memorization_sets_are_nested():
    big = datasets.memorization_set(2000)
    assert torch.equal(datasets.memorization_set(10), big[:10])
    with pytest.raises(ValueError):
        datasets.memorization_set(0)


def test_a_repeated_set_keeps_its_size_and_repeats_its_first_point():
    plain, rep = datasets.memorization_set(200), datasets.repeated_set(200, 50)
    assert rep.shape == plain.shape and torch.equal(rep[0], plain[0]) and torch.equal(rep[50:], plain[50:])
    assert int((rep == plain[0]).all(1).sum()) == 50
    assert torch.equal(datasets.repeated_set(200, 1), plain)
    with pytest.raises(ValueError):
        datasets.repeated_set(10, 11)


def test_report_counts_modes_on_mixtures_only():
    mix = datasets.mixture("ring8")
    r = modes.report(mix.sample(2000, torch.Generator().manual_seed(5)), "ring8")
    assert r.coverage.max_error < 0.03 and abs(r.energy_distance) < 0.01
    centre = modes.report(torch.zeros(500, 2) + 0.01 * torch.randn(500, 2), "ring8")
    assert centre.coverage.off_mode == 1.0 and centre.energy_distance > 0.5
    half_nan = mix.sample(200, torch.Generator().manual_seed(6))
    half_nan[:100] = float("nan")
    cov = modes.report(half_nan, "ring8").coverage
    assert abs(cov.off_mode - 0.5) < 0.02 and abs(float(cov.shares.sum()) - (1 - cov.off_mode)) < 1e-6
    all_nan = modes.report(torch.full((10, 2), float("inf")), "ring8")
    assert all_nan.coverage.off_mode == 1.0 and math.isinf(all_nan.energy_distance)
    assert modes.report(datasets.load("dino", 500, seed=3), "dino").coverage is None
