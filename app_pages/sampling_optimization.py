"""Sampling as optimization: more compute per sample buys quality, and ODE samplers buy it cheaper.

Each section is a fragment, so moving a control reruns only its own section.
"""

import numpy as np
import streamlit as st

import app_cache
import app_common
from app_cache.optimization import cached as cache
from diffusion_core import datasets, metrics
from diffusion_core.figures import SERIES, samples_panel
from diffusion_core.topics.optimization import core, figures, views

SET_LABELS = {name: datasets.LABELS[name] for name in ("dino", "ring8")}
SAMPLER_LABELS = {"ddpm": "DDPM (SDE)", "ddim": "DDIM", "euler": "Euler (ODE)", "heun": "Heun (ODE)"}
CLOUD_STEPS = (5, 10, 20, 100)
DESCENT_STEPS = (5, 10, 20, 50, 100)
DESCENT_LABELS = {"network": "shipped network", "ideal": "ideal denoiser (the 142 points)"}
keep = app_common.keep


@st.fragment
def compute_section():
    c_set, c_sampler = st.columns([1, 2])
    dataset = c_set.selectbox("Data set", tuple(SET_LABELS), format_func=SET_LABELS.get, **keep("opt_dataset", "dino"))
    with st.spinner("Sampling every budget with every sampler (a few seconds, once per data set)..."):
        curves = app_common.shipped(dataset, cache.quality_curves, dataset)
    if curves is None:
        return
    label = {n: SAMPLER_LABELS[n] for n in core.SAMPLERS}
    exact = curves["exact"]
    st.plotly_chart(figures.quality_vs_compute(
        {label[n]: c for n, c in curves["network"].items()},
        exact=None if exact is None else {label[n]: c for n, c in exact.items()},
        title=f"Compute against quality: {SET_LABELS[dataset]}"), theme=None, key="opt_curves")
    st.caption(f"{core.CURVE_SAMPLES} samples per point, seed 0, the shipped model of the data set "
               f"(cosine schedule, 1,000 steps; fewer steps are strided). Energy distance against fresh data "
               f"({metrics.DINO_REFERENCE_N:,} dino points, or 2,000 points of the ring); values under 10⁻⁴, "
               "where the estimate is noise, are drawn at 10⁻⁴."
               + (" Dashed: the same samplers with the exact denoiser of the mixture, the limit of a perfect "
                  "network." if exact is not None else ""))
    sampler = c_sampler.radio("Sampler for the clouds below", core.SAMPLERS, format_func=SAMPLER_LABELS.get,
                              horizontal=True, **keep("opt_sampler", "ddim"))
    data = app_cache.points(dataset, None if dataset == "dino" else 2000)
    for col, steps in zip(st.columns(len(CLOUD_STEPS), gap="small"), CLOUD_STEPS):
        with col:
            x = cache.cloud(dataset, sampler, steps)
            nfe = core.nfe_of(sampler, steps)
            st.plotly_chart(samples_panel(x, data, title=f"{steps} steps ({nfe} evaluations)",
                                          data_name="data", samples_name="samples", height=300),
                            theme=None, key=f"opt_cloud_{steps}")


@st.fragment
def descent_section():
    c_steps, c_gamma = st.columns(2)
    steps = c_steps.select_slider("Sampling steps", DESCENT_STEPS, **keep("opt_descent_steps", 10),
                                  help="Steps of the descent from pure noise to a sample (one network evaluation each).")
    gamma = c_gamma.select_slider(
        "Momentum γ", core.MOMENTA, format_func=lambda g: f"{g:g}" + (" (DDIM)" if g == 1 else ""),
        **keep("opt_gamma", core.PAPER_GAMMA),
        help="Each step moves along γ times the current direction minus γ − 1 times the previous one. "
             "γ = 1 is plain gradient descent, which is DDIM; Permenter and Yuan use γ = 2.")
    traces = cache.descent_traces(steps, gamma)
    cols = st.columns(2, gap="medium")
    for col, (name, (sig, near, smooth)) in zip(cols, traces.items()):
        with col:
            st.plotly_chart(figures.distance_paths(sig, near, smooth, title=f"{DESCENT_LABELS[name].capitalize()}: "
                                                   f"{steps} steps, γ = {gamma:g}"), theme=None, key=f"opt_dist_{name}")
    landed = {name: f"{float(np.median(near[-1])):.2g}" for name, (_, near, _) in traces.items()}
    st.caption(f"Five samples from the same start points in both panels, in the frame y = x_t / √ᾱ_t = x₀ + σε "
               f"(cosine schedule; the first state has σ ≈ {traces['network'][0][0]:,.0f}). Distances under 10⁻⁴ "
               f"are drawn at 10⁻⁴. Median final distance to the nearest training point: network "
               f"{landed['network']}, ideal denoiser {landed['ideal']}"
               + (" (with momentum, the last step extrapolates past the point it was heading for)." if gamma != 1
                  else "."))
    momentum_block(steps, gamma)


