"""Guidance: classifier-free guidance as a dial from means to modes, on the 13 shapes of the Datasaurus Dozen.

Every number on the page is computed (diffusion_core/topics/guidance/views.py): the exact denoisers of the points
themselves and the shipped class-conditional network, at the scales the figures scrub in the browser. Each shape's
samples and measures were computed once with the shipped weights and are shipped beside them (views.shipped_views;
the page measures afresh if they do not match, and a live retraining measures its network on the spot). The shape is
the page's one control that reruns everything; the noise level of section 4 reruns its own fragment.
"""

import streamlit as st

import app_cache
import app_common
import app_training
from app_cache import guidance as guide
from app_cache.guidance import N_SHAPE, NAMES, SHAPE_LABELS
from app_cache.guidance import cached as cache
from app_components import prose
from app_components.chart import chart
from diffusion_core import datasets, pretrained, training
from diffusion_core.topics.guidance import core, views

# the figures are built in app_cache/guidance.py (kept by their inputs, app_cache.figures), which the warm-up builds
# for every shape
keep = app_common.keep
LIVE_KEY = "guide_live"  # the session's live retraining result, one per shape (the key and its name)
N_ALL = len(datasets.DOZEN_POINTS)  # 1,846 (and N_SHAPE, 142, every shape's)


def pct(value: float) -> str:
    return f"{100 * value:.0f}%"


st.title("Guidance: a dial from means to modes")
prose.markdown(
    "Most text-to-image diffusion models are steered by **classifier-free guidance** (Ho and Salimans 2022): the "
    "same network is asked what the image should be with the prompt and without it, and the sampler follows the "
    "first answer pushed *further away* from the second. Turn the dial up and samples leave the broad distribution "
    "for the parts most distinctive of the prompt: the trade of [Means and modes](/means_and_modes), made by hand. "
    "Here the prompt is a shape, and the data are the thirteen sets of the Datasaurus Dozen.")

# ---------------------------------------------------------------- 1. the data

st.header("1. Thirteen pictures, one set of statistics")
shape = st.pills("Shape (the class c)", views.SHAPES, required=True,
                 help="Every section below is computed for this shape.",
                 **keep("guide_shape", views.SHAPE, arg="default", format_func=SHAPE_LABELS.get)) or views.SHAPE
# (or: None, see app_state.keep)
label = SHAPE_LABELS[shape]
chart(st, guide.gallery_figure(shape), theme=None, key="guide_gallery")
prose.markdown(
    "Matejka and Fitzmaurice (2017) made these thirteen sets to share their means, standard deviations and "
    "correlation to two decimals: summary statistics cannot tell a dinosaur from a star. "
    f"A model of all {N_ALL:,} points "
    "(the **unconditional** model) has to learn a blend of thirteen pictures; a model told the label (the "
    "**conditional** model) only one. One network here is both: the app's MLP (Fourier features, a time input) with "
    "a learned embedding of the label added to its first layer, plus one more label, *none*, that it sees in place of "
    f"the real one for {pct(training.LABEL_DROP)} of its training examples.")

# ---------------------------------------------------------------- 2. the dial

st.header("2. The dial")
prose.markdown(
    "Write $D(x;\\sigma)$ for a denoiser's guess of the clean point from a noisy $x$ (the app's one language for "
    "noise, $x = x_0 + \\sigma\\varepsilon$), $D_u$ for the unconditional answer and $D_c$ for the answer given the "
    "shape $c$. Guidance at scale $w$ samples with")
prose.latex(r"D_w = D_u + w\,(D_c - D_u), \qquad\text{equivalently}\qquad "
            r"\hat\varepsilon_w = \hat\varepsilon_u + w\,(\hat\varepsilon_c - \hat\varepsilon_u).")
