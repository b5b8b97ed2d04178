"""Sampling as optimization: more compute per sample buys quality, and ODE samplers buy it cheaper.

Each section is a fragment, so moving a control reruns only its own section.
"""

import numpy as np
import streamlit as st

import app_cache
import app_common
from app_cache.figures import kept, memo
from app_cache.optimization import DESCENT_DEFAULT, descent_figures
from app_cache.optimization import cached as cache
from app_components import prose
from app_components.chart import chart
from diffusion_core import datasets, metrics, schedules
from diffusion_core.figures import samples_panel
from diffusion_core.topics.optimization import core, figures, views

# the figures a page drew before, from the same inputs, are sent again as built (app_cache.figures)
figures = memo(figures)
samples_panel = kept(samples_panel)

SET_LABELS = {name: datasets.LABELS[name] for name in views.DATASETS}
SAMPLER_LABELS = {"ddpm": "DDPM (SDE)", "ddim": "DDIM", "euler": "Euler (ODE)", "heun": "Heun (ODE)"}
CLOUD_STEPS, DESCENT_STEPS = views.CLOUD_STEPS, views.DESCENT_STEPS


def curves_text(story: dict, with_exact: bool) -> None:
    """What the curves show, from their numbers (views.curve_story)."""
    reach = ", ".join(f"{SAMPLER_LABELS[n].split(' ')[0]} at {b}" if b else f"{SAMPLER_LABELS[n].split(' ')[0]} never"
                      for n, b in story["reach"].items())
    lines = [(f"- *More compute, until the floor.* From these budgets on, each sampler's mean stays within two "
              f"standard errors (its own and the floor's, combined) of what fresh data scores: {reach} evaluations. "
              "Past that, more compute buys nothing this measurement can see.")]
    if story["fail_at_1_and_2"]:
        lines.append("- *One or two evaluations fail.* One step returns the denoiser's guess at the largest noise "
                     "level, and the second of two steps starts almost there. For a perfect denoiser that guess is the "
                     "mean of the data" + (" (the dashed curves start near 1)" if with_exact else "") + "; the "
                     "network does worse still: its $\\hat x_0$ divides a small error by a tiny "
                     "$\\sqrt{\\bar\\alpha_T}$ (see Means and modes).")
    small = story["small"]
    for budget, s in small.items():
        best, nxt = SAMPLER_LABELS[s["best"]].split(" ")[0], SAMPLER_LABELS[s["next"]].split(" ")[0]
        lines.append(f"- *At {budget} evaluations* {best} is best, clearly ahead of {nxt}." if s["clear"] else
                     f"- *At {budget} evaluations* {best} has the lowest mean, but {nxt} is within two standard errors "
                     "of it (the groups compared pair by pair).")
    lines.append("- Euler's curve is DDIM's: an Euler step on the probability-flow ODE is the DDIM update. Heun "
                 "spends two evaluations a step, so for the same budget it takes half as many steps.")
    if with_exact:
        agree = story["agree_with_exact_from"]
        lines.append(f"- *The exact denoiser* (dashed): from {agree} evaluations on, the network's DDIM curve and the "
                     "exact one agree within their errors, so the network's own error does not show at this sample "
                     "size." if agree else "- *The exact denoiser* (dashed): the network's DDIM curve and the exact "
                     "one do not agree within their errors at any budget shown.")
    prose.markdown("**What the curves show.**\n" + "\n".join(lines))
keep = app_common.keep


