"""Flow matching: the same network on a straight path; DDIM is Euler on the flow; reflow straightens the paths.

Every number on the page is computed from the shipped models (diffusion_core/topics/flow/views.py). The server's
controls: the step count of section 3 and the live reflow of section 5 (a fragment each, per data set; every step
count computed at start-up). The data set is switched in the browser: both sets' sections 2 to 5 come with the
page (app_common.switched). t in section 2 is the figure's own slider.
"""

import streamlit as st

import app_cache
import app_common
import app_training
from app_cache import flow as flow_cache
from app_cache.figures import memo
from app_cache.flow import CURVE_LABELS, SET_LABELS, pm
from app_cache.flow import cached as cache
from app_components import prose
from app_components.chart import chart
from diffusion_core import pretrained, samplers
from diffusion_core.topics.flow import figures, views
from diffusion_core.topics.flow.figures import ARROW_CAP
from diffusion_core.topics.optimization import core as optimization

# the figures a page drew before, from the same inputs, are sent again as built (app_cache.figures); those of
# sections 2 to 5 are built in app_cache/flow.py, which the warm-up builds for every data set
figures = memo(figures)

keep = app_common.keep
FLOW_NET = pretrained.RECIPES[views.models(views.DATASET)["flow"]].config  # the network both losses train
LIVE_KEY = "flow_live_reflow"  # the session's live reflow result, one per data set (the key and its name)


def apart(a: tuple[float, float], b: tuple[float, float]) -> bool:
    """Two means further apart than two combined standard errors."""
    return abs(a[0] - b[0]) > 2 * (a[1] ** 2 + b[1] ** 2) ** 0.5


def models_named(names: dict[str, str]) -> str:
    """The models sections 4 and 5 read (views.quality), as a missing-weights warning names them."""
    return f"{names['eps']}, {names['flow']} or {names['reflow']}"


st.title("Flow matching: the same model on a straight path")
prose.markdown(
    "Stable Diffusion 3 and Flux are trained with **flow matching** (rectified flow) rather than to predict the noise. "
    "Is that a different kind of model? Here the network of the rest of the app (the dino MLP: Fourier features, "
    f"{FLOW_NET.depth} hidden layers of {FLOW_NET.hidden}) is trained both ways on the same data, for the "
    "same number of steps, and compared.")

# ---------------------------------------------------------------- 1. two losses

st.header("1. Two losses, one regression")
prose.markdown(
    "**Which end is noise.** Here $t = 0$ is data and $t = 1$ is noise, the direction in which the app counts "
    "diffusion steps (and Stable Diffusion 3's, Esser et al. 2024). Lipman et al. (2023) and Liu et al. (2023) run "
    "time the other way, with data at $t = 1$, so their velocity is minus this one.")
left, right = st.columns(2, gap="large")
with left:
    prose.markdown("**Diffusion** (the ε-model, Ho et al. 2020): a curved path, and the noise as the target,")
    prose.latex(r"x_t = \sqrt{\bar\alpha_t}\,x_0 + \sqrt{1-\bar\alpha_t}\,\varepsilon,")
    prose.latex(r"L_\varepsilon = \mathbb{E}\,\big\|\hat\varepsilon_\theta(x_t, t) - \varepsilon\big\|^2.")
with right:
    prose.markdown("**Flow matching** (Lipman et al. 2023; Liu et al. 2023): a straight path, walked at constant speed,")
    prose.latex(r"x_t = (1-t)\,x_0 + t\,\varepsilon,\quad t \sim U[0, 1],")
    prose.latex(r"L_v = \mathbb{E}\,\big\|\hat v_\theta(x_t, t) - (\varepsilon - x_0)\big\|^2.")
prose.markdown(
    "**The same noise levels.** Divide the flow's state by $1 - t$ and it is the data plus noise of the app's size "
    "$\\sigma$: $x_t / (1-t) = x_0 + \\sigma\\varepsilon$ with $\\sigma = t / (1-t)$. A velocity guess is also a guess "
    "of the noise and of the data, $\\hat\\varepsilon = x_t + (1-t)\\,\\hat v$ and $\\hat x_0 = x_t - t\\,\\hat v$, "
    "and the two errors are proportional:")
