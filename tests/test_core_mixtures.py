"""Exact mixture maths against autograd, torch.distributions and Monte Carlo."""


import pytest
import torch
from torch import distributions as D

from diffusion_core import datasets, schedules
from diffusion_core import mixtures as mx
from diffusion_core.mixtures import EmpiricalSet, GaussianMixture

SIGMAS = [0.05, 0.3, 1.0, 3.0]


def mixtures():
    one_d = GaussianMixture(torch.tensor([[-2.0], [0.5], [3.0]]), torch.tensor([0.3, 0.6, 0.2]),
                            torch.tensor([0.5, 0.3, 0.2]))
    return {"ring8": datasets.mixture("ring8"), "two_gaussians": datasets.mixture("two_gaussians"),
            "one_d": one_d}


def reference_log_prob(mix, x, sigma):
    """log density of the noised mixture built with torch.distributions."""
    scale = (mix.stds.pow(2) + sigma**2).sqrt()[:, None].expand_as(mix.means)
    comp = D.Independent(D.Normal(mix.means, scale), 1)
    return D.MixtureSameFamily(D.Categorical(mix.weights), comp).log_prob(x)


@pytest.mark.parametrize("name", ["ring8", "two_gaussians", "one_d"])
@pytest.mark.parametrize("sigma", [0.0] + SIGMAS)
def test_log_prob_matches_torch_distributions(name, sigma):
    mix = mixtures()[name]
    x = 2 * torch.randn(64, mix.dim, generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(mix.log_prob(x, sigma), reference_log_prob(mix, x, sigma),
                               rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("name", ["ring8", "two_gaussians", "one_d"])
@pytest.mark.parametrize("sigma", SIGMAS)
def test_score_is_the_gradient_of_the_log_density(name, sigma):
    mix = mixtures()[name]
    x = (2 * torch.randn(64, mix.dim, generator=torch.Generator().manual_seed(2))).double()
    x.requires_grad_(True)
    (grad,) = torch.autograd.grad(reference_log_prob(_double(mix), x, sigma).sum(), x)
    torch.testing.assert_close(mix.score(x.detach().float(), sigma), grad.float(), rtol=2e-3, atol=2e-3)


def _double(mix):
    out = GaussianMixture(mix.means, mix.stds, mix.weights)
    out.means, out.stds, out.weights = mix.means.double(), mix.stds.double(), mix.weights.double()
    return out


@pytest.mark.parametrize("sigma", [0.2, 0.7, 2.0])
def test_posterior_mean_matches_monte_carlo(sigma):
    """E[x0 | x] by self-normalised importance sampling from the prior."""
    mix = mixtures()["one_d"]
    g = torch.Generator().manual_seed(3)
    x0 = mix.sample(400_000, g).double()  # (M, 1)
    queries = torch.tensor([[-3.0], [-0.7], [0.0], [1.2], [4.0]], dtype=torch.float64)
    logw = -0.5 * (queries.T - x0).pow(2) / sigma**2  # (M, Q)
    w = torch.softmax(logw, dim=0)
    mc = (w * x0).sum(0)
    exact = mix.posterior_mean(queries.float(), sigma).squeeze(1).double()
    torch.testing.assert_close(exact, mc, atol=0.02, rtol=0)


@pytest.mark.parametrize("sigma", SIGMAS)
def test_tweedie_links_posterior_mean_and_score(sigma):
    mix = mixtures()["ring8"]
    x = torch.randn(50, 2, generator=torch.Generator().manual_seed(4))
    torch.testing.assert_close(mix.posterior_mean(x, sigma), x + sigma**2 * mix.score(x, sigma),
                               rtol=1e-4, atol=1e-4)


def test_per_point_sigmas_match_scalar_calls():
    mix = mixtures()["two_gaussians"]
    x = torch.randn(3, 2)
    sig = torch.tensor([0.1, 0.5, 2.0])
    rows = torch.cat([mix.score(x[i:i + 1], float(sig[i])) for i in range(3)])
    torch.testing.assert_close(mix.score(x, sig), rows)


def test_sample_moments_match_the_mixture():
    mix = mixtures()["one_d"]
    x = mix.sample(200_000, torch.Generator().manual_seed(5)).squeeze(1).double()
    w, m, s = mix.weights.double(), mix.means.squeeze(1).double(), mix.stds.double()
    mean = (w * m).sum()
    var = (w * (s**2 + m**2)).sum() - mean**2
    assert float(x.mean()) == pytest.approx(float(mean), abs=0.02)
    assert float(x.var()) == pytest.approx(float(var), rel=0.02)


def test_empirical_set_is_a_softmax_weighted_average_and_copies_at_small_sigma():
    pts = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0]])
    emp = EmpiricalSet(pts)
    x = torch.tensor([[0.3, 0.4], [0.9, 0.1]])
    sigma = 0.5
    w = torch.softmax(-(x[:, None, :] - pts[None]).pow(2).sum(-1) / (2 * sigma**2), dim=1)
    torch.testing.assert_close(emp.posterior_mean(x, sigma), w @ pts)
    # as sigma -> 0 the ideal denoiser returns the nearest training point
    torch.testing.assert_close(emp.posterior_mean(x, 0.01), torch.tensor([[0.0, 0.0], [1.0, 0.0]]))
    with pytest.raises(ValueError, match="sigma must be positive"):
        emp.score(x, 0.0)