@st.fragment
def compute_section():
    c_set, c_sampler = st.columns([1, 2])
    dataset = c_set.segmented_control("Data set", tuple(SET_LABELS), required=True,
                                      **keep("opt_dataset", "dino", arg="default",
                                             format_func=SET_LABELS.get)) or "dino"  # None: see app_state.keep
    with st.spinner("Sampling every budget with every sampler (a few seconds, once per data set)..."):
        curves = app_common.shipped(dataset, cache.quality_curves, dataset)
    if curves is None:
        return
    label = {n: SAMPLER_LABELS[n] for n in core.SAMPLERS}
    exact = curves["exact"]
    chart(st, figures.quality_vs_compute(
        {label[n]: c for n, c in curves["network"].items()}, floor=curves["floor"],
        exact=None if exact is None else {label[n]: c for n, c in exact.items()},
        title=f"Compute against quality: {SET_LABELS[dataset]}"), theme=None, key="opt_curves")
    prose.caption(f"Each point: {core.GROUPS} groups of {core.CURVE_SAMPLES} samples from the shipped model of the data "
                  "set (cosine schedule, 1,000 steps; fewer steps are strided), the same start points at every budget. "
                  "The line joins the groups' mean energy distance; the bars span two standard errors. The grey band "
                  f"is what {core.GROUPS} groups of fresh data score (against {metrics.DINO_REFERENCE_N:,} dino points, "
                  "or 2,000 points of the ring), up to two standard errors above their mean; means below the band are "
                  "drawn at its bottom." + (" Dashed: the same samplers with the exact denoiser of the mixture, the "
                                             "limit of a perfect network." if exact is not None else ""))
    curves_text(cache.curve_story(curves), exact is not None)
    sampler = c_sampler.radio("Sampler for the clouds below", core.SAMPLERS, horizontal=True,
                              **keep("opt_sampler", "ddim", index_in=core.SAMPLERS, format_func=SAMPLER_LABELS.get))
    data = app_cache.points(dataset, None if dataset == "dino" else 2000)
    for col, steps in zip(st.columns(len(CLOUD_STEPS), gap="small"), CLOUD_STEPS):
        with col, app_common.in_column(len(CLOUD_STEPS)):
            x = cache.cloud(dataset, sampler, steps)
            nfe = core.nfe_of(sampler, steps)
            chart(st, samples_panel(x, data, title=f"{steps} steps ({nfe} evaluations)",
                                          data_name="data", samples_name="samples", height=340),
                            theme=None, key=f"opt_cloud_{steps}")


@st.fragment
def descent_section():
    c_steps, c_gamma = st.columns(2)
    steps = c_steps.select_slider("Sampling steps", DESCENT_STEPS, **keep("opt_descent_steps", DESCENT_DEFAULT[0]),
                                  help="Steps of the descent from pure noise to a sample (one network evaluation each).")
    gamma = c_gamma.select_slider(
        "Momentum γ", core.MOMENTA,
        **keep("opt_gamma", DESCENT_DEFAULT[1],
               format_func=lambda g: f"{g:g}" + (" (DDIM)" if g == 1 else "")),
        help="Each step moves along γ times the current direction minus γ − 1 times the previous one. "
             "γ = 1 is plain gradient descent, which is DDIM; Permenter and Yuan use γ = 2.")
    with st.spinner("Sampling the descent and every momentum (about a second, once per setting)..."):
        drawn = descent_figures(steps, gamma)  # built in app_cache/optimization.py, ahead for most settings
    chart(st, drawn["opt_landscape"], theme=None, key="opt_landscape")
    prose.markdown(
        "**What to look for.** Press play, or drag the slider: at large $\\sigma$ the map is one broad bowl around "
        "the dino, and the samples move towards its middle. As $\\sigma$ falls it sharpens into valleys along the "
        "lines of the dino, and each sample drops into the one nearest it. Below, the same runs as distances: while "
        "$\\sigma$ is large every sample is about as far from the data as its noise (the dotted line is the noise's "
        "typical length); once $\\sigma$ falls below the size of the dino (about 1) the distance falls to the data. "
        "The dashed smoothed distance is what each step descends; it stays above the solid one and meets it at "
        "$\\sigma = 0$.")
    traces = cache.descent_traces(steps, gamma)
    cols = st.columns(2, gap="medium")
    for col, name in zip(cols, traces):
        with col:
            chart(st, drawn[f"opt_dist_{name}"], theme=None, key=f"opt_dist_{name}")
    landed = {name: f"{float(np.median(near[-1])):.2g}" for name, (_, near, _) in traces.items()}
    prose.caption(f"Five samples from the same start points in both panels, in the frame y = x_t / √ᾱ_t = x₀ + σε "
                  f"(cosine schedule; the first state has σ ≈ {traces['network'][0][0]:,.0f}). Distances under 10⁻⁴ "
                  f"are drawn at 10⁻⁴. Median final distance to the nearest training point: network "
                  f"{landed['network']}, ideal denoiser {landed['ideal']}"
                  + (" (with momentum, the last step extrapolates past the point it was heading for)." if gamma != 1
                  else "."))
    momentum_block(steps, gamma, drawn)


