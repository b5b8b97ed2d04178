"""Classifier-free guidance against independent references: autograd of log p(x) + w log p(c | x) for a labelled
mixture written with torch.distributions, the samplers run without guidance, Monte Carlo for the trade's numbers, a
class-conditional network that learns two labelled points, and the shipped network's measured trade."""

import math

import numpy as np
import pytest
import torch

from diffusion_core import datasets, pretrained, samplers, schedules, shipped, training
from diffusion_core.denoisers import MixtureDenoiser, NetDenoiser
from diffusion_core.mixtures import GaussianMixture
from diffusion_core.models import EpsMLP, ModelConfig
from diffusion_core.topics.guidance import core, views

MEANS = torch.tensor([[-1.5, 0.2], [1.0, 1.0], [0.5, -1.2], [-0.3, 1.4]])
STDS = torch.tensor([0.3, 0.5, 0.2, 0.4])
WEIGHTS = torch.tensor([0.4, 0.3, 0.2, 0.1])
CLASSES = torch.tensor([0, 1, 1, 0])  # components 0 and 3 are class 0, 1 and 2 class 1


def _log_p(x: torch.Tensor, sigma: float, keep: torch.Tensor) -> torch.Tensor:
    """log sum_k w_k N(x; mu_k, (s_k^2 + sigma^2) I) over the components in `keep`, with torch.distributions
    (unnormalised by the kept weights: log p_sigma(x, c) for a class's components)."""
    terms = [torch.distributions.Normal(mu.double(), math.sqrt(float(s) ** 2 + sigma**2)).log_prob(x).sum(-1)
             + w.double().log() for mu, s, w, k in zip(MEANS, STDS, WEIGHTS, keep) if k]
    return torch.logsumexp(torch.stack(terms), dim=0)


@pytest.mark.parametrize("w", [0.0, 0.5, 1.0, 3.0, 7.5])
@pytest.mark.parametrize("sigma", [0.2, 1.0])
def test_the_guided_score_is_the_gradient_of_the_tilted_log_density(w, sigma):
    x = torch.randn(40, 2, generator=torch.Generator().manual_seed(1), dtype=torch.float64).requires_grad_(True)
    everything = torch.ones(4, dtype=torch.bool)
    log_joint_c = _log_p(x, sigma, CLASSES == 1)  # log p(x, c)
    log_px = _log_p(x, sigma, everything)
    tilted = log_px + w * (log_joint_c - log_px)  # log p(x) + w log p(c | x)
    (reference,) = torch.autograd.grad(tilted.sum(), x)
    keep = CLASSES == 1
    uncond = MixtureDenoiser(GaussianMixture(MEANS, STDS, WEIGHTS))
    cond = MixtureDenoiser(GaussianMixture(MEANS[keep], STDS[keep], WEIGHTS[keep] / WEIGHTS[keep].sum()))
    guided = core.GuidedDenoiser(uncond, cond, w).score(x.detach(), sigma).double()
    torch.testing.assert_close(guided, reference, atol=2e-4, rtol=2e-4)  # the mixtures compute in float32


def test_scales_0_and_1_are_the_unconditional_and_conditional_samplers():
    uncond, cond = core.exact_pair("star")
    levels = schedules.grid(schedules.shipped("cosine"), 20)
    for w, alone in ((0.0, uncond), (1.0, cond)):  # the formula itself (one scale per row), not its shortcut
        a = samplers.sample(core.GuidedDenoiser(uncond, cond, torch.full((300,), w)), 300, levels, sampler="ddim",
                            seed=3)
        b = samplers.sample(alone, 300, levels, sampler="ddim", seed=3)
        torch.testing.assert_close(a, b, atol=1e-4, rtol=0)
    # one scale per row, in one batch: the same samples as separate runs, to float rounding
    g = torch.Generator().manual_seed(4)
    start = samplers.prior(200, 2, float(levels[0]), g)
    per_row = torch.tensor([0.0] * 100 + [2.5] * 100)
    *_, batch = samplers.ddim(core.GuidedDenoiser(uncond, cond, per_row), start, levels)
    *_, zero = samplers.ddim(uncond, start[:100], levels)
    *_, two = samplers.ddim(core.GuidedDenoiser(uncond, cond, 2.5), start[100:], levels)
    torch.testing.assert_close(batch.x, torch.cat([zero.x, two.x]), atol=1e-4, rtol=0)


