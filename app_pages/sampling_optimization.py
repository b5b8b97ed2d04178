"""Sampling as optimization: more compute per sample buys quality, and ODE samplers buy it cheaper.

Each section is a fragment, so moving a control reruns only its own section.
"""

import streamlit as st

import app_cache
import app_state
from diffusion_core import metrics, optimization, plots

SET_LABELS = {"dino": "Dino (Datasaurus)", "ring8": "Ring of 8 Gaussians"}
SAMPLER_LABELS = {"ddpm": "DDPM (SDE)", "ddim": "DDIM", "euler": "Euler (ODE)", "heun": "Heun (ODE)"}
CLOUD_STEPS = (5, 10, 20, 100)


@st.fragment
def compute_section():
    c_set, c_sampler = st.columns([1, 2])
    dataset = c_set.selectbox("Data set", tuple(SET_LABELS), format_func=SET_LABELS.get,
                              **app_state.keep("opt_dataset", "dino"))
    with st.spinner("Sampling every budget with every sampler (a few seconds, once per data set)..."):
        try:
            curves = app_cache.quality_curves(dataset)
        except (FileNotFoundError, ValueError) as err:
            st.warning(app_cache.MISSING_WEIGHTS.format(name=dataset, err=err))
            return
    label = {n: SAMPLER_LABELS[n] for n in optimization.SAMPLERS}
    exact = curves["exact"]
    st.plotly_chart(plots.quality_vs_compute(
        {label[n]: c for n, c in curves["network"].items()},
        exact=None if exact is None else {label[n]: c for n, c in exact.items()},
        title=f"Compute against quality: {SET_LABELS[dataset]}"), theme=None, key="opt_curves")
    st.caption(f"{optimization.CURVE_SAMPLES} samples per point, seed 0, the shipped model of the data set "
               f"(cosine schedule, 1,000 steps; fewer steps are strided). Energy distance against fresh data "
               f"({metrics.DINO_REFERENCE_N:,} dino points, or 2,000 points of the ring); values under 10⁻⁴, "
               "where the estimate is noise, are drawn at 10⁻⁴."
               + (" Dashed: the same samplers with the exact denoiser of the mixture, the limit of a perfect "
                  "network." if exact is not None else ""))
    sampler = c_sampler.radio("Sampler for the clouds below", optimization.SAMPLERS, format_func=SAMPLER_LABELS.get,
                              horizontal=True, **app_state.keep("opt_sampler", "ddim"))
    data = app_cache.points(dataset, None if dataset == "dino" else 2000)
    for col, steps in zip(st.columns(len(CLOUD_STEPS), gap="small"), CLOUD_STEPS):
        with col:
            x = app_cache.samples(dataset, sampler, steps, optimization.CURVE_SAMPLES, 0)
            nfe = optimization.nfe_of(sampler, steps)
            st.plotly_chart(plots.samples_panel(x, data, title=f"{steps} steps ({nfe} evaluations)",
                                                data_name="data", samples_name="samples", height=300),
                            theme=None, key=f"opt_cloud_{steps}")


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
st.divider()
st.caption(
    "References. J. Ho, A. Jain, P. Abbeel, DDPM (2020). J. Song, C. Meng, S. Ermon, DDIM (2021). Y. Song et al., "
    "Score-Based Generative Modeling through SDEs (2021). T. Karras, M. Aittala, T. Aila, S. Laine, Elucidating "
    "the Design Space of Diffusion-Based Generative Models (2022). F. Permenter, C. Yuan, Interpreting and "
    "Improving Diffusion Models from an Optimization Perspective (2024). G. Szekely, M. Rizzo, Energy "
    "statistics (2013)."
)