def momentum_block(steps: int, gamma: float, drawn: dict) -> None:
    scan = cache.momentum_scan(steps)
    chart(st, drawn["opt_momentum"], theme=None, key="opt_momentum")
    for col, which in zip(st.columns(2, gap="large"), ("plain", "chosen")):
        chart(col, drawn[f"opt_momentum_cloud_{which}"], theme=None, key=f"opt_momentum_cloud_{which}")
    net = scan["curves"]["network"]
    band = metrics.NoiseBand(*scan["floor"])
    plain, chosen = (app_common.ed_text(v, band) for v in (net[0], net[core.MOMENTA.index(gamma)]))
    best_ed = app_common.ed_text(scan["best_ed"], band)
    best_text = (f"the best momentum here is γ = {scan['best_gamma']:g}, where it is {best_ed}, clearly better"
                 if scan["best_beats_plain"] else
                 f"the lowest mean is at γ = {scan['best_gamma']:g}, where it is {best_ed}, but no momentum beats "
                 "plain DDIM by more than two standard errors")
    prose.markdown(
        f"**Measured at {steps} steps.** The network's samples reach an energy distance of {plain} with plain "
        f"DDIM and {chosen} with γ = {gamma:g}, {views.verdict(scan, gamma)} DDIM; {best_text}. Each point is "
        f"{core.GROUPS} groups of {core.CURVE_SAMPLES} samples that start from the same points at every γ, so two "
        "γ are compared group by group.")


