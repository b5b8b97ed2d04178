"""Flow matching against independent references: the path's algebra, autograd of a mixture's log density, the
closed-form transport of a Gaussian, DDIM written separately, and the shipped weights."""

import math

import pytest
import torch

from diffusion_core import datasets, pretrained, samplers, schedules, shipped
from diffusion_core.denoisers import MixtureDenoiser
from diffusion_core.mixtures import EmpiricalSet, GaussianMixture
from diffusion_core.models import EpsMLP, ModelConfig
from diffusion_core.topics.flow import core as flow


def _mixture() -> GaussianMixture:
    return GaussianMixture(torch.tensor([[-1.5, 0.2], [1.0, 1.0], [0.5, -1.2]]), torch.tensor([0.3, 0.5, 0.2]),
                           torch.tensor([0.5, 0.3, 0.2]))


def _log_density(mix: GaussianMixture, x: torch.Tensor, t: float) -> torch.Tensor:
    """log p_t(x) of x_t = (1 - t) x0 + t eps, x0 from the mixture, written out with torch.distributions: component
    k is N((1 - t) mu_k, ((1 - t)^2 s_k^2 + t^2) I)."""
    comps = []
    for mu, s, w in zip(mix.means.double(), mix.stds.double(), mix.weights.double()):
        sd = math.sqrt((1 - t) ** 2 * float(s) ** 2 + t**2)
        normal = torch.distributions.Normal((1 - t) * mu, sd)
        comps.append(normal.log_prob(x).sum(-1) + w.log())
    return torch.logsumexp(torch.stack(comps), dim=0)


def test_the_path_and_its_velocity():
    g = torch.Generator().manual_seed(0)
    x0, eps, t = torch.randn(50, 2, generator=g), torch.randn(50, 2, generator=g), torch.rand(50, generator=g)
    x_t = flow.path_state(x0, eps, t)
    h = 1e-6  # the target is the path's derivative in t, by finite differences in float64
    x0d, epsd, td = x0.double(), eps.double(), t.double()
    slope = (flow.path_state(x0d, epsd, td + h) - flow.path_state(x0d, epsd, td - h)) / (2 * h)
    assert torch.allclose(slope, flow.target_velocity(x0d, epsd), atol=1e-6)
    assert torch.allclose(flow.path_state(x0, eps, 0.0), x0) and torch.allclose(flow.path_state(x0, eps, 1.0), eps)
    # the flow state is the VE state x0 + sigma eps shrunk by 1 + sigma
    sigma = t / (1 - t)
    assert torch.allclose(x_t * (1 + sigma[:, None]), x0 + sigma[:, None] * eps, atol=1e-4)
    assert flow.t_of_sigma(flow.sigma_of_t(0.3)) == pytest.approx(0.3) and flow.t_of_sigma(math.inf) == 1.0


def test_the_flow_loss_is_the_eps_loss_weighted_by_one_plus_sigma_squared():
    """For any velocity guess, the eps it implies (eps_hat = x_t + (1 - t) v_hat) misses eps by (1 - t) times
    what v_hat misses eps - x0 by: |v_hat - v|^2 = (1 + sigma)^2 |eps_hat - eps|^2."""
    g = torch.Generator().manual_seed(1)
    x0, eps = torch.randn(200, 2, generator=g).double(), torch.randn(200, 2, generator=g).double()
    t = torch.rand(200, generator=g).double() * 0.98 + 0.01
    v_hat = torch.randn(200, 2, generator=g).double()  # any guess at all
    x_t = flow.path_state(x0, eps, t)
    eps_hat = x_t + (1 - t)[:, None] * v_hat
    sigma = t / (1 - t)
    flow_loss = (v_hat - flow.target_velocity(x0, eps)).pow(2).sum(1)
    eps_loss = (eps_hat - eps).pow(2).sum(1)
    assert torch.allclose(flow_loss, (1 + sigma) ** 2 * eps_loss)