prose.markdown(
    "$w = 0$ is the unconditional model, $w = 1$ the conditional one, and $w > 1$ goes past it. (Ho and Salimans "
    "write $(1 + w)\\,\\hat\\varepsilon_c - w\\,\\hat\\varepsilon_u$: their $w$ is this page's $w - 1$.) "
    f"Below, both kinds of denoiser sample with the same {views.STEPS} DDIM steps from the same noise. **Exact**: "
    f"the ideal denoisers of the points themselves, $D_u$ the posterior mean over all {N_ALL:,} points and $D_c$ over "
    f"the shape's {N_SHAPE}, so what you see is guidance itself, with no training error. **Trained**: the shipped "
    "network. Move the figure's own slider. Guidance at large $w$ needs small steps: with too few, the last ones land "
    "on the extrapolated $D_w$ and throw samples off the shape, exact denoisers or not (the README gives the "
    "measurements that chose the step count).")


@st.fragment
def dial_section(shape: str):
    live_key = f"{LIVE_KEY}_{shape}"
    view = app_common.shipped(pretrained.GUIDE, cache.guided, shape)
    if view is None:
        return
    live = app_training.live_or_shipped(
        live_key, lambda: app_training.retrain(pretrained.GUIDE, live_key, lambda model: views.live(shape, model.net)),
        label=f"Retrain live ({app_cache.RETRAIN_SECONDS:.0f} s)", button_key="guide_live",
        reset_key="guide_reset",
        help=f"Train the conditional network from scratch for {app_cache.RETRAIN_SECONDS:.0f} s on this server, "
             "with the same recipe, and show it in place of the shipped one.")
    note = st.container()  # there with or without a live model: the chart after it keeps its place
    if live is not None:
        view = {**view, "samples": {**view["samples"], "trained": live["samples"]},
                "curves": {**view["curves"], "trained": live["curves"]}}
        prose.caption(f"The trained model is the live one: {live['steps']:,} steps in {live['seconds']:.0f} s "
                      f"(the shipped one trained {pretrained.GUIDE_STEPS:,}).", where=note)
    chart(st, guide.dial_figure(view, shape), theme=None, key="guide_dial")
    prose.caption(f"{views.N} samples per scale from noise seed 0, {views.STEPS} DDIM steps on the {views.SCHEDULE} "
                  "schedule's "
                  f"grid; the grey points are the {label} shape's {N_SHAPE}.")

    st.header("3. The trade, measured")
    prose.markdown(
        f"Four numbers for each scale, each over {len(views.SEEDS)} seeds of {views.N} samples: **fidelity**, the "
        "mean distance from a sample to its nearest point of the shape; **coverage**, the share of the shape's points "
        f"with a sample within {core.COVER_RADIUS:g} (the data's standard deviation, pooled over both coordinates, is "
        "1); the **energy distance** "
        "between the samples and the shape's points, which is 0 only for the same distribution; and the share of "
        f"samples **off the shape**, farther than {core.COVER_RADIUS:g} from every one of its points. The grey band "
        f"is what a perfect sampler of the shape (its points resampled, with the training jitter) scores with "
        f"{views.N} samples, measured the same way (95% of {views.FLOOR_RUNS} runs). The bars are one standard error "
        "over the seeds; the text below calls two scales different when they differ by more than two combined "
        "standard errors.")
    chart(st, guide.trade_figure(view, shape), theme=None, key="guide_trade")
    trade_text(view)


def inside(value: float, band: tuple[float, float, float]) -> bool:
    return band[0] <= value <= band[2]


def scales_text(scales: list[float]) -> str:
    """Scales as the text writes them: one; a run of neighbours on the page's grid, first to last; or a list."""
    if len(scales) == 1:
        return f"$w = {scales[0]:g}$"
    at = [views.SCALES.index(w) for w in scales]
    if at == list(range(at[0], at[-1] + 1)):
        return f"$w = {scales[0]:g}$ to ${scales[-1]:g}$"
    return "$w = " + ", ".join(f"{w:g}" for w in scales[:-1]) + f"$ and ${scales[-1]:g}$"