prose.latex(r"\hat\varepsilon - \varepsilon = (1-t)\,(\hat v - v) \quad\Longrightarrow\quad "
            r"\big\|\hat v - v\big\|^2 = (1+\sigma)^2\,\big\|\hat\varepsilon - \varepsilon\big\|^2.")
weights = cache.loss_weights()
share = weights["noisy_share"]
prose.markdown(
    "So the flow loss is the ε-loss with a weight $(1+\\sigma)^2$ at each noise level, under another draw of noise "
    "levels: the same regression up to a change of variables and a weighting over noise levels (Kingma and Gao "
    "2023; Gao et al. 2024). [Where the loss comes from](/where_the_loss_comes_from) puts every prediction target on "
    "this axis; per unit of log-SNR $\\lambda = -2\\log\\sigma$, uniform $t$ with the weight $(1+\\sigma)^2$ comes to "
    f"$\\sigma / 2 = e^{{-\\lambda/2}}/2$. Over the range drawn, the flow loss puts {share['flow']:.0%} of its "
    f"weight on the ε-error at levels noisier than SNR = 1 ($\\lambda < 0$), the ε-model {share['eps']:.0%}; the "
    "flow loss's weight grows without bound toward pure noise, so a range reaching further toward noise would "
    "give it a larger share. (In "
    "its own terms the flow loss weighs every t alike; the ε-error it multiplies by $(1+\\sigma)^2$ is small where "
    "the noise is large.)")
chart(st, figures.loss_weights(weights["lambda"], {
    "ε-model: steps of the cosine schedule drawn uniformly": weights["eps"],
    "flow matching: t drawn uniformly, weight (1 + σ)²": weights["flow"]},
    title="Where each loss puts its weight over noise levels"), theme=None, key="flow_weights")
low, high = (f"{v:g}".replace("-", "−") for v in views.LAMBDA_RANGE)
prose.caption(f"Both curves are scaled to integrate to 1 over λ from {low} to {high}; each is the density of the loss's "
              "draw of noise levels per unit λ times the weight it puts on the ε-error there.")

# ---------------------------------------------------------------- 2. paths


def paths_section(dataset: str, names: dict) -> None:
    """Section 2: the straight training paths and the ODE paths the models follow, t scrubbed in the browser."""
    st.header("2. Straight paths in training, curved paths in sampling", anchor=f"paths-{dataset}")
    prose.markdown(
        "Each training example is a straight line from a noise draw to a data point, walked at the constant velocity "
        "$\\varepsilon - x_0$. But the network sees only $x_t$, not the pair it came from, and many straight lines "
        "pass near every point: the regression learns their average direction, "
        f"$v(x, t) = \\mathbb{{E}}[\\varepsilon - x_0 \\mid x_t = x]$. For {views.IDEAL[dataset]} that average can "
        "be computed exactly (from the ideal denoiser, as on [Score fields](/score_fields)). Sampling follows it "
        "backwards, $dx/dt = v(x, t)$ from $t = 1$ to $0$, and that path bends: "
        "at $t = 1$ every path heads for the data's mean ($v = x - \\mathbb{E}[x_0]$), and only later turns to the "
        "part of the data nearest it. Drag $t$ under the figure: the arrows are the move $-v\\,\\Delta t$ over a tenth "
        "of the run, and the dots are where each path is.")
    paths = app_common.shipped(names["flow"], cache.paths, dataset)
    if paths is not None:
        chart(st, flow_cache.paths_figure(dataset, paths), theme=None, key=f"flow_paths_{dataset}")
        ratio = paths["ratio"]
        prose.caption(
            f"{views.PAIRS} noise draws (seed 0), each paired at random with a data point for the straight "
            f"paths; the ODE paths start from the same draws and take {views.PATH_STEPS} Euler steps. The drawn ideal "
            f"paths are on average {ratio['ideal_paths']:.2f} times as long as the straight line between their ends, "
            f"the network's {ratio['learned_paths']:.2f} times. Arrows longer than {ARROW_CAP:g} are drawn at that "
            f"length; the field is drawn for t from 1 down to {views.FRAME_TIMES[-1]:g} (at t = 0 the ideal field is "
            "not defined).")



# ---------------------------------------------------------------- 3. DDIM is Euler