def momentum_block(steps: int, gamma: float) -> None:
    with st.spinner("Sampling at every momentum (about a second, once per step count)..."):
        scan = cache.momentum_scan(steps)
    curve_col, plain_col, chosen_col = st.columns([4, 3, 3], gap="small")
    curve_col.plotly_chart(figures.momentum_curve(core.MOMENTA, {DESCENT_LABELS[k]: v for k, v in scan["curves"].items()},
                                                  chosen=gamma, title=f"Momentum against quality at {steps} steps"),
                           theme=None, key="opt_momentum")
    data = app_cache.points(views.DESCENT_SET, None)
    for col, g, color, which in ((plain_col, 1.0, SERIES[0], "plain"), (chosen_col, gamma, SERIES[1], "chosen")):
        col.plotly_chart(samples_panel(cache.descent_cloud(steps, g), data, title=(
            f"Network, {steps} steps, " + ("plain DDIM" if g == 1 else f"γ = {g:g}")), data_name="dino points",
            samples_name="samples", color=color, height=380), theme=None, key=f"opt_momentum_cloud_{which}")
    net = scan["curves"]["network"]
    plain, chosen = net[0], net[core.MOMENTA.index(gamma)]
    best_text = (f"the best momentum here is γ = {scan['best_gamma']:g} ({scan['best_ed']:.4f})"
                 if scan["best_beats_plain"] else "no momentum beats plain DDIM by more than the noise")
    st.markdown(
        f"**Measured at {steps} steps.** The network's samples reach an energy distance of {plain:.4f} with plain "
        f"DDIM and {chosen:.4f} with γ = {gamma:g}, {views.verdict(scan, gamma)} DDIM; {best_text}. Each point is "
        f"{core.CURVE_SAMPLES} samples, so differences under about {core.ED_NOISE:g} are noise.")