@pytest.mark.parametrize("sigma", [0.006, 0.05, 0.3, 2.0])
def test_the_empirical_denoiser_matches_the_distance_softmax_in_float64_and_under_autograd(sigma):
    """The fast path (logits as one product, weights held above e^-80 of the largest, in place) against the
    textbook formula in float64 on the Dozen's 1,846 points, at the app's smallest noise levels too; and its
    gradient, when x asks for one, against autograd of that formula."""
    pts = datasets.DOZEN_POINTS.double()
    x = torch.randn(300, 2, generator=torch.Generator().manual_seed(3), dtype=torch.float64) * 1.2

    def textbook(x):
        return torch.softmax(-torch.cdist(x, pts).pow(2) / (2 * sigma**2), dim=1) @ pts

    got = EmpiricalSet(pts).posterior_mean(x, sigma).double()
    torch.testing.assert_close(got, textbook(x), atol=2e-4 if sigma < 0.01 else 2e-5, rtol=0)
    wide = max(sigma, 0.3)  # the gradient at a level where the weights are not all one point's
    mild, ref = x[:20].clone().requires_grad_(True), x[:20].clone().requires_grad_(True)
    probe = torch.randn(20, 2, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    (EmpiricalSet(pts).posterior_mean(mild.float(), wide).double() * probe).sum().backward()
    (torch.softmax(-torch.cdist(ref, pts).pow(2) / (2 * wide**2), dim=1) @ pts * probe).sum().backward()
    torch.testing.assert_close(mild.grad, ref.grad, atol=2e-4, rtol=1e-3)


def test_bad_mixtures_are_refused():
    with pytest.raises(ValueError):
        GaussianMixture(torch.zeros(2, 2), torch.ones(3), torch.ones(2))
    with pytest.raises(ValueError):
        GaussianMixture(torch.zeros(2, 2), torch.ones(2), torch.tensor([-1.0, 0.5]))
    with pytest.raises(ValueError):
        EmpiricalSet(torch.zeros(0, 2))


def test_responsibilities_sum_to_one():
    r = mixtures()["ring8"].responsibilities(torch.randn(20, 2), 0.5)
    torch.testing.assert_close(r.sum(1), torch.ones(20))


# ---------------------------------------------------------------- the posterior over x0 (Means and modes)

def test_posterior_density_integrates_to_one_and_its_mean_is_the_closed_form():
    """Quadrature of Bayes' rule on a fine grid against the per-component closed form."""
    mix = mx.three_modes_1d()
    grid = torch.linspace(-5, 5, 20001, dtype=torch.float64)
    dx = float(grid[1] - grid[0])
    for x, sigma in ((0.0, 3.0), (1.0, 1.0), (0.5, 0.3), (-1.7, 0.1)):
        dens = mix.posterior_log_density(grid.float()[:, None], torch.tensor([x]), sigma).double().exp()
        assert abs(float(dens.sum() * dx) - 1.0) < 1e-3
        quad_mean = float((grid * dens).sum() * dx)
        closed = float(mix.posterior_mean(torch.tensor([[x]]), sigma)[0, 0])
        assert abs(quad_mean - closed) < 2e-3, (x, sigma, quad_mean, closed)


def test_three_modes_posterior_mean_matches_monte_carlo():
    """E[x0 | x] by self-normalised importance weights of exact draws, against the closed form."""
    mix = mx.three_modes_1d()
    x0 = mix.sample(400_000, torch.Generator().manual_seed(7)).double()[:, 0]
    for x, sigma in ((0.0, 2.0), (1.2, 0.8), (-0.5, 0.4)):
        w = torch.exp(-0.5 * (x - x0).pow(2) / sigma**2)
        mc = float((w * x0).sum() / w.sum())
        se = float(((w / w.sum()).pow(2) * (x0 - mc).pow(2)).sum().sqrt())  # its standard error
        closed = float(mix.posterior_mean(torch.tensor([[x]]), sigma)[0, 0])
        assert abs(mc - closed) < 4 * se + 1e-3, (x, sigma, mc, closed, se)


def test_the_posterior_mean_moves_from_the_global_mean_to_a_mode_as_the_noise_falls():
    mix = mx.three_modes_1d()
    x = torch.tensor([[1.9]])
    far = float(mix.posterior_mean(x, 50.0)[0, 0])
    assert abs(far - float(mix.global_mean()[0])) < 0.01
    near = float(mix.posterior_mean(x, 0.05)[0, 0])
    assert abs(near - 1.9) < 0.05  # at low noise the posterior sits at the noisy value itself
    assert float(mix.responsibilities(x, 0.3)[0].argmax()) == 2  # the mode at 2.2 has claimed it


def test_from_vp_inverts_the_forward_formula():
    x0, eps, ab = torch.tensor([[0.7]]), torch.tensor([[-1.3]]), 0.36
    x, sigma = schedules.from_vp(0.6 * x0 + 0.8 * eps, ab)
    assert torch.allclose(x, x0 + sigma * eps) and abs(sigma - 0.8 / 0.6) < 1e-6
    with pytest.raises(ValueError):
        mx.three_modes_1d().posterior_log_density(torch.zeros(3, 1), torch.zeros(1), 0.0)