@st.fragment
def grids_section(dataset: str):
    steps = st.select_slider("Steps", views.NFE, **keep(f"flow_grid_steps_{dataset}", views.GRID_DEFAULT),
                             help="Steps of each sampler, one network evaluation each.")
    g = cache.grids(dataset, int(steps))
    below = {k: float((g[k][:-1] < 0.5).mean()) for k in ("ddim_times", "even_times")}
    grids, clouds = flow_cache.grid_figures(dataset, int(steps), g)
    chart(st, grids, theme=None, key=f"flow_grids_{dataset}")
    chart(st, clouds, theme=None, key=f"flow_grid_samples_{dataset}")
    same = f"DDIM and Euler over DDIM's grid visit the same states to within {g['gap']:.1e} (the samplers keep " \
           "their states in float32): they are one sampler."
    if steps == 1:
        prose.markdown(f"With one step, {same} Both grids are then the single step from pure noise (t ≈ 1) to t = 0, "
                       "which puts every sample on the ideal denoiser's guess from pure noise, the data's mean: energy "
                       f"distances {pm(g['ed_ddim'])} and {pm(g['ed_even'])}.")
        return
    prose.markdown(
        f"At {steps} steps, {same} The even grid starts its last step from t = {g['even_times'][-2]:.3g}, DDIM's "
        f"from t = {g['ddim_times'][-2]:.3g}; {below['ddim_times']:.0%} of DDIM's steps start below t = 0.5, "
        f"against {below['even_times']:.0%} of the even grid's. " + (
            f"Their samples' energy distances differ by more than two combined standard errors ({pm(g['ed_ddim'])} "
            "against "
            f"{pm(g['ed_even'])}), and where the steps go is the only difference between the two runs (neither "
            "clips $\\hat x_0$ here)."
            if apart(g["ed_ddim"], g["ed_even"]) else
            f"Their energy distances agree within two combined standard errors ({pm(g['ed_ddim'])} against "
            f"{pm(g['ed_even'])}): at "
            "this step count, where the steps go makes no difference this measurement can see."))


# ---------------------------------------------------------------- 4. few steps


def few_steps_text(view: dict) -> None:
    curves = view["curves"]
    at = {k: (c[1][0], c[2][0]) for k, c in curves.items()}  # the first budget: one evaluation
    last = {k: (c[1][-1], c[2][-1]) for k, c in curves.items()}
    best_one = min(at, key=lambda k: at[k][0])
    floor = view["floor"]
    top = floor[0] + 2 * floor[1]
    prose.markdown(
        "**What the curves show.**\n"
        f"- At one evaluation: {'; '.join(f'{CURVE_LABELS[k]}: {pm(v)}' for k, v in at.items())}. The best is the "
        f"{CURVE_LABELS[best_one]}.\n"
        f"- The ε-model's single DDIM step lands on $\\hat x_0 = x - \\sigma\\hat\\varepsilon$ from the top of the "
        f"cosine schedule, $\\sigma \\approx {latex_int(view['sigma_max'])}$, where any error in "
        f"$\\hat\\varepsilon$ is multiplied by $\\sigma$ (the app's samplers clip that guess to "
        f"±{samplers.X0_CLIP:g}, so it lands in "
        "that box); the flow model's one Euler step is $x - \\hat v(x, 1)$, with no such factor.\n"
        f"- At the largest budget: "
        f"{'; '.join(f'{CURVE_LABELS[k]} ({curves[k][0][-1]} evaluations): {pm(v)}' for k, v in last.items())}. "
        f"The grey band (fresh data's mean plus two standard errors) reaches up to {top:.4f}. " + inside_text([CURVE_LABELS[k] for k, v in last.items() if within(v, floor)],
                                             len(last)))


def latex_int(value: float) -> str:
    """A whole number with thousands separators that KaTeX spaces as digits: 20{,}291."""
    return f"{value:,.0f}".replace(",", "{,}")


def within(value: tuple[float, float], floor: tuple[float, float]) -> bool:
    """A mean indistinguishable from fresh data: within two combined standard errors of the floor's mean."""
    return value[0] <= floor[0] + 2 * (value[1] ** 2 + floor[1] ** 2) ** 0.5


def inside_text(names: list[str], total: int) -> str:
    if len(names) == total:
        return ("All of them are within two combined standard errors of fresh data's mean: at this sample size they "
                "cannot be told apart from it.")
    if not names:
        return "None of them is within two combined standard errors of fresh data's mean yet."
    return f"Within two combined standard errors of fresh data's mean: {', '.join(names)}."


