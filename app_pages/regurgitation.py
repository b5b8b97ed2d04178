"""Regurgitation: the ideal denoiser of a finite set can only hand its points back; a network copies a small
set, generalises on a large one, and still returns a point it saw often.

Each section is a fragment, so moving a control reruns only its own section.
"""

import streamlit as st

import app_cache
import app_common
import app_training
from app_cache.copies import cached as cache
from app_cache.figures import memo
from app_components import prose
from app_components.chart import chart
from diffusion_core import datasets, pretrained, schedules
from diffusion_core.figures import SERIES
from diffusion_core.topics.copies import core, figures, views

# the figures a page drew before, from the same inputs, are sent again as built (app_cache.figures)
figures = memo(figures)

SEED = 0
keep = app_common.keep


# ---------------------------------------------------------------- 1. copies and the size of the training set

@st.fragment
def memorization_section():
    n_train = st.select_slider("Training points N", pretrained.MEMO_SIZES,
                               **keep("copies_memo_n", 10, format_func=lambda n: f"{n:,}"))
    key = f"copies_memo_live_{n_train}"
    live = app_training.live_or_shipped(
        key, lambda: app_training.retrain(f"memo_{n_train}", key, lambda den: views.live_memorization(den, n_train)),
        label="Train live at this N",
        button_key="copies_memo_train", reset_key="copies_memo_reset",
        help=f"Train the network on these N points from scratch for {app_cache.RETRAIN_SECONDS:.0f} s.")
    if live is not None:
        run, trained = live, f"live, {live['steps']:,} steps in {live['seconds']:.0f} s"
    else:
        run = app_common.shipped(f"memo_{n_train}", cache.memorization, n_train, SEED)
        if run is None:
            return
        trained = f"shipped, {app_cache.info(f'memo_{n_train}')['steps']:,} steps"
    m1, m2, m3 = st.columns(3)
    m1.metric("Copies, trained network", f"{run['network_share']:.1%}", help=f"The network: {trained}.")
    m2.metric("Copies, ideal denoiser", f"{run['ideal_share']:.1%}")
    m3.metric("Copies, fresh data (chance)", f"{run['fresh_share']:.1%}")
    left, mid = st.columns(2, gap="large")
    for col, key, who, color in ((left, "network", f"Trained network ({trained})", SERIES[0]),
                                 (mid, "ideal", "Ideal denoiser of the N points", SERIES[1])):
        with col:
            chart(st, figures.memorization_panel(run[f"{key}_samples"], run["train"], title=who, color=color),
                            theme=None, key=f"copies_memo_{key}")
    chart(st, figures.distance_histograms(
        {"trained network": run["network_distances"], "ideal denoiser": run["ideal_distances"],
         "fresh data": run["fresh_distances"]}, radius=run["radius"],
        title="Distance from each point to its nearest training point"), theme=None, key="copies_memo_hist")
    prose.caption(f"{core.MEMO_SAMPLES:,} samples from each, DDPM in {core.MEMO_STEPS} steps, seed {SEED}; "
                  f"{core.MEMO_FRESH:,} fresh points. The N training points are the first N of one fixed draw "
                  f"of {datasets.MEMO_POOL:,} from the ring, so each set contains the smaller ones; every "
                  f"network has the same shape and {pretrained.MEMO_STEPS:,} training steps.")


# ---------------------------------------------------------------- 2. a point seen often

@st.fragment
def repeated_section():
    copies = st.select_slider(f"Copies of one point in the set of {pretrained.DUP_N}", pretrained.DUP_COPIES,
                              **keep("copies_dup_k", 50))
    key = f"copies_dup_live_{copies}"
    live = app_training.live_or_shipped(
        key, lambda: app_training.retrain(pretrained.dup_model(copies), key,
                                          lambda den: views.repeated_run(den, copies)),
        label="Train live with this many copies",
        button_key="copies_dup_train", reset_key="copies_dup_reset",
        help=f"Train the network on this set from scratch for {app_cache.RETRAIN_SECONDS:.0f} s.")
    run = live if live is not None else app_common.shipped(pretrained.dup_model(copies), cache.repeated, copies)
    curve = app_common.shipped(pretrained.dup_model(copies), cache.repeated_curve)
    if run is None or curve is None:
        return
    left, right = st.columns(2, gap="large")
    trained = (f"live, {live['steps']:,} steps in {live['seconds']:.0f} s" if live is not None else "shipped")
    chart(left, figures.memorization_panel(run["network_samples"], run["train"], color=SERIES[0],
                                                 title=f"Trained network ({trained}), {copies} copies",
                                                 highlight=run["point"]), theme=None, key="copies_dup_samples")
    chart(right, figures.repeated_share(curve, title="How often samples land on the repeated point",
                                              set_size=pretrained.DUP_N),
                       theme=None, key="copies_dup_curve")
    m1, m2, m3 = st.columns(3)
    m1.metric("On the point, trained network", f"{run['network_share']:.1%}")
    m2.metric("On the point, ideal denoiser", f"{run['ideal_share']:.1%}")
    m3.metric("Its share of the set", f"{run['set_share']:.1%}")
    net = curve["network_share"]
    prose.markdown(
        f"**Measured.** With the point once in {pretrained.DUP_N}, {net[0]:.1%} of the network's samples land on it; "
        f"with {curve['copies'][-1]} copies, {net[-1]:.1%}. Fresh draws from the ring land there "
        f"{curve['fresh_share'][0]:.2%} of the time. A set of {pretrained.DUP_N} with k copies of the point has "
        f"{pretrained.DUP_N} − k + 1 distinct points ({pretrained.DUP_N - curve['copies'][-1] + 1} at "
        f"{curve['copies'][-1]} copies), and the network hands back the one it saw often: what a model "
        "regurgitates is what is repeated in its data.")