@pytest.mark.parametrize("t", [0.05, 0.3, 0.7, 0.95])
def test_the_ideal_velocity_is_minus_x_plus_t_score_over_one_minus_t(t):
    """The ideal denoiser's velocity against autograd of the mixture's log density at time t:
    E[eps - x0 | x_t] = -(x_t + t grad log p_t(x_t)) / (1 - t)."""
    mix = _mixture()
    x = torch.randn(64, 2, generator=torch.Generator().manual_seed(2)).double().requires_grad_(True)
    score, = torch.autograd.grad(_log_density(mix, x, t).sum(), x)
    expected = -(x.detach() + t * score) / (1 - t)
    got = flow.velocity_of(MixtureDenoiser(mix))(x.detach(), t)
    assert torch.allclose(got.double(), expected, atol=2e-4, rtol=1e-4)


def test_at_t_one_the_ideal_velocity_points_away_from_the_data_mean():
    """At t = 1 the state is pure noise, independent of x0: E[eps - x0 | x_1] = x_1 - E[x0]."""
    points = datasets.load("dino")
    x = torch.randn(10, 2, generator=torch.Generator().manual_seed(3)).double()
    got = flow.velocity_of(MixtureDenoiser(EmpiricalSet(points)))(x, 1.0)
    assert torch.allclose(got.double(), x - points.double().mean(0), atol=1e-5)


def test_euler_on_the_exact_flow_of_a_gaussian_reaches_its_closed_form_transport():
    """For data N(mu, s^2 I) the marginal flow is affine, x_t = (1 - t) mu + sqrt((1 - t)^2 s^2 + t^2) x_1, so it
    carries noise x_1 to mu + s x_1. Euler converges to it at first order: halving the step halves the error."""
    mu, s = torch.tensor([0.7, -0.4]), 0.5
    den = MixtureDenoiser(GaussianMixture(mu[None], torch.tensor([s]), torch.tensor([1.0])))
    x1 = flow.start_noise(200, 4)
    exact = mu.double() + s * x1
    errors = []
    for steps in (100, 200, 400):
        end = flow.integrate(flow.velocity_of(den), x1, flow.uniform_times(steps))[-1]
        errors.append(float((end - exact).norm(dim=1).max()))
    assert errors[-1] < 1e-2
    assert 1.8 < errors[0] / errors[1] < 2.2 and 1.8 < errors[1] / errors[2] < 2.2
    # Heun's is second order: halving the step quarters the error
    heun = [float((flow.integrate(flow.velocity_of(den), x1, flow.uniform_times(n), heun=True)[-1] - exact)
                  .norm(dim=1).max()) for n in (50, 100)]
    assert heun[1] < 1e-3 and 3.5 < heun[0] / heun[1] < 4.5
    # and every state on the way is on the closed-form path
    states = flow.integrate(flow.velocity_of(den), x1, flow.uniform_times(400))
    for k in (100, 200, 300):
        t = 1 - k / 400
        on_path = (1 - t) * mu.double() + math.sqrt((1 - t) ** 2 * s**2 + t**2) * x1
        assert float((states[k] - on_path).norm(dim=1).max()) < 1e-2


@pytest.mark.parametrize("steps", [1, 3, 10])
def test_ddim_is_euler_on_the_flow_when_the_grids_match(steps):
    """Deterministic DDIM (samplers.ddim, written in the VE frame) and Euler on the flow ODE in t from the same
    start, over the same levels (t_i = sigma_i / (1 + sigma_i)), visit the same states: x_VE / (1 + sigma) = x_t."""
    den = MixtureDenoiser(EmpiricalSet(datasets.load("dino")))
    sigmas = schedules.grid(schedules.shipped("cosine"), steps)
    times = flow.times_of_sigmas(sigmas)
    x_t = flow.start_noise(300, 5) * float(times[0])  # x_t at the first level: (1 - t) x0 + t eps, x0 folded in
    x_t = x_t + (1 - float(times[0])) * datasets.load("dino")[:1].double()
    ddim = [step.x.double() for step in samplers.ddim(den, x_t * (1 + float(sigmas[0])), sigmas, clip_x0=None)]
    euler = flow.integrate(flow.velocity_of(den), x_t, times)
    for x_ve, sigma, x_flow in zip(ddim, sigmas.tolist(), euler):
        assert torch.allclose(x_ve / (1 + sigma), x_flow, atol=1e-5, rtol=1e-5)