def test_the_class_posterior_counts_each_shape_s_share_of_the_noised_density():
    x = torch.tensor([[0.0, 0.0], [1.0, -0.5], [-1.2, 1.3]])
    sigma = 0.3
    normal = torch.distributions.Normal(datasets.DOZEN_POINTS.double()[None], sigma)
    log_k = normal.log_prob(x.double()[:, None]).sum(-1)  # (3, 1846)
    for shape in ("dino", "circle"):
        mine = datasets.DOZEN_LABELS == datasets.DOZEN_NAMES.index(shape)
        reference = (torch.logsumexp(log_k[:, mine], 1) - torch.logsumexp(log_k, 1)).exp()
        torch.testing.assert_close(core.class_posterior(x, sigma, shape).double(), reference, atol=1e-5, rtol=1e-4)
    total = sum(core.class_posterior(x, sigma, s) for s in datasets.DOZEN_NAMES)
    torch.testing.assert_close(total, torch.ones(3), atol=1e-5, rtol=0)


def test_the_dozen_is_thirteen_sets_of_142_sharing_their_statistics():
    """Matejka and Fitzmaurice's claim, in raw units (the file's): the means to a few hundredths, the standard
    deviations and the correlation to a hundredth, for all 13 sets."""
    assert len(datasets.DOZEN_NAMES) == 13 and datasets.DOZEN_POINTS.shape == (1846, 2)
    assert torch.equal(datasets.dozen_shape("dino"), datasets.DINO_POINTS)
    raw = [datasets.dozen_shape(s).double() * datasets.DINO_SCALE + datasets.DINO_CENTRE.double()
           for s in datasets.DOZEN_NAMES]
    means = torch.stack([p.mean(0) for p in raw])
    stds = torch.stack([p.std(0) for p in raw])
    corr = torch.tensor([float(torch.corrcoef(p.T)[0, 1]) for p in raw])
    assert (means - means.mean(0)).abs().max() < 0.03 and (stds - stds.mean(0)).abs().max() < 0.02
    assert (corr - corr.mean()).abs().max() < 0.01 and corr.max() < -0.05
    with pytest.raises(ValueError, match="valid names"):
        datasets.dozen_shape("brontosaurus")


def test_the_trade_numbers_against_monte_carlo_and_closed_cases():
    shape = datasets.dozen_shape("x_shape")
    g = torch.Generator().manual_seed(0)
    many = shape[torch.randint(len(shape), (20_000,), generator=g)]  # the shape's distribution itself
    t = core.trade(many, shape)
    assert t.fidelity == 0 and t.coverage == 1 and t.off == 0
    assert abs(t.energy) < 2e-3  # 0 for the same distribution, to the Monte Carlo error of 20,000 draws
    away = core.trade(shape + 5.0, shape)  # every sample 5 away: off the shape, nothing covered
    assert away.off == 1 and away.coverage == 0 and away.fidelity > 4
    half = core.trade(torch.cat([shape[:71], torch.full((71, 2), float("nan"))]), shape)
    assert half.off == pytest.approx(0.5)  # diverged samples count as off the shape
    # a perfect sampler's numbers: its jitter's mean distance, E|N(0, s^2 I)| = s sqrt(pi / 2) in 2D, to first order
    floor = core.trade(core.perfect_draws(shape, 20_000, 0), shape)
    assert floor.fidelity == pytest.approx(datasets.DINO_JITTER * math.sqrt(math.pi / 2), rel=0.15)


def test_isolation_against_distances_written_out():
    shape = torch.tensor([[0.0, 0.0], [1.0, 0.0]])
    others = torch.tensor([[0.0, 0.3], [5.0, 0.0]])  # the first point is 0.3 from another shape, the second sqrt(1.09)
    samples = torch.tensor([[0.1, 0.0], [0.9, 0.1], [1.2, 0.0], [float("nan"), 0.0]])  # nearest: first, second, second
    assert core.isolation(samples, shape, others) == pytest.approx((0.3 + 2 * math.sqrt(1.09)) / 3)
    assert core.isolation(shape, shape, others) == pytest.approx((0.3 + math.sqrt(1.09)) / 2)


