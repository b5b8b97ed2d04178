"""What "Flow matching" shows, one call per control: plain values in, numpy and numbers out.

The page calls these through its cache (app_cache/flow.py); `bench.py` times the same calls. Every run starts
from the same noise (seed 0), so the eps-model, the flow model and the reflowed one are compared on equal terms.
"""

from __future__ import annotations

import numpy as np
import torch

from ... import datasets, pretrained, samplers, schedules, shipped
from ...denoisers import MixtureDenoiser
from ...mixtures import EmpiricalSet
from ..objective import core as objective
from ..optimization import core as optimization
from . import core

DATASETS = pretrained.FLOW_SETS  # the page's data sets: the dino (142 points) and the ring of 8 Gaussians
DATASET = DATASETS[0]  # the default
# the ideal denoiser each data set is compared with: the points' own for the dino, the exact mixture's for the ring
IDEAL = {"dino": "the 142 points", "ring8": "the mixture of 8 Gaussians"}
PAIRS = 24  # (noise, data) pairs whose paths are drawn
PATH_STEPS = 64  # Euler steps of every drawn ODE path (and of the straightness measure)
FRAME_TIMES = tuple(round(1 - 0.05 * k, 2) for k in range(20))  # t of the scrubbed field: 1, 0.95, ..., 0.05
FIELD_LIM, FIELD_CELLS = 3.0, 15  # the velocity field's grid
NFE = (1, 2, 4, 8, 16, 32, 64)  # the budgets of the few-step curves (and the grid section's step counts)
GRID_DEFAULT = 8  # the grid section's step count a first visitor sees
STRAIGHT_N = 400  # paths in the straightness measure
REFLOW_SHOWN = (1, 2, NFE[-1])  # the Euler steps whose samples section 5 shows or scores, before and after reflow
# section 5 takes those runs from the few-step curves (few_steps keeps them): each must be one of their budgets
assert set(REFLOW_SHOWN) <= set(NFE), (REFLOW_SHOWN, NFE)
LAMBDA_RANGE = (-10.0, 10.0)  # the log-SNRs over which the loss weights are drawn and scaled


def models(dataset: str) -> dict[str, str]:
    """The shipped names of the eps-model, the flow model and the reflowed one of a data set."""
    return {"eps": dataset, "flow": f"flow_{dataset}", "reflow": f"reflow_{dataset}"}


def _points(dataset: str) -> torch.Tensor:
    """The data drawn under the plots: the dino's 142 points, 2,000 points of a mixture."""
    return datasets.load(dataset) if dataset == "dino" else datasets.load(dataset, 2000)


def _ideal(dataset: str) -> MixtureDenoiser:
    """The ideal denoiser E[x0 | x]: under the dino's 142 points themselves, or the ring's exact mixture."""
    return MixtureDenoiser(EmpiricalSet(_points(dataset)) if dataset == "dino" else datasets.mixture(dataset))


def loss_weights() -> dict:
    """The weight each loss puts on the eps-error |eps_hat - eps|^2 per unit log-SNR lambda = -2 log sigma, each
    scaled to integrate to 1 over LAMBDA_RANGE: the eps-model's (steps of the cosine schedule drawn uniformly, weight
    1) and the flow model's (t uniform on [0, 1], weight (1 + sigma)^2; per unit lambda that is sigma / 2, Kingma and
    Gao 2023's e^(-lambda / 2))."""
    lam = np.linspace(*LAMBDA_RANGE, 401)
    cosine = schedules.shipped("cosine")
    sched_lam = objective.log_snr(cosine)
    eps_density = objective.density_over_log_snr(cosine, np.full(cosine.T, 1 / cosine.T))
    order = np.argsort(sched_lam)
    eps = np.interp(lam, sched_lam[order], eps_density[order], left=0.0, right=0.0)
    sigma = np.exp(-lam / 2)
    flow = sigma / 2  # dt/dlambda = (sigma / 2) / (1 + sigma)^2, times the weight (1 + sigma)^2
    curves = {"eps": eps / eps.sum(), "flow": flow / flow.sum()}  # shares of the range's weight, per grid cell
    step = lam[1] - lam[0]
    return {"lambda": lam, **{k: w / step for k, w in curves.items()},
            "noisy_share": {k: float(w[lam < 0].sum()) for k, w in curves.items()}}


def _ode_paths(field, noise: torch.Tensor, steps: int = PATH_STEPS) -> np.ndarray:
    return core.integrate(field, noise, core.uniform_times(steps)).float().numpy()


def _field_at(field, t: float) -> np.ndarray:
    axis = torch.linspace(-FIELD_LIM, FIELD_LIM, FIELD_CELLS, dtype=torch.float64)
    yy, xx = torch.meshgrid(axis, axis, indexing="ij")
    grid = torch.stack([xx.reshape(-1), yy.reshape(-1)], 1)
    return field(grid, t).float().numpy()