# ---------------------------------------------------------------- 5. reflow

@st.fragment
def reflow_section(dataset: str):
    names = views.models(dataset)
    live_key = f"{LIVE_KEY}_{dataset}"
    quality = app_common.shipped(models_named(names), cache.quality, dataset)
    if quality is None:
        return
    ref = quality["reflow"]
    live = app_training.live_or_shipped(
        live_key, lambda: app_training.retrain(names["reflow"], live_key, lambda model: views.reflowed(model, dataset)),
        label=f"Reflow live ({app_cache.RETRAIN_SECONDS:.0f} s)", button_key=f"flow_reflow_live_{dataset}",
        reset_key=f"flow_reflow_reset_{dataset}",
        help=f"Draw {pretrained.REFLOW_PAIRS:,} (noise, sample) pairs from the flow model and train on them "
             f"for {app_cache.RETRAIN_SECONDS:.0f} s from its weights, on this server.")
    before, after = ref["flow"], live if live is not None else ref["reflow"]
    paths, samples = flow_cache.reflow_figures(ref, live)
    chart(st, paths, theme=None, key=f"flow_reflow_paths_{dataset}")
    c1, c2, c3 = st.columns(3)
    c1.metric("Path length over its chord", f"{after['ratio']:.3f}", f"before: {before['ratio']:.2f}",
              delta_color="off", delta_arrow="off",
              help="The mean over paths of the length of the path divided by the distance between its ends; 1 for a "
                   "straight path.")
    c2.metric("Straightness S (0: straight)", f"{after['deviation']:.4f}", f"before: {before['deviation']:.3f}",
              delta_color="off", delta_arrow="off",
              help="Liu et al.'s S: the mean over t and paths of |(x₁ − x₀) − dx/dt|², the squared gap between each "
                   "step's velocity and the straight line's (x₁ the noise end, x₀ the data end, t running from 1 to "
                   "0).")
    c3.metric("Transport cost E|x₁ − x₀|²", f"{after['cost']:.3f}", f"before: {before['cost']:.3f}",
              delta_color="off", delta_arrow="off",
              help="The mean squared distance between each path's noise end and its data end.")
    chart(st, samples, theme=None, key=f"flow_reflow_samples_{dataset}")
    many, teacher = views.REFLOW_SHOWN[-1], ref["teacher_ed"]
    end = after["few"][many]["ed"]
    verdict = ("within two combined standard errors" if not apart(teacher, end) else
               "worse, beyond two combined standard errors" if end[0] > teacher[0] else
               "better, beyond two combined standard errors")
    straighter = after["deviation"] < before["deviation"]
    prose.markdown(
        f"Measured on {ref['straight_n']} paths of {views.PATH_STEPS} steps, the length over chord goes from "
        f"{before['ratio']:.2f} to {after['ratio']:.3f}, and S from {before['deviation']:.3f} to "
        f"{after['deviation']:.4f}" + ("." if straighter else ": this reflow did not straighten the paths.")
        + f" One Euler step of the reflowed model scores {pm(after['few'][1]['ed'])}, against "
        f"{pm(before['few'][1]['ed'])} before.\n\n"
        f"**What reflow costs.** The reflowed model learns from {ref['reflow_pairs']:,} pairs that its teacher drew "
        f"with {ref['teacher_steps']} Euler steps, so at best it copies the teacher's samples, errors included: those "
        f"score {pm(teacher)}, and the reflowed model at {many} steps scores {pm(end)} ({verdict}). It also costs a "
        "second training from the flow model's weights, and the sampling of the pairs.")
    prose.caption(f"Reflow: {ref['reflow_pairs']:,} pairs (noise seed 1) of the flow model's {ref['teacher_steps']}-step "
                  f"Euler ODE; the shipped model trained {pretrained.REFLOW_STEPS:,} steps from the flow model's weights, "
                  f"a live one for {app_cache.RETRAIN_SECONDS:.0f} s. Samples: "
                  f"{optimization.GROUPS * optimization.CURVE_SAMPLES:,} from noise seed 0, energy distance as a mean of "
                  f"{optimization.GROUPS} groups of {optimization.CURVE_SAMPLES} with two standard errors.")


# ---------------------------------------------------------------- sections 2 to 5, for every data set