def test_a_conditional_network_takes_labels_and_a_null_label():
    net = EpsMLP(ModelConfig(classes=3, hidden=16, depth=2)).eval()
    x, t = torch.randn(5, 2), torch.tensor([10])
    null = net(x, t, torch.tensor([3]))
    assert torch.equal(net(x, t), null)  # no label is the null label
    assert not torch.equal(net(x, t, torch.tensor([0])), null)
    unconditional = EpsMLP(ModelConfig(hidden=16, depth=2))
    assert unconditional.label is None
    shared = unconditional.state_dict()  # the label's embedding is built last: every other initial weight is the same
    assert all(torch.equal(v, shared[k]) for k, v in net.state_dict().items() if not k.startswith("label."))
    with pytest.raises(ValueError, match="unconditional"):
        unconditional(x, t, torch.tensor([0]))
    with pytest.raises(ValueError, match="classes"):
        NetDenoiser(net, label=3)


def test_conditional_training_learns_each_label_s_point_and_the_blend():
    points = torch.tensor([[-1.5, 0.0], [1.5, 0.0]]).repeat(50, 1)
    labels = torch.tensor([0, 1]).repeat(50)
    net = EpsMLP(ModelConfig(classes=2, hidden=64))
    for _ in training.train(net, points, labels=labels, steps=1500, jitter=0.05):
        pass
    levels = schedules.grid(schedules.shipped("cosine"), 30)
    for label, target in ((0, -1.5), (1, 1.5)):
        x = samplers.sample(NetDenoiser(net, label=label), 400, levels, sampler="ddim", seed=0)
        assert (x[:, 0] - target).abs().median() < 0.3, label  # near its own point
    both = samplers.sample(NetDenoiser(net), 400, levels, sampler="ddim", seed=0)
    share = float((both[:, 0] > 0).float().mean())
    assert 0.3 < share < 0.7  # the null label: both points, about half each
    with pytest.raises(ValueError, match="one label"):
        next(training.train(net, points, labels=labels[:10], steps=1))
    with pytest.raises(ValueError, match="class-conditional"):
        next(training.train(EpsMLP(ModelConfig(hidden=8)), points, labels=labels, steps=1))


@pytest.fixture(scope="module")
def shipped_trade():
    return views.measure(views.SHAPE)  # measured here, not read from the shipped views


def test_the_shipped_views_are_what_measuring_gives(shipped_trade):
    """The page reads every shape's view from guide_views.pt: it was made with today's settings and weights, and
    the default shape measured afresh gives the same samples and numbers (float rounding aside)."""
    stored = views.shipped_views()
    assert set(stored) == set(views.SHAPES), "guide_views.pt is stale: python -m diffusion_core pretrain --only guide_views"
    view = stored[views.SHAPE]
    assert views.guided(views.SHAPE) is view  # the page's call reads it, and measures nothing
    for m in views.MODELS:
        np.testing.assert_allclose(view["samples"][m], shipped_trade["samples"][m], atol=1e-4)
        for got, fresh in zip(view["curves"][m], shipped_trade["curves"][m]):
            for k in views.TRADE_NUMBERS:
                assert got[k] == pytest.approx(fresh[k], abs=1e-4), (m, k)
        for got, fresh in zip(view["isolation"][m], shipped_trade["isolation"][m]):
            assert got == pytest.approx(fresh, abs=1e-4)
    for k in views.TRADE_NUMBERS:  # the perfect sampler's draws do not involve the code above: equal but for rounding
        assert view["floor"][k] == pytest.approx(shipped_trade["floor"][k], abs=1e-9)
    assert view["shared"] == shipped_trade["shared"]
    np.testing.assert_array_equal(view["points"], shipped_trade["points"])