def trade_text(trade: dict) -> None:
    """What the curves show, decided on the numbers and their errors (views.facts)."""
    lines = []
    top_w, one = views.SCALES[-1], views.SCALES.index(1.0)
    for model in views.MODELS:
        curve, f = trade["curves"][model], views.facts(trade, model)
        fid = [c["fidelity"][0] for c in curve]
        cov = [c["coverage"][0] for c in curve]
        lines.append(
            f"- **{NAMES[model][:1].upper() + NAMES[model][1:]}.** Distance to the shape {fid[0]:.3f} at $w = 0$, "
            f"{fid[one]:.3f} at $w = 1$, "
            + (f"best at $w = {f['best_fidelity']:g}$ ({fid[views.SCALES.index(f['best_fidelity'])]:.3f})" if f["gains"]
                                              else "no better at any larger scale beyond the errors")
            + f", and {fid[-1]:.3f} at $w = {top_w:g}$. Coverage is highest ({pct(max(cov))}) at "
            f"{scales_text(f['coverage_ties'])} (within the errors) and {pct(cov[-1])} at $w = {top_w:g}$. Off the "
            f"shape: {pct(curve[0]['off'][0])} of samples at $w = 0$, {pct(curve[one]['off'][0])} at $w = 1$, "
            f"{pct(curve[-1]['off'][0])} at $w = {top_w:g}$"
            + (f" (with {views.STEPS} steps: section 2 says why a few land off the shape at large $w$)."
               if model == "exact" and curve[-1]["off"][0] > 0 else "."))
    trained, exact = views.facts(trade, "trained"), views.facts(trade, "exact")
    story = "\n\n**What the curves show.** " + (
        "The trained network's samples are blurred by its errors, and guidance pulls them back onto the shape: at "
        "larger scales its distance to the shape falls below $w = 1$'s beyond the errors, lowest at "
        f"$w = {trained['best_fidelity']:g}$. "
        if trained["gains"] else "Here guidance does not bring the trained network's samples closer to the shape "
        "than $w = 1$ does, beyond the errors. ")
    if exact["samples_the_shape"]:
        story += ("The exact denoisers have no error to correct: at $w = 1$ they sample the shape as well as a "
                  "perfect sampler can be told from it (no sample off it, the energy distance inside the band)")
        story += ("; further turns of the dial lose coverage, as the samples gather on fewer parts of it."
                  if exact["coverage_falls"] else ".")
    elif exact["coverage_falls"]:
        story += "With the exact denoisers, coverage at the largest scale is lower than at $w = 1$, beyond the errors."
    floor, exact_one = trade["floor"], trade["curves"]["exact"][one]["fidelity"][0]
    prose.markdown("\n".join(lines) + story + " A perfect sampler scores a distance of "
                   f"{floor['fidelity'][1]:.3f} (the training jitter; the exact sampler at $w = 1$, which lands on the "
                   f"points themselves, scores {exact_one:.3f}), coverage {pct(floor['coverage'][1])}, and an energy "
                   "distance between "
                   f"{floor['energy'][0]:.4f} and {floor['energy'][2]:.4f} in 95% of runs: the estimate is unbiased, so "
                   "it can come out below 0.")


dial_section(shape)

# ---------------------------------------------------------------- 4. the geometry

st.header("4. Why it seeks modes")
prose.markdown(
    "Each ideal denoiser gives a score, $\\nabla_x \\log p_\\sigma = (D - x)/\\sigma^2$ (a trained one "
    "approximates it), so the guided one is")
prose.latex(r"\nabla_x \log p_\sigma(x) + w\,\nabla_x \log p_\sigma(c \mid x), \qquad "
            r"\text{the score of}\quad p_\sigma(x)\,p_\sigma(c \mid x)^{w}")
prose.markdown(
    "(Bayes: $\\log p_\\sigma(x \\mid c) = \\log p_\\sigma(x) + \\log p_\\sigma(c \\mid x) - \\log p(c)$). Raising "
    "the class posterior to a power $w > 1$ sharpens it: the density moves toward where the shape is *most certainly* "
    "the shape, away from where other shapes overlap it. The arrows are each denoiser's step $D(x;\\sigma) - x$ on a "
    "grid (long ones shortened); the third panel shades $p_\\sigma(c \\mid x)$, computed exactly from the points.")


@st.fragment
def field_section(shape: str):
    sigma = st.select_slider("Noise level σ", views.FIELD_SIGMAS, help="The noise level at which the three steps "
                             "are drawn.", **keep("guide_sigma", views.FIELD_SIGMA, format_func=lambda s: f"{s:g}"))
    chart(st, guide.fields_figure(shape, sigma), theme=None, key="guide_fields")


