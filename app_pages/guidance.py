"""Guidance: classifier-free guidance as a dial from means to modes, on the 13 shapes of the Datasaurus Dozen.

Every number on the page is computed (diffusion_core/topics/guidance/views.py): the exact denoisers of the points
themselves and the shipped class-conditional network, at the scales the figures scrub in the browser. The shape is
the page's one control that reruns everything; the noise level of section 4 reruns its own fragment.
"""

import itertools

import streamlit as st

import app_cache
import app_common
import app_training
from app_cache.guidance import cached as cache
from diffusion_core import datasets, pretrained, training
from diffusion_core.topics.guidance import core, figures, views

keep = app_common.keep
LIVE_KEY = "guide_live"  # the session's live retraining result, one per shape (the key and its name)
SHAPE_LABELS = datasets.DOZEN_LABELS_TEXT
NAMES = views.MODEL_LABELS
SHOWN = views.SCALES.index(views.SCALE_SHOWN)


def at(view: dict, model: str, w: float, key: str) -> tuple[float, float]:
    """A trade number (mean, standard error) of a model at scale w."""
    return view["curves"][model][views.SCALES.index(w)][key]


def pct(value: float) -> str:
    return f"{100 * value:.0f}%"


st.title("Guidance: a dial from means to modes")
st.markdown(
    "Every image model in use is steered by **classifier-free guidance** (Ho and Salimans 2022): the same network is "
    "asked what the image should be with the prompt and without it, and the sampler follows the first answer pushed "
    "*further away* from the second. Turn the dial up and samples leave the broad distribution for the parts most "
    "typical of the prompt: the trade of [Means and modes](/means_and_modes), made by hand. Here the prompt is a "
    "shape, and the data are the thirteen sets of the Datasaurus Dozen.")

# ---------------------------------------------------------------- 1. the data

st.header("1. Thirteen pictures, one set of statistics")
c_shape, _ = st.columns([1, 2])
shape = c_shape.selectbox("Shape (the class c)", views.SHAPES, format_func=SHAPE_LABELS.get,
                          help="Every section below is computed for this shape.",
                          **keep("guide_shape", views.SHAPE, index_in=views.SHAPES))
label = SHAPE_LABELS[shape]
st.plotly_chart(figures.gallery(cache.dozen(), SHAPE_LABELS, shape,
                                title=f"The Datasaurus Dozen: 13 sets of 142 points; {label} chosen"),
                theme=None, key="guide_gallery")
st.markdown(
    "Matejka and Fitzmaurice (2017) made these thirteen sets to share their means, standard deviations and "
    "correlation to two decimals: summary statistics cannot tell a dinosaur from a star. A model of all 1,846 points "
    "(the **unconditional** model) has to learn a blend of thirteen pictures; a model told the label (the "
    "**conditional** model) only one. One network here is both: the app's MLP (Fourier features, a time input) with "
    "a learned embedding of the label added to its first layer, plus one more label, *none*, that it sees in place of "
    f"the real one for {pct(training.LABEL_DROP)} of its training examples.")

# ---------------------------------------------------------------- 2. the dial

st.header("2. The dial")
st.markdown(
    "Write $D(x;\\sigma)$ for a denoiser's guess of the clean point from a noisy $x$ (the app's one language for "
    "noise, $x = x_0 + \\sigma\\varepsilon$), $D_u$ for the unconditional answer and $D_c$ for the answer given the "
    "shape $c$. Guidance at scale $w$ samples with")
st.latex(r"D_w = D_u + w\,(D_c - D_u), \qquad\text{equivalently}\qquad "
         r"\hat\varepsilon_w = \hat\varepsilon_u + w\,(\hat\varepsilon_c - \hat\varepsilon_u).")