def data_sections() -> None:
    """Sections 2 to 5 for every data set, all sent with the page: the data set at their head switches between them
    in the browser (app_common.switched); each set's sections were computed ahead (if not, the reader's set is
    computed and sent first)."""
    c_set, _ = st.columns([1, 2])
    boxes = app_common.switched("Data set (sections 2 to 5)", views.DATASETS, key="flow_dataset",
                                default=views.DATASET, format_func=SET_LABELS.get, where=c_set,
                                help="Every section below is computed for this data set (section 1, the losses, "
                                     "needs no data). Both data sets' sections come with the page: a switch is "
                                     "drawn in the browser.")
    for dataset, box in boxes:  # the reader's set first
        with box:
            data_set_sections(dataset)


def data_set_sections(dataset: str) -> None:
    """Sections 2 to 5, for one data set."""
    names = views.models(dataset)
    prose.caption(f"{SET_LABELS[dataset]}: the ε-model is the app's shipped one of this set, the flow model the same "
                  f"network trained for the same {pretrained.RECIPES[names['flow']].steps:,} steps with the flow-matching "
                  "loss.")
    paths_section(dataset, names)
    st.header("3. DDIM is Euler on the flow", anchor=f"ddim-is-euler-{dataset}")
    prose.markdown(
        "DDIM's deterministic step (Song et al. 2021) goes from noise level $\\sigma$ to $\\sigma'$ by keeping its "
        "guesses "
        "and changing the noise level: $x_{\\sigma'} = \\hat x_0 + \\sigma'\\hat\\varepsilon$. In the flow's frame "
        "that "
        "is")
    prose.latex(r"x_{t'} = (1-t')\,\hat x_0 + t'\,\hat\varepsilon = x_t + (t' - t)\,(\hat\varepsilon - \hat x_0) "
                r"= x_t + (t' - t)\,\hat v(x_t, t),")
    prose.markdown(
        "one Euler step of the flow's ODE (Gao et al. 2024). So on the same grid of noise levels DDIM and Euler are "
        "one sampler; what differs between a diffusion model's sampler and a flow model's is where each spends its "
        "steps. Below, with the ideal denoiser (no training error), on DDIM's grid and on even steps in $t$, and "
        "without "
        f"the clip of $\\hat x_0$ to ±{samplers.X0_CLIP:g} that the app's DDIM applies elsewhere.")
    grids_section(dataset)
    st.header("4. Few steps: quality against compute", anchor=f"few-steps-{dataset}")
    prose.markdown(
        "The same measurement as [Sampling as optimization](/sampling_optimization): the energy distance of the "
        "samples "
        "to the data against the network evaluations spent on each, from the same noise draws for every model.")
    quality = app_common.shipped(models_named(names), cache.quality, dataset)  # sections 4 and 5 share their runs
    if quality is not None:
        few = quality["few_steps"]
        chart(st, flow_cache.quality_figure(dataset, few), theme=None, key=f"flow_quality_{dataset}")
        prose.caption(f"Each point: {optimization.GROUPS} groups of {optimization.CURVE_SAMPLES} samples from the same "
                      "start points at every budget; the line joins the groups' mean energy distance and the bars span "
                      "two "
                      f"standard errors. The grey band is what {optimization.GROUPS} groups of fresh data score, up to "
                      "two "
                      "standard errors above their mean. DDIM walks the ε-model's "
                      "cosine schedule (strided); the flow models take even steps in t. Heun spends two evaluations a "
                      "step, one on the last.")
        few_steps_text(few)
    st.header("5. Reflow straightens the paths", anchor=f"reflow-{dataset}")
    prose.markdown(
        "Curved paths need many steps. Liu et al. (2023) straighten them: draw noise, run the trained flow model's ODE "
        "to a sample, and train again on those (noise, sample) pairs instead of random ones. The pairs are joined by "
        "the "
        "old model's ODE paths, which never cross: each noise draw keeps the sample its own path reached, so the new "
        "straight training lines agree better with each other than random pairings do, and the average the new model "
        "learns bends less. Learned exactly, reflow never raises the pairs' transport cost (Liu et al. 2023, for any "
        "convex cost); below, how much straighter the paths measure, and what it costs.")
    reflow_section(dataset)


data_sections()
app_cache.training_worker()  # start the training process while the reader reads (reflow trains live)