def paths(dataset: str) -> dict:
    """PAIRS noise draws (seed 0) and data points drawn at random: their straight training paths; the ODE paths from
    the same noise of the ideal velocity field (`_ideal`) and of the flow network; and, at each of FRAME_TIMES, both
    fields on a FIELD_CELLS^2 grid."""
    noise = core.start_noise(PAIRS, 0)
    points = _points(dataset)
    pick = torch.randint(len(points), (PAIRS,), generator=torch.Generator().manual_seed(0))
    data = points[pick].double()
    ideal, learned = core.velocity_of(_ideal(dataset)), shipped.denoiser(models(dataset)["flow"]).velocity
    times = core.uniform_times(PATH_STEPS).numpy()
    axis = np.linspace(-FIELD_LIM, FIELD_LIM, FIELD_CELLS)
    runs = {"ideal_paths": _ode_paths(ideal, noise), "learned_paths": _ode_paths(learned, noise)}
    return {"noise": noise.float().numpy(), "data": data.float().numpy(), "times": times, **runs,
            "ratio": {k: core.straightness(torch.from_numpy(v).double()).ratio for k, v in runs.items()},
            "frame_times": list(FRAME_TIMES), "grid": np.stack(np.meshgrid(axis, axis), -1).reshape(-1, 2),
            "ideal_field": [_field_at(ideal, t) for t in FRAME_TIMES],
            "learned_field": [_field_at(learned, t) for t in FRAME_TIMES], "points": points.numpy()}


def grids(dataset: str, steps: int) -> dict:
    """DDIM's noise levels (the cosine schedule, strided to `steps`) as flow times, beside `steps` even flow times;
    and, with the ideal denoiser from the same 1,200 noise draws: DDIM on its grid, Euler on the flow over DDIM's
    grid (the same states, to the float32 records of DDIM's states: the largest gap between them, in the flow frame)
    and Euler over the even grid, with each run's energy distance (mean of 3 groups) and the floor."""
    n = optimization.GROUPS * optimization.CURVE_SAMPLES
    cosine = schedules.shipped("cosine")
    sigmas = schedules.grid(cosine, steps)
    ddim_times, even = core.times_of_sigmas(sigmas), core.uniform_times(steps)
    den = _ideal(dataset)
    field = core.velocity_of(den)
    start = core.start_noise(n, 0)  # every run's first state (DDIM's first level is t = 0.99995: noise, as at t = 1)
    ddim = [s.x.double() / (1 + s.sigma) for s in samplers.ddim(den, start * (1 + float(sigmas[0])), sigmas,
                                                                 clip_x0=None)]
    euler_ddim = core.integrate(field, start, ddim_times)
    euler_even = core.integrate(field, start, even)
    gap = max(float((a - b).abs().max()) for a, b in zip(ddim, euler_ddim))
    ed = lambda x: optimization.mean_and_error(optimization.group_eds(x.float(), dataset))  # noqa: E731
    floor = optimization.floor(dataset)
    return {"ddim_times": ddim_times.numpy(), "even_times": even.numpy(), "gap": gap,
            "ddim": ddim[-1].float().numpy(), "euler_ddim": euler_ddim[-1].float().numpy(),
            "euler_even": euler_even[-1].float().numpy(), "ed_ddim": ed(ddim[-1]), "ed_even": ed(euler_even[-1]),
            "floor": (floor.mean, floor.std)}


def _curve(run, dataset: str, keep: tuple[int, ...] = ()) -> tuple[list[int], list[float], list[float],
                                                                   list[list[float]], dict[int, dict]]:
    """(nfe, mean energy distance, its standard error, the groups, and the runs kept) over NFE for
    `run(nfe) -> (evaluations spent, samples)`; the runs of the budgets in `keep` are kept as {"samples", "ed"}."""
    nfes, means, errs, groups, kept = [], [], [], [], {}
    for nfe in NFE:
        used, x = run(nfe)
        if nfes and used == nfes[-1]:  # Heun spends 2 a step but 1 on the last: a budget of 2 buys what 1 does
            continue
        values = optimization.group_eds(x.float(), dataset)
        mean, err = optimization.mean_and_error(values)
        nfes.append(used)
        means.append(mean)
        errs.append(err)
        groups.append(values)
        if nfe in keep:
            kept[nfe] = {"samples": x.float().numpy(), "ed": (mean, err)}
    return nfes, means, errs, groups, kept