st.title("Sampling as optimization")
st.markdown(
    "A diffusion model is trained once; every sample then costs compute of its own. Each sampling step is "
    "a small move of the sample towards where the network thinks the data is, like a step of gradient "
    "descent at inference time (Permenter and Yuan 2024), so the number of steps is a knob: more steps, "
    "more compute per sample, better samples, up to what the network itself knows."
)
st.header("1. Compute against quality, measured live")
st.markdown(
    "**What to look for.** Every curve falls steeply from 5 to about 50 network evaluations and then flattens "
    "at about 0.002, which is as small as 400 samples can measure (two draws of the data differ by that "
    "much); past that point more compute buys nothing you can see. At the small budgets the samplers differ: "
    "here DDPM, whose fresh noise lets later steps correct earlier mistakes, is as good as the ODE samplers "
    "or better, and Heun, which spends two evaluations per step, has taken only half as many steps for the "
    "same budget. With one or two evaluations every sampler fails: its first guess is made at $t = T$, where "
    "the network's $\\hat x_0$ divides a small error by a tiny $\\sqrt{\\bar\\alpha_T}$ (see Means and modes). "
    "On the ring, the dashed curves use the exact denoiser: its one-step answer is the mean of the data "
    "(energy distance about 1), the network's is far worse, and from about 50 evaluations on the two agree "
    "within the measurement: there the remaining error is discretisation, not the model."
)
compute_section()
st.markdown(
    "**Why ODE samplers can need fewer steps.** DDPM's steps each add fresh noise that later steps must "
    "remove; the probability-flow ODE's paths are smooth (Score fields shows them), and a smooth path can be "
    "followed with large steps by a higher-order solver. On a Gaussian with the exact score, the tests "
    "measure it: doubling the steps halves Euler's error in the spread and cuts Heun's by more. An Euler step "
    "on the ODE is exactly a DDIM step, which is why their curves coincide. On these small 2D sets that "
    "advantage is below what the measurement can resolve at the budgets shown; it matters for images, whose "
    "samplers are tuned to a few dozen evaluations (Karras et al. 2022)."
)
st.header("2. Sampling descends a distance to the data")
app_common.noise_levels()
st.markdown(
    "Work in the rescaled frame of the box above: the noisy sample is $y = x_t/\\sqrt{\\bar\\alpha_t} = x_0 + "
    "\\sigma\\varepsilon$, the data plus noise of size $\\sigma$. For training "
    "points $x_1, \\dots, x_N$, define half a squared distance smoothed at scale $\\sigma$,"
)
st.latex(r"f_\sigma(y) = -\sigma^2 \log \frac{1}{N}\sum_{i=1}^{N} e^{-\lVert y - x_i\rVert^2 / 2\sigma^2}.")
st.markdown(
    "It is a soft minimum: for small $\\sigma$ it is half the squared distance to the nearest training point, "
    "for large $\\sigma$ half the mean squared distance to all of them. Its gradient is "
    "$y - \\mathbb{E}[x_0 \\mid y]$, where the expectation is what the ideal denoiser predicts (the tests check "
    "this with autograd). So a DDIM step, $y_{t-1} = \\hat x_0 + \\tfrac{\\sigma_{t-1}}{\\sigma_t}(y_t - \\hat x_0)$, "
    "is one step of gradient descent,"
)
st.latex(r"y_{t-1} = y_t - \eta_t \nabla f_{\sigma_t}(y_t), \qquad \eta_t = 1 - \sigma_{t-1}/\sigma_t,")
st.markdown(
    "on an objective that sharpens from a broad bowl into a nearest-point distance as $\\sigma$ falls "
    "(Permenter and Yuan 2024). A trained network stands in for the ideal denoiser; it has learned a smoother "
    "function than the nearest-point pull of 142 points.\n\n"
    "**What to look for.** While $\\sigma$ is large, every sample is about as far from the data as its noise "
    "(the dotted line is the noise's typical length). Once $\\sigma$ falls below the size of the dino (about 1), the distance stops tracking "
    "the noise and falls to the data. With γ = 1 (plain DDIM: move the slider to 1) the ideal denoiser's last "
    "step lands on a training point, usually exactly (distance 0, drawn at 10⁻⁴: it copies, as in Means and "
    "modes); the network ends near the points "
    "but not on them. The dashed smoothed distance is what each step descends; it stays above the solid line "
    "and meets it as σ reaches 0.\n\n"
    "**Momentum.** Plain gradient descent with few steps takes long strides with a direction that is stale "
    "by the time it lands. Permenter and Yuan's sampler extrapolates the direction from its last two "
    "evaluations, $\\bar\\varepsilon_t = \\gamma\\,\\hat\\varepsilon_t + (1-\\gamma)\\,\\hat\\varepsilon_{t+1}$, "
    "at no extra evaluations: a momentum term. Set the steps to 5 or 10 and move γ: a little momentum "
    "buys quality that would otherwise cost more steps; too much overshoots. At 50 steps or more there is "
    "nothing left to buy."
)
descent_section()
st.header("3. Where this fits")
st.markdown(
    "Training is paid once; sampling is paid per sample, and each of the two sections above is a way to "
    "spend that compute better. The steps are the same object seen three ways: a step towards the current "
    "posterior mean (Means and modes), a step along the score (Score fields, where Langevin's added noise is "
    "what DDPM keeps and DDIM drops), and here a step of gradient descent on a distance to the data that "
    "sharpens as the noise falls. Deterministic samplers follow a smooth path, which is why a higher-order "
    "solver or a momentum term can take fewer, longer steps; the Playground lets you try every sampler on a "
    "model you train yourself."
)
c1, c2, c3 = st.columns(3)
c1.page_link("app_pages/means_and_modes.py", label="Means and modes", icon=":material/arrow_forward:")
c2.page_link("app_pages/score_fields.py", label="Score fields", icon=":material/arrow_forward:")
c3.page_link("app_pages/playground.py", label="Playground", icon=":material/arrow_forward:")
st.divider()
st.caption(
    "References. J. Ho, A. Jain, P. Abbeel, DDPM (2020). J. Song, C. Meng, S. Ermon, DDIM (2021). Y. Song et al., "
    "Score-Based Generative Modeling through SDEs (2021). T. Karras, M. Aittala, T. Aila, S. Laine, Elucidating "
    "the Design Space of Diffusion-Based Generative Models (2022). F. Permenter, C. Yuan, Interpreting and "
    "Improving Diffusion Models from an Optimization Perspective (2024). G. Szekely, M. Rizzo, Energy "
    "statistics (2013)."
)