def test_a_velocity_network_is_a_denoiser_and_back():
    net = EpsMLP(ModelConfig(seed=3))
    den = flow.FlowDenoiser(net)
    x = torch.randn(20, 2, generator=torch.Generator().manual_seed(6)).double()
    for t in (0.1, 0.5, 0.9):
        assert torch.allclose(flow.velocity_of(den)(x, t), den.velocity(x, t), atol=1e-6)
    assert den(x, 0.0).shape == x.shape


def test_straightness_of_known_paths():
    line = torch.linspace(0, 1, 11, dtype=torch.float64)[:, None, None] * torch.tensor([[3.0, 4.0]]).double()
    s = flow.straightness(line)
    assert s.ratio == pytest.approx(1.0) and s.cost == pytest.approx(25.0) and s.deviation == pytest.approx(0, abs=1e-12)
    angle = torch.linspace(0, math.pi, 2001, dtype=torch.float64)
    half_circle = torch.stack([angle.cos(), angle.sin()], dim=1)[:, None, :]
    arc = flow.straightness(half_circle)
    assert arc.ratio == pytest.approx(math.pi / 2, rel=1e-4)
    # at constant speed the velocity is pi (-sin, cos) against a chord of (-2, 0): S = 4 - 8 + pi^2
    assert arc.deviation == pytest.approx(math.pi**2 - 4, rel=1e-4)
    assert flow.straightness(half_circle.flip(0)).deviation == pytest.approx(arc.deviation)  # either direction


def test_the_loss_weights_per_unit_log_snr_against_monte_carlo():
    """views.loss_weights against draws: t uniform weighted by (1 + sigma)^2, and uniform steps of the cosine
    schedule, each binned over lambda = -2 log sigma and scaled like the page's curves over the same range."""
    from diffusion_core.topics.flow import views
    from diffusion_core.topics.objective import core as objective

    w = views.loss_weights()
    low, high = views.LAMBDA_RANGE
    edges = torch.linspace(low, high, 21, dtype=torch.float64)
    centres = ((edges[1:] + edges[:-1]) / 2).numpy()
    t = torch.rand(2_000_000, generator=torch.Generator().manual_seed(9), dtype=torch.float64)
    sigma = t / (1 - t)
    lam = -2 * sigma.log()
    keep = (lam > low) & (lam < high)
    flow_hist = torch.histogram(lam[keep], bins=edges, weight=(1 + sigma[keep]) ** 2).hist
    cosine = schedules.shipped("cosine")
    steps = torch.randint(cosine.T, (2_000_000,), generator=torch.Generator().manual_seed(10))
    lam_eps = torch.from_numpy(objective.log_snr(cosine))[steps]
    eps_hist = torch.histogram(lam_eps[(lam_eps > low) & (lam_eps < high)], bins=edges).hist
    width = float(edges[1] - edges[0])
    import numpy as np

    expected = (flow_hist / flow_hist.sum() / width).numpy()  # a smooth density: bin by bin
    assert np.allclose(np.interp(centres, w["lambda"], w["flow"]), expected, rtol=0.05, atol=2e-4)
    # the schedule's steps are discrete (few per bin at the ends): compare the cumulative shares instead
    step = w["lambda"][1] - w["lambda"][0]
    for hist, curve in ((flow_hist, w["flow"]), (eps_hist, w["eps"])):
        empirical = np.concatenate([[0.0], (hist.cumsum(0) / hist.sum()).numpy()])
        cumulative = np.concatenate([[0.0], np.cumsum((curve[1:] + curve[:-1]) / 2 * step)])  # trapezoids
        model = np.interp(edges.numpy(), w["lambda"], cumulative / cumulative[-1])
        assert np.abs(model - empirical).max() < 0.01, (model, empirical)
    assert w["noisy_share"]["flow"] > 0.95 and 0.4 < w["noisy_share"]["eps"] < 0.6