st.markdown(
    "$w = 0$ is the unconditional model, $w = 1$ the conditional one, and $w > 1$ goes past it. Below, both kinds "
    f"of denoiser sample with the same {views.STEPS} DDIM steps from the same noise. **Exact**: the ideal denoisers "
    "of the points themselves, $D_u$ the posterior mean over all 1,846 points and $D_c$ over the shape's 142, so "
    "what you see is guidance itself with no training error. **Trained**: the shipped network. Move the figure's "
    "own slider.")


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
    if live is not None:
        view = {**view, "samples": {**view["samples"], "trained": live["samples"]},
                "curves": {**view["curves"], "trained": live["curves"]}}
        st.caption(f"The trained model is the live one: {live['steps']:,} steps in {live['seconds']:.0f} s "
                   f"(the shipped one trained {pretrained.GUIDE_STEPS:,}).")
    st.plotly_chart(figures.dial(view, names=NAMES, active=SHOWN, shape_label=label, steps=views.STEPS),
                    theme=None, key="guide_dial")
    st.caption(f"{views.N} samples per scale from noise seed 0, {views.STEPS} DDIM steps on the cosine schedule's "
               f"grid; the grey points are the {label} shape's 142.")

    st.header("3. The trade, measured")
    st.markdown(
        f"Three numbers for each scale, each over {len(views.SEEDS)} seeds of {views.N} samples: **fidelity**, the "
        "mean distance from a sample to its nearest point of the shape; **coverage**, the share of the shape's points "
        f"with a sample within {core.COVER_RADIUS:g} (the data's standard deviation is 1); and the **energy distance** "
        "between the samples and the shape's points, which is 0 only for the same distribution. The grey band is what "
        f"a perfect sampler of the shape (its points resampled, with the training jitter) scores with {views.N} "
        "samples.")
    st.plotly_chart(figures.trade(view, names=NAMES, title=f"What guidance buys and costs: the {label}"),
                    theme=None, key="guide_trade")
    trade_text(view)


def best(trade: dict, model: str, key: str, lowest: bool = True) -> float:
    """The scale at which a model's trade number is best (lowest, or highest)."""
    means = [c[key][0] for c in trade["curves"][model]]
    pick = min if lowest else max
    return views.SCALES[pick(range(len(means)), key=means.__getitem__)]


def trade_text(trade: dict) -> None:
    """What the curves show, from the numbers."""
    lines = []
    band_top = trade["floor"]["energy"][0] + 2 * trade["floor"]["energy"][1]
    top_w = views.SCALES[-1]
    for model in views.MODELS:
        fid = [c["fidelity"][0] for c in trade["curves"][model]]
        cov = [c["coverage"][0] for c in trade["curves"][model]]
        energy = [c["energy"][0] for c in trade["curves"][model]]
        off0, off_top = trade["curves"][model][0]["off"][0], trade["curves"][model][-1]["off"][0]
        lines.append(
            f"- **{NAMES[model][:1].upper() + NAMES[model][1:]}.** Fidelity goes from {fid[0]:.3f} at $w = 0$ to "
            f"{fid[views.SCALES.index(1.0)]:.3f} at $w = 1$ and is best ({min(fid):.3f}) at "
            f"$w = {best(trade, model, 'fidelity'):g}$; coverage is highest ({pct(max(cov))}) at "
            f"$w = {best(trade, model, 'coverage', lowest=False):g}$ and {pct(cov[-1])} at $w = {top_w:g}$; the energy "
            f"distance is lowest ({min(energy):.3f}"
            + (", inside the perfect sampler's band" if min(energy) <= band_top else "")
            + f") at $w = {best(trade, model, 'energy'):g}$. Off the shape: {pct(off0)} of samples at $w = 0$, "
            f"{pct(off_top)} at $w = {top_w:g}$.")
    floor = trade["floor"]
    trained_best, exact_best = best(trade, "trained", "fidelity"), best(trade, "exact", "fidelity")
    exact_cov = [c["coverage"][0] for c in trade["curves"]["exact"]][views.SCALES.index(1.0):]
    falling = all(b <= a for a, b in itertools.pairwise(exact_cov))
    story = "\n\n**What the curves show.** " + (
        "The trained network's samples are blurred by its errors, and guidance pulls them back onto the shape: its "
        f"fidelity improves up to $w = {trained_best:g}$. " if trained_best > 1 else
        f"The trained network's fidelity is best at $w = {trained_best:g}$: here guidance does not sharpen it. ")
    story += ("The exact denoisers have no error to correct: at $w = 1$ they already sample the shape, "
              + ("and every further turn of the dial costs coverage, as the samples gather on fewer parts of it."
                 if falling else f"and their fidelity is best at $w = {exact_best:g}$.")
              if exact_best <= 1 else f"The exact denoisers' fidelity is best at $w = {exact_best:g}$.")
    st.markdown("\n".join(lines) + story + f" A perfect sampler scores fidelity {floor['fidelity'][0]:.3f}, "
                f"coverage {pct(floor['coverage'][0])} and energy distance {floor['energy'][0]:.3f} (estimates of 0 "
                f"scatter by about {floor['energy'][1]:.3f} either way).")