st.title("Regurgitation")
prose.markdown(
    "Diffusion learns averages, and Means and modes shows why its samples still land on the data. The same "
    "mechanism has a dark side. The perfect denoiser of a finite training set can only hand its points back, and "
    "a network that comes close enough to it does the same."
)
app_cache.training_worker()  # start the training process while the reader reads
st.header("1. Few points: it hands them back")
prose.markdown(
    "The ideal denoiser of a **finite** training set $\\{x_i\\}_{i=1}^N$ is the posterior mean of "
    "that set, a softmax-weighted average of the training points:"
)
prose.latex(r"\hat x_0(x_t) = \sum_{i=1}^{N} \operatorname{softmax}_i\!\Big(-\frac{\lVert x - x_i\rVert^2}"
            r"{2\sigma^2}\Big)\, x_i,\qquad x = \frac{x_t}{\sqrt{\bar\alpha_t}}")
prose.markdown(
    "As $\\sigma \\to 0$ the softmax picks one point, so sampling with it can only ever return a "
    "training point: it is perfect on the loss, and it generates nothing new. A network trained on "
    "the same points approximates it; with few points it gets close enough to copy them too "
    "(Somepalli et al. 2023 and Carlini et al. 2023 find copies in large image models), while with "
    "many points it cannot fit every one and smooths instead, which is how it generalises "
    "(Yoon et al. 2023; Kadkhodaie et al. 2024)."
)
smallest = schedules.shipped("cosine").sigma[0]
prose.markdown(
    "**What to look for.**\n"
    "- *The histograms.* Each sample's distance to its nearest training point, beside the same for fresh draws "
    "from the ring, which no model saw.\n"
    "- *The copy radius* (dashed): a tenth of the fresh draws' median distance. A sample closer than that to a "
    "training point is a **copy**.\n"
    "- *The network.* Slide N up: it copies nearly all of a handful of points. By a few hundred, its histogram "
    "sits on the fresh data's.\n"
    "- *The ideal denoiser* copies nearly every sample while the points are few. From a few hundred on, its "
    "measured share falls, but not because it invents anything. The copy radius shrinks with the spacing of the "
    f"points and drops below the smallest noise the schedule uses ($\\sigma \\approx {float(smallest):.3f}$ at "
    "$t = 1$); the last step leaves each sample about that far from its point. Its histogram stays left of the "
    "fresh data's at every N."
)
memorization_section()
st.header("2. A point seen often comes back")
prose.markdown(
    f"The claim behind copies in image models is about repetition: a picture seen many times becomes a mode of "
    f"its own. Below, a set of {pretrained.DUP_N} ring points in which one point is repeated: with one copy the set "
    "is the plain one above, with more copies the point makes up more of the set while the set's size stays the "
    "same. A sample lands on the point if it is within the copy radius of it."
)
repeated_section()


app_common.glossary()
st.divider()
prose.caption(
    "References. G. Somepalli et al., Diffusion Art or Digital Forgery? (2023). N. Carlini et al., Extracting "
    "Training Data from Diffusion Models (2023). T. Yoon et al., Diffusion Probabilistic Models Generalize when They "
    "Fail to Memorize (2023). Z. Kadkhodaie et al., Generalization in diffusion models arises from "
    "geometry-adaptive harmonic representations (2024). J. Ho, A. Jain, P. Abbeel, Denoising Diffusion "
    "Probabilistic Models (2020)."
)