field_section(shape)

# ---------------------------------------------------------------- 5. not the tilted distribution

st.header("5. What guidance does not sample")


def gap_text(shows: bool, off_at_top: float, top_w: float) -> str:
    """The end of section 5's sentence: whether the exact denoisers show the gap, and how much of it may be the
    step count's (exact samples off the shape at the largest scale, which more steps remove)."""
    if not shows:
        return "."
    if off_at_top == 0:
        return ": the exact denoisers show the gap."
    return (f": the exact denoisers show a gap, though with {views.STEPS} steps {pct(off_at_top)} of their samples "
            f"at $w = {top_w:g}$ land off the shape, so part of it is the steps' (section 2).")


def tilted_section(shape: str):
    view = app_common.shipped(pretrained.GUIDE, cache.guided, shape)
    if view is None:
        return
    live = st.session_state.get(f"{LIVE_KEY}_{shape}")
    if live is not None:  # the trained line is the live network's, as in sections 2 and 3
        view = {**view, "isolation": {**view["isolation"], "trained": live["isolation"]}}
    top_w, one = views.SCALES[-1], views.SCALES.index(1.0)
    band = view["floor"]["energy"]
    e_one, e_top = view["curves"]["exact"][one]["energy"][0], view["curves"]["exact"][-1]["energy"][0]
    if view["shared"] == 0:
        target = (f"No other shape shares any of the {label}'s {N_SHAPE} points, so $p_0(c \\mid x) = 1$ on each of "
                  f"them and $p_0(x)\\,p_0(c \\mid x)^w$ is the {label} itself for every $w > 0$: a sampler of it "
                  "would score at every scale above 0 what the exact sampler scores at $w = 1$.")
    else:
        target = (f"{view['shared']} of the {label}'s points also belong to another shape, where "
                  "$p_0(c \\mid x) < 1$; everywhere else on the shape it is 1.")

    def where(value: float) -> str:
        return "inside the band" if inside(value, band) else ("above the band" if value > band[2] else "below it")

    prose.markdown(
        "At each noise level the guided score is exactly the score of $p_\\sigma(x)\\,p_\\sigma(c \\mid x)^w$, "
        "but these densities do not fit together across levels: they are not $p_0(x)\\,p_0(c \\mid x)^w$ with noise "
        "added, so a sampler that follows their scores from pure noise down does not, in general (any $w$ but 0 and "
        "1), sample that (Chidambaram et al. "
        f"2024; Bradley and Nakkiran 2024). {target} The exact guided sampler scores an energy distance of "
        f"{e_one:.4f} at $w = 1$ ({where(e_one)}, {band[0]:.4f} to {band[2]:.4f}) and {e_top:.4f} at "
        f"$w = {top_w:g}$ ({where(e_top)})"
        + gap_text(e_top > band[2] and inside(e_one, band) and view["shared"] == 0,
                   view["curves"]["exact"][-1]["off"][0], top_w))
    note = st.container()  # as above
    if live is not None:
        prose.caption("The trained network's line is the live one's.", where=note)
    chart(st, guide.isolation_figure(view, shape), theme=None, key="guide_isolation")
    iso, exact = view["isolation"], views.facts(view, "exact")
    prose.markdown(
        f"**Where the samples go.** For each sample, take the {label}'s point nearest it and that point's distance to "
        "the nearest point of another shape. Over the exact sampler's samples this averages "
        f"{iso['exact'][one][0]:.3f} at $w = 1$ and {iso['exact'][-1][0]:.3f} (± {2 * iso['exact'][-1][1]:.4f}) at "
        f"$w = {top_w:g}$, against {iso['shape']:.3f} over all the {label}'s points: "
        + ("guidance shifts the samples toward the parts of the shape farther from the other shapes, where "
           "$p_\\sigma(c \\mid x)$ is surest, as Chidambaram et al. (2024) predict." if exact["farther"] else
           "on this shape guidance does not shift the samples measurably toward the parts farther from the other "
           "shapes (not beyond two standard errors)."))


tilted_section(shape)
app_cache.training_worker()  # start the training process while the reader reads (the network retrains live)