def test_a_stale_or_broken_views_file_is_measured_afresh(tmp_path, monkeypatch):
    """Other weights, other settings or a damaged file: the page measures instead of showing stale numbers."""
    good = views.shipped_views()
    assert good
    try:
        monkeypatch.setattr(views, "N", views.N + 1)  # a setting changed since the file was made
        views.forget_shipped()
        assert views.shipped_views() == {}
        monkeypatch.undo()
        other = EpsMLP(shipped.denoiser(pretrained.GUIDE).net.config)  # other weights, the same shapes
        monkeypatch.setattr(views.shipped, "denoiser", lambda name: NetDenoiser(other))
        views.forget_shipped()
        assert views.shipped_views() == {}
        monkeypatch.undo()
        edited = tmp_path / "data"  # the data file changed: one coordinate of one point
        edited.mkdir()
        csv = (datasets.DATA_DIR / "datasaurus_dozen.csv").read_text().splitlines()
        csv[1] = csv[1].rsplit(",", 1)[0] + ",99.9"
        (edited / "datasaurus_dozen.csv").write_text("\n".join(csv) + "\n")
        monkeypatch.setattr(views.datasets, "DATA_DIR", edited)
        views.forget_shipped()
        assert views.shipped_views() == {}
        monkeypatch.undo()
        bad = tmp_path / "guide_views.pt"
        bad.write_bytes(b"not a torch file")
        monkeypatch.setattr(views.pretrained, "path", lambda name: bad)
        views.forget_shipped()
        assert views.shipped_views() == {}
    finally:
        monkeypatch.undo()
        views.forget_shipped()
    assert set(views.shipped_views()) == set(views.SHAPES)


def test_the_shipped_network_s_trade_on_the_default_shape(shipped_trade):
    """What the page says of the default shape: the trained model's fidelity improves from w = 1 to w = 3, its
    coverage falls by w = 8; the exact sampler is perfect at w = 1 and only loses with more guidance."""
    curves = shipped_trade["curves"]

    def at(model, w, key):
        return curves[model][views.SCALES.index(w)][key]

    assert at("trained", 3.0, "fidelity")[0] < at("trained", 1.0, "fidelity")[0]
    assert views.apart(at("trained", 3.0, "fidelity"), at("trained", 1.0, "fidelity"))
    assert at("trained", 8.0, "coverage")[0] < at("trained", 1.0, "coverage")[0] - 0.1
    assert at("exact", 1.0, "fidelity")[0] < 0.01 and at("exact", 1.0, "off")[0] == 0  # the points themselves
    assert at("exact", 8.0, "coverage")[0] < at("exact", 1.0, "coverage")[0] - 0.1
    assert at("exact", 0.0, "off")[0] > 0.5  # unguided and unconditional: mostly other shapes
    assert shipped_trade["shared"] == 0
    lo, mid, hi = shipped_trade["floor"]["energy"]
    assert lo < 0 < hi and lo < mid < hi  # an unbiased estimate of 0 straddles it
    exact, trained = views.facts(shipped_trade, "exact"), views.facts(shipped_trade, "trained")
    assert exact["samples_the_shape"] and exact["coverage_falls"] and trained["gains"] and trained["coverage_falls"]
    assert 1.0 in exact["coverage_ties"]


def test_guidance_gains_only_from_scales_above_one():
    """The page says guidance pulls samples onto the shape only when a scale above 1 is closer than w = 1 beyond two
    combined standard errors; a best distance below w = 1 (at w = 0.5) or a gap within the errors is no gain."""
    def view(fidelity):
        curve = [{"fidelity": f, "coverage": (0.5, 0.01), "energy": (0.0, 0.0), "off": (0.0, 0.0)} for f in fidelity]
        return {"curves": {"m": curve}, "floor": {"energy": (-1.0, 0.0, 1.0)},
                "isolation": {"m": [(0.0, 0.01)] * len(curve), "shape": 0.0}}

    one = views.SCALES.index(1.0)
    below = [(0.2, 0.001)] * len(views.SCALES)
    below[views.SCALES.index(0.5)] = (0.01, 0.001)  # best of all at w = 0.5: not a gain of guidance
    f = views.facts(view(below), "m")
    assert not f["gains"] and f["best_fidelity"] >= 1
    within = [(0.2, 0.05)] * len(views.SCALES)
    within[-1] = (0.15, 0.05)  # lower, but within two combined standard errors
    assert not views.facts(view(within), "m")["gains"]
    noisy = [(0.2, 0.001)] * len(views.SCALES)
    noisy[one + 1] = (0.10, 0.2)  # the lowest mean, too uncertain to count
    noisy[-1] = (0.15, 0.001)  # higher, but certain: a gain
    f = views.facts(view(noisy), "m")
    assert f["gains"] and f["best_fidelity"] == views.SCALES[one + 1]


def test_the_shipped_guidance_model_matches_its_recipe():
    net = shipped.denoiser(pretrained.GUIDE).net
    assert net.config == pretrained.RECIPES[pretrained.GUIDE].config and net.config.classes == 13
    assert net.label.weight.shape == (14, net.config.hidden)  # 13 labels and the null label