def test_train_flow_learns_the_velocity_of_a_gaussian():
    """A few hundred steps on N(mu, s^2 I) data: the network's velocity comes close to the closed form's."""
    mu, s = torch.tensor([1.0, -0.5]), 0.4
    data = mu + s * torch.randn(4000, 2, generator=torch.Generator().manual_seed(7))
    net = EpsMLP(ModelConfig(fourier_features=0, hidden=32, depth=2))
    for _ in flow.train_flow(net, data, steps=600):
        pass
    den = MixtureDenoiser(GaussianMixture(mu[None], torch.tensor([s]), torch.tensor([1.0])))
    x = torch.randn(200, 2, generator=torch.Generator().manual_seed(8)).double()
    for t in (0.3, 0.7):
        exact = flow.velocity_of(den)(x, t)
        err = (flow.FlowDenoiser(net).velocity(x, t) - exact).norm(dim=1).mean() / exact.norm(dim=1).mean()
        assert err < 0.15


def test_reflow_pairs_train_on_a_fixed_coupling():
    with pytest.raises(ValueError):
        next(flow.train_flow(EpsMLP(ModelConfig()), torch.zeros(10, 2), noise=torch.zeros(5, 2), steps=1))


@pytest.mark.parametrize("dataset", pretrained.FLOW_SETS)
def test_the_shipped_reflowed_model_has_straighter_paths_and_better_single_steps(dataset):
    """The shipped weights: reflow makes the ODE's paths measurably straighter (Liu et al.'s S and the length
    over chord) and one Euler step lands near the data, where the flow model's one step is a blur."""
    from diffusion_core.topics.optimization import core as optimization

    names = (f"flow_{dataset}", f"reflow_{dataset}")
    runs = {name: flow.integrate(shipped.denoiser(name).velocity, flow.start_noise(400, 0), flow.uniform_times(64))
            for name in names}
    before, after = (flow.straightness(runs[name]) for name in names)
    assert after.deviation < before.deviation / 10
    assert after.ratio < 1.1 and before.ratio > 1.5
    one = {name: flow.integrate(shipped.denoiser(name).velocity, flow.start_noise(1200, 0), flow.uniform_times(1))[-1]
           for name in runs}
    ed = {name: sum(optimization.group_eds(x.float(), dataset)) / 3 for name, x in one.items()}
    assert ed[names[1]] < ed[names[0]] / 10


def test_section_5_takes_its_euler_runs_from_the_few_step_curves_unchanged():
    """views.quality computes sections 4 and 5 together: section 5's one, two and 64 Euler steps of the flow model
    and of the reflowed one are the few-step curves' own runs (the same objects), and equal those runs written out
    here apart (Euler from the same 1,200 noise draws, measured as 3 groups), samples and energy distances alike;
    every curve's point is still the mean of its groups."""
    from diffusion_core.topics.flow import views
    from diffusion_core.topics.optimization import core as optimization

    dataset = "ring8"
    quality = views.quality(dataset)
    few, ref = quality["few_steps"], quality["reflow"]
    start = torch.randn(1200, 2, generator=torch.Generator().manual_seed(0)).double()
    for key, curve in (("flow", "flow_euler"), ("reflow", "reflow_euler")):
        assert ref[key]["few"] is few["euler"][key]
        model = shipped.denoiser(views.models(dataset)[key])
        nfe, means, _ = few["curves"][curve]
        for steps in (1, 2, 64):
            x = start.clone()
            for k in range(steps):  # Euler on dx/dt = v(x, t) from t = 1 to 0 in even steps
                t, t_next = 1 - k / steps, 1 - (k + 1) / steps
                x = x + (t_next - t) * model.velocity(x, t)
            groups = [float(g) for g in optimization.group_eds(x.float(), dataset)]
            shared = ref[key]["few"][steps]
            assert torch.allclose(torch.from_numpy(shared["samples"]), x.float(), atol=1e-5)
            assert shared["ed"][0] == pytest.approx(sum(groups) / 3, abs=1e-5)
            assert shared["ed"][0] == pytest.approx(means[nfe.index(steps)], abs=1e-12)
    for curve, (nfe, means, _) in few["curves"].items():
        assert means == pytest.approx([sum(g) / len(g) for g in few["groups"][curve]], abs=1e-12)
    with pytest.raises(ValueError, match="steps given"):
        views.reflowed(shipped.denoiser(views.models(dataset)["flow"]), dataset, {1: few["euler"]["flow"][1]})