dial_section(shape)

# ---------------------------------------------------------------- 4. the geometry

st.header("4. Why it seeks modes")
st.markdown(
    "Each denoiser is a score, $\\nabla_x \\log p_\\sigma = (D - x)/\\sigma^2$, so the guided one is")
st.latex(r"\nabla_x \log p_\sigma(x) + w\,\nabla_x \log p_\sigma(c \mid x), \qquad "
         r"\text{the score of}\quad p_\sigma(x)\,p_\sigma(c \mid x)^{w}")
st.markdown(
    "(Bayes: $\\log p_\\sigma(x \\mid c) = \\log p_\\sigma(x) + \\log p_\\sigma(c \\mid x) - \\log p(c)$). Raising "
    "the class posterior to a power $w > 1$ sharpens it: the density moves toward where the shape is *most certainly* "
    "the shape, away from where other shapes overlap it. The arrows are each denoiser's step $D(x;\\sigma) - x$ on a "
    "grid (long ones shortened); the third panel shades $p_\\sigma(c \\mid x)$, computed exactly from the points.")


@st.fragment
def field_section(shape: str):
    sigma = st.select_slider("Noise level σ", views.FIELD_SIGMAS, help="The noise level at which the three steps "
                             "are drawn.", **keep("guide_sigma", views.FIELD_SIGMA, format_func=lambda s: f"{s:g}"))
    view = cache.field(shape, sigma)
    st.plotly_chart(figures.fields(view, scales=views.SCALES, active=SHOWN, shape_label=label), theme=None,
                    key="guide_fields")


field_section(shape)

# ---------------------------------------------------------------- 5. not the tilted distribution

st.header("5. What guidance does not sample")


def tilted_section(shape: str):
    view = app_common.shipped(pretrained.GUIDE, cache.guided, shape)
    if view is None:
        return
    floor_mean, floor_sd = view["floor"]["energy"]
    top_w = views.SCALES[-1]
    one, top = at(view, "exact", 1.0, "energy"), at(view, "exact", top_w, "energy")
    if view["shared"] == 0:
        target = (f"No other shape shares any of the {label}'s 142 points, so $p_0(c \\mid x) = 1$ on each of "
                  f"them and $p_0(x)\\,p_0(c \\mid x)^w$ is the {label} itself, for every $w > 0$: a sampler of it "
                  "would stay in the grey band of section 3 at every scale.")
    else:
        target = (f"{view['shared']} of the {label}'s points also belong to another shape, where "
                  "$p_0(c \\mid x) < 1$; everywhere else on the shape it is 1.")
    band_top = floor_mean + 2 * floor_sd
    iso = view["isolation"]
    iso_one, iso_top = iso["exact"][views.SCALES.index(1.0)], iso["exact"][-1]
    crowded = iso_top > 1.1 * iso["shape"]
    st.markdown(
        "At each noise level the guided score is exactly the score of $p_\\sigma(x)\\,p_\\sigma(c \\mid x)^w$, "
        "but these densities do not fit together across levels: they are not $p_0(x)\\,p_0(c \\mid x)^w$ with noise "
        "added, so a sampler that follows their scores from pure noise down does not sample that (Chidambaram et al. "
        f"2024; Bradley and Nakkiran 2024). The exact denoisers show it. {target} The exact guided sampler scores an "
        f"energy distance of {one[0]:.4f} at $w = 1$ ({'above' if one[0] > band_top else 'inside'} the band, whose "
        f"top is {band_top:.4f}) and {top[0]:.4f} at $w = {top_w:g}$"
        + (" (inside the band)." if top[0] <= band_top else ".")
        + f"\n\n**Where the samples go.** For each sample, take the {label}'s point nearest it and that point's "
        f"distance to the nearest point of another shape. Averaged over the exact sampler's samples (seed 0) this is "
        f"{iso_one:.3f} at $w = 1$ and {iso_top:.3f} at $w = {top_w:g}$, against {iso['shape']:.3f} over all the "
        f"{label}'s points: " + ("guidance crowds the samples onto the parts of the shape farthest from the other "
                                 "shapes, where $p_\\sigma(c \\mid x)$ is surest." if crowded else
                                 "guidance does not move these samples measurably toward the parts of the shape "
                                 "farthest from the other shapes (not by a tenth or more)."))


tilted_section(shape)
app_cache.training_worker()  # start the training process while the reader reads (the network retrains live)