st.title("Sampling as optimization")
prose.markdown(
    "A diffusion model is trained once; every sample then costs compute of its own. Each sampling step is "
    "a small move of the sample towards where the network thinks the data is, like a step of gradient "
    "descent at inference time (Permenter and Yuan 2024), so the number of steps is a knob: more steps, "
    "more compute per sample, better samples, up to what the network itself knows."
)
st.header("1. Compute against quality, measured live")
prose.markdown(
    "Each sampler below runs the shipped network with a budget of 1 to 250 **network evaluations** per sample "
    "(one per step; Heun, a second-order solver, spends two). Quality is the **energy distance** to the data: "
    "it compares the whole cloud of samples with the data's, and is 0 when the two are distributed alike. It is "
    "estimated from finite samples, so it is noisy; the grey band shows how noisy."
)
compute_section()
five = [float(v) for v in schedules.grid(schedules.shipped("cosine"), 5)[:-1]]
prose.markdown(
    "**When ODE samplers need fewer steps, and when not.** DDPM's steps each add fresh noise that later steps must "
    "remove. The **probability-flow ODE** (the deterministic path with the same marginals as DDPM in the limit of "
    "many steps, Song et al. 2021) has smooth paths (Score fields shows them), and a smooth path can be followed "
    "with long steps by a higher-order solver. On a Gaussian with the exact score the tests measure it at equal "
    "*steps*: doubling them halves Euler's error in the spread and cuts Heun's by more. At equal *evaluations* the "
    "curves above show the other side: on these sets DDPM does as well or better at a handful of evaluations. The "
    "strided cosine grid is coarse at the top (at 5 steps it visits σ = "
    + ", ".join(f"{v:,.0f}" if v >= 100 else f"{v:.3g}" for v in five) + ", then 0), and Heun, at two evaluations a step, gets only half the "
    "levels. Image samplers use grids and solvers tuned for few evaluations (Karras et al. 2022)."
)
st.header("2. Sampling descends a distance to the data")
app_common.noise_levels()
prose.markdown(
    "**A distance that sharpens.** Work in the rescaled frame of the box above: the noisy sample is "
    "$y = x_0 + \\sigma\\varepsilon$, the data plus noise of size $\\sigma$. For training points "
    "$x_1, \\dots, x_N$, define half a squared distance, smoothed at scale $\\sigma$:"
)
prose.latex(r"f_\sigma(y) = -\sigma^2 \log \frac{1}{N}\sum_{i=1}^{N} e^{-\lVert y - x_i\rVert^2 / 2\sigma^2}.")
prose.markdown(
    "It is a soft minimum. For small $\\sigma$ it is half the squared distance to the nearest training point. "
    "For large $\\sigma$ it is half the mean squared distance to all of them: one broad bowl. The map below draws "
    "it (as the distance $\\sqrt{2 f_\\sigma}$) at each noise level of a run."
)
prose.markdown(
    "**Its gradient is the denoiser's step.** The gradient of $f_\\sigma$ is $y - \\mathbb{E}[x_0 \\mid y]$, and "
    "the expectation is what the ideal denoiser predicts (the tests check this with autograd). A DDIM step, "
    "$y_{t-1} = \\hat x_0 + \\tfrac{\\sigma_{t-1}}{\\sigma_t}(y_t - \\hat x_0)$, is therefore one step of "
    "gradient descent (Permenter and Yuan 2024):"
)
prose.latex(r"y_{t-1} = y_t - \eta_t \nabla f_{\sigma_t}(y_t), \qquad \eta_t = 1 - \sigma_{t-1}/\sigma_t.")
prose.markdown(
    "The step size $\\eta_t$ is set by the schedule, and the objective changes as $\\sigma$ falls. A trained "
    "network stands in for the ideal denoiser; it has learned a smoother function than the nearest-point pull of "
    "142 points. **Momentum**: with few steps each stride is long, and its direction is stale by the time it "
    "lands. Permenter and Yuan's sampler extrapolates the direction from its last two evaluations, "
    "$\\bar\\varepsilon_t = \\gamma\\,\\hat\\varepsilon_t + (1-\\gamma)\\,\\hat\\varepsilon_{t+1}$, at no extra "
    "evaluations."
)
descent_section()
st.header("3. Where this fits")
prose.markdown(
    "Training is paid once; sampling is paid per sample, and each of the two sections above is a way to "
    "spend that compute better. The steps are the same object seen three ways: a step towards the current "
    "posterior mean (Means and modes), a step along the score (Score fields, where Langevin's added noise is "
    "what DDPM keeps and DDIM drops), and here a step of gradient descent on a distance to the data that "
    "sharpens as the noise falls. Deterministic samplers follow a smooth path, which a higher-order solver or a "
    "momentum term may follow with fewer, longer steps: on images that is how the few-step samplers win. Here the "
    "measurements above decide it, budget by budget. The Playground lets you try every sampler on a model you train yourself."
)
c1, c2, c3 = st.columns(3)
c1.page_link("app_pages/means_and_modes.py", label="Means and modes", icon=":material/arrow_forward:")
c2.page_link("app_pages/score_fields.py", label="Score fields", icon=":material/arrow_forward:")
c3.page_link("app_pages/playground.py", label="Playground", icon=":material/arrow_forward:")
app_common.glossary()
st.divider()
prose.caption(
    "References. J. Ho, A. Jain, P. Abbeel, DDPM (2020). J. Song, C. Meng, S. Ermon, DDIM (2021). Y. Song et al., "
    "Score-Based Generative Modeling through SDEs (2021). T. Karras, M. Aittala, T. Aila, S. Laine, Elucidating "
    "the Design Space of Diffusion-Based Generative Models (2022). F. Permenter, C. Yuan, Interpreting and "
    "Improving Diffusion Models from an Optimization Perspective (2024). G. Szekely, M. Rizzo, Energy "
    "statistics (2013)."
)