def few_steps(dataset: str) -> dict:
    """Energy distance against network evaluations (NFE) for the eps-model with DDIM (cosine grid), the flow model
    with Euler and with Heun (even grids), and the reflowed model with Euler, each from the same 1,200 noise draws
    measured as 3 groups of 400; and the floor. The Euler runs of REFLOW_SHOWN steps are kept (`euler`: the flow
    model's and the reflowed one's), as section 5 shows them."""
    n = optimization.GROUPS * optimization.CURVE_SAMPLES
    names = models(dataset)
    eps, flow, reflow = (shipped.denoiser(names[k]) for k in ("eps", "flow", "reflow"))
    cosine = schedules.shipped("cosine")
    start = core.start_noise(n, 0)

    def ddim(nfe):
        return nfe, samplers.sample(eps, n, schedules.grid(cosine, nfe), sampler="ddim", seed=0)

    def heun(nfe):
        steps = optimization.steps_for("heun", nfe)
        return core.evaluations(steps, True), core.integrate(flow.velocity, start, core.uniform_times(steps),
                                                             heun=True)[-1]

    curves = {"eps_ddim": _curve(ddim, dataset), "flow_euler": _curve(_euler(flow, start), dataset, REFLOW_SHOWN),
              "flow_heun": _curve(heun, dataset), "reflow_euler": _curve(_euler(reflow, start), dataset, REFLOW_SHOWN)}
    floor = optimization.floor(dataset)
    return {"curves": {k: v[:3] for k, v in curves.items()}, "groups": {k: v[3] for k, v in curves.items()},
            "euler": {"flow": curves["flow_euler"][4], "reflow": curves["reflow_euler"][4]},
            "floor": (floor.mean, floor.std), "sigma_max": float(cosine.sigma[-1])}


def _euler(model: core.FlowDenoiser, start: torch.Tensor):
    """`run(nfe)` of `_curve` for Euler on the flow model's ODE over even steps, from `start`."""
    return lambda nfe: (nfe, core.integrate(model.velocity, start, core.uniform_times(nfe))[-1])


def reflowed(model: core.FlowDenoiser, dataset: str, few: dict[int, dict] | None = None) -> dict:
    """A flow model's ODE paths of PAIRS noise draws, how straight STRAIGHT_N of its paths are (core.straightness),
    and its samples of REFLOW_SHOWN Euler steps (1,200 of them, seed 0) with their energy distance: computed, or
    `few` if given (the same runs, from few_steps)."""
    s = core.straightness(core.integrate(model.velocity, core.start_noise(STRAIGHT_N, 0),
                                         core.uniform_times(PATH_STEPS)))
    if few is not None and sorted(few) != sorted(REFLOW_SHOWN):
        raise ValueError(f"reflowed: runs of {sorted(few)} steps given, {REFLOW_SHOWN} needed")
    if few is None:
        run = _euler(model, core.start_noise(optimization.GROUPS * optimization.CURVE_SAMPLES, 0))
        few = {}
        for steps in REFLOW_SHOWN:
            x = run(steps)[1].float()
            few[steps] = {"samples": x.numpy(),
                          "ed": optimization.mean_and_error(optimization.group_eds(x, dataset))}
    return {"paths": _ode_paths(model.velocity, core.start_noise(PAIRS, 0)), "ratio": s.ratio,
            "deviation": s.deviation, "cost": s.cost, "few": few}


def reflow(dataset: str, few: dict) -> dict:
    """`reflowed` of the flow model and of the shipped reflowed one (their Euler samples taken from `few`, the data
    set's few_steps); the energy distance of the teacher's samples (the flow model's ODE in as many steps
    as the reflow pairs took), and the floor."""
    names = models(dataset)
    out = {key: reflowed(shipped.denoiser(names[key]), dataset, few["euler"][key]) for key in ("flow", "reflow")}
    many = core.start_noise(optimization.GROUPS * optimization.CURVE_SAMPLES, 0)
    teacher = core.integrate(shipped.denoiser(names["flow"]).velocity, many,
                             core.uniform_times(pretrained.REFLOW_ODE_STEPS))[-1].float()
    floor = optimization.floor(dataset)
    return {**out, "floor": (floor.mean, floor.std), "points": _points(dataset).numpy(), "pairs": PAIRS,
            "straight_n": STRAIGHT_N,
            "teacher_ed": optimization.mean_and_error(optimization.group_eds(teacher, dataset)),
            "teacher_steps": pretrained.REFLOW_ODE_STEPS, "reflow_pairs": pretrained.REFLOW_PAIRS,
            "reflow_steps": pretrained.REFLOW_STEPS}


def quality(dataset: str) -> dict:
    """Sections 4 and 5 together, as they share their Euler runs: {"few_steps": few_steps, "reflow": reflow}. Both
    need all three of the data set's models (the eps-model, the flow model and the reflowed one)."""
    few = few_steps(dataset)
    return {"few_steps": few, "reflow": reflow(dataset, few)}
