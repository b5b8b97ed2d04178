"""Score fields: the model learns the score; sampling follows it; the noise keeps it from collapsing.

Each section is a fragment, so moving a control reruns only its own section.
"""

import numpy as np
import streamlit as st

import app_cache
import app_common
from app_cache.figures import kept, memo
from app_cache.scores import cached as cache
from app_components import prose
from app_components.chart import chart
from diffusion_core.figures import OKABE_ITO, SERIES, mode_weights, samples_panel
from diffusion_core.topics.scores import core, figures, views
from diffusion_core.topics.scores.figures import FOLLOW_SHOWN

# the figures a page drew before, from the same inputs, are sent again as built (app_cache.figures)
figures = memo(figures)
samples_panel = kept(samples_panel)

SIGMAS, STEP_SIZES, ODE_STEPS, DINO_SIGMAS = views.SIGMAS, views.STEP_SIZES, views.ODE_STEPS, views.DINO_SIGMAS
FIELD_LIM, FOLLOW_LIM = 2.6, 3.0
METHOD_COLORS = dict(zip(core.METHODS, SERIES))
keep = app_common.keep


# ---------------------------------------------------------------- 1. the field

@st.fragment
def field_section():
    sigma = st.select_slider("Noise level σ (log scale)", SIGMAS, **keep("score_sigma", 0.3),
                             help="The standard deviation of the noise added to the data, in the data's units.")
    view = app_common.shipped(views.FIELD_SET, cache.field, float(sigma))
    if view is None:
        return
    cell = 2 * FIELD_LIM / (len(view["axis"]) - 1)
    sig = view["sigma_used"]
    cols = st.columns(3, gap="medium")
    for col, key, who, color in ((cols[0], "exact", "Exact score", OKABE_ITO["vermillion"]),
                                 (cols[1], "learned", "The network's score", OKABE_ITO["blue"])):
        with col:
            chart(st, figures.score_field(view["axis"], view["log_density"], view["points"], view[key],
                                              title=f"{who}, σ = {sig:.3g}", lim=FIELD_LIM, cell=cell, color=color,
                                              height=430), theme=None, key=f"score_field_{key}")
    with cols[2]:
        chart(st, figures.error_map(view["axis"], view["error_map"], contour=view["log_density"],
                                        title="Where the network is wrong", lim=FIELD_LIM, height=430),
                        theme=None, key="score_error_map")
    m1, m2 = st.columns([1, 2])
    m1.metric("Relative error, weighted by the density", f"{view['relative_error']:.3f}",
              help="√(E|s_θ − s|² / E|s|²) over 4,000 draws of the noised data: the error where the data is.")
    m2.caption(f"The network is the shipped ring-of-8 diffusion model; its score is −ε̂/σ at its step whose noise "
               f"level is nearest the slider's (σ = {sig:.3g}). Arrows show the direction; they shrink where the "
               "field is weaker than its median and are 0.9 of a grid cell elsewhere (far from the data the "
               "score grows without bound). The error map divides |s_θ − s| by the score's typical size where "
               "the data is, √E|s|².")


# ---------------------------------------------------------------- 2. following the field

@st.fragment
def follow_section():
    c_step, c_n, c_noise = st.columns(3)
    step_size = c_step.select_slider("Step size", STEP_SIZES, **keep("score_step_size", views.FOLLOW_DEFAULT[1]),
                                     help="ε in x ← x + ε s(x) (+ noise); Adam's learning rate; annealed Langevin "
                                          "scales it by σᵢ² / σ_min² at each level (Song and Ermon 2019).")
    steps = c_n.slider("Steps", 10, 1000, step=10, **keep("score_steps", views.FOLLOW_DEFAULT[0]))
    noise = c_noise.slider("Noise scale (0: none, 1: the right amount)", 0.0, 1.0, step=0.05,
                           **keep("score_noise", views.FOLLOW_DEFAULT[2]),
                           help="Multiplies the √(2ε) z term of both Langevin samplers.")
    run = cache.follow(int(steps), float(step_size), round(float(noise), 2))  # 0.35, as warmed, not 0.35000000000000003
    data = app_cache.points(views.FOLLOW_SET, 2000)
    ends = run["ends"]
    n = next(iter(run["states"].values())).shape[1]  # particles per sampler
    troubles = [f"{m}: {e['run_away']:,} of {n:,} particles ran off to infinity (left out of the plots)"
                if e["status"] == "ran away" else
                f"{m}: only {e['landed']:.0%} of the particles ended in a mode; the others overshoot back and forth"
                for m, e in ends.items() if e["status"] in ("ran away", "overshoots")]
    unsettled = [f"{m} ({e['landed']:.0%})" for m, e in ends.items() if e["status"] == "unsettled"]
    notes = st.container()  # always there, so the charts below keep their places when a note comes or goes
    if troubles:
        notes.warning("The step size is too large. " + "; ".join(troubles) + ". The mode weights below count only "
                      "the particles that ended in a mode. Choose a smaller step size.", icon=":material/warning:")
    if unsettled:
        notes.info("Not every particle has reached a mode yet: " + ", ".join(unsettled) + " ended in one. More steps "
                   "let them arrive. A larger step size does too, but it biases where Langevin without a correction "
                   "settles: the larger ε, the further its stationary distribution drifts from the target. The mode "
                   "weights below count only the particles that ended in a mode.",
                   icon=":material/hourglass_top:")
    chart(st, figures.follow_run(run["states"], run["frames"], data, colors=METHOD_COLORS, lim=FOLLOW_LIM),
                    theme=None, key="score_follow_run")
    prose.caption(f"Drag the slider under the panels to scrub through the run in your browser: {len(run['frames'])} "
                  f"evenly spaced steps from 0 to {steps:,}, {min(FOLLOW_SHOWN, n):,} of each sampler's {n:,} "
                  f"particles drawn (all {n:,} start from the same points; the warnings and the weights below count all "
                  "of them, the legend only those drawn).")
    truth = run["truth"]
    weights = {m: e["weights"] for m, e in run["ends"].items()}
    left, right = st.columns([1.3, 1], gap="large")
    with left:
        chart(st, mode_weights(weights, truth, labels=["left (weight 1/5)", "right (weight 4/5)"],
                                           colors=METHOD_COLORS, title="Where the particles end: share in each mode"),
                        theme=None, key="score_mode_weights")
    with right:
        for method in ("Langevin", "Annealed Langevin"):
            w = weights[method]
            error = f"{float(np.abs(w - truth).max()):.3f}" if np.isfinite(w).all() else "no particle in a mode"
            st.metric(f"{method}: largest error in a mode's weight", error,
                      help="|share of particles in the mode − its true weight|, largest of the two modes, among "
                           "the particles that ended in a mode.")
        prose.caption(f"Plain samplers run on the score at σ = {run['sigmas'][-1]:g}; annealed Langevin runs through "
                      f"{len(run['sigmas'])} levels from σ = {run['sigmas'][0]:g} down to {run['sigmas'][-1]:g}, "
                      "an equal share of the steps at each. A particle is in a mode if it ends within three of the "
                      "mode's standard deviations; " + ", ".join(f"{m}: {e['landed']:.0%}" for m, e in run["ends"].items())
                      + " of particles did.")


@st.fragment
def dino_section():
    """Ascent and Adam on the shipped dino network's own score, beside DDPM with the same network."""
    sigma = st.select_slider("Noise level σ of the score that ascent and Adam climb", DINO_SIGMAS,
                             **keep("score_dino_sigma", 0.1))
    view = app_common.shipped("dino", cache.dino_followers, float(sigma))
    if view is None:
        return
    data = app_cache.points("dino")
    for col, (name, run) in zip(st.columns(3, gap="small"), view["runs"].items()):
        with col, app_common.in_column(3):
            chart(st, samples_panel(run["samples"], data, title=f"{name}, dino network",
                                          color=METHOD_COLORS.get(name, SERIES[4]),
                                          data_name="dino points", samples_name="samples", height=330, size=5),
                            theme=None, key=f"score_dino_{name}")
            app_common.ed_metric("Energy distance", run["ed"], view["band"], len(run["samples"]))
            st.metric("Distinct places (to 0.05)", f"{run['places']:,}")
    runs = view["runs"]
    climbers, ddpm = [runs["Gradient ascent"], runs["Adam"]], runs["DDPM"]
    distances = (f"mean distance to the nearest point {climbers[0]['s2d']:.3f} and {climbers[1]['s2d']:.3f}, "
                 f"DDPM's {ddpm['s2d']:.3f}")
    if all(c["s2d"] < ddpm["s2d"] for c in climbers):
        where = f"end nearer the data than DDPM's samples ({distances}), yet they pile onto"
    elif all(c["s2d"] > ddpm["s2d"] for c in climbers):
        where = (f"end farther from the data than DDPM's samples ({distances}): the density at this σ is the data "
                 "blurred by the noise, and they pile onto")
    else:
        where = f"end about as near the data as DDPM's samples ({distances}), but pile onto"
    inside = sum(view["band"].within(c["ed"]) for c in climbers)
    noise = f"fresh dino points score up to {view['band'].top:.4f}"
    prose.markdown(
        f"**Measured.** After {view['steps']} steps on the network's score at σ = {view['sigma_used']:.3g}, gradient "
        f"ascent's {len(ddpm['samples']):,} samples sit at {climbers[0]['places']} places and Adam's at "
        f"{climbers[1]['places']}; DDPM's sit at {ddpm['places']}. The climbers {where} the peaks of the learned "
        f"density, so their energy distance, {app_common.ed_text(climbers[0]['ed'], view['band'])} and "
        f"{app_common.ed_text(climbers[1]['ed'], view['band'])}, is "
        + (f"above the noise ({noise})." if not inside else f"above the noise for one of them only ({noise})."
           if inside == 1 else "within the noise: at this σ their piles are too many to tell from the data.")
        + " DDPM's step is the posterior mean plus fresh noise "
        "(written out on The diffusion process): the noise is what keeps it spread over the whole dino.")


# ---------------------------------------------------------------- 3. denoising score matching

@st.fragment
def dsm_section():
    c_sigma, c_seed = st.columns(2)
    sigma = c_sigma.select_slider("Noise level σ", SIGMAS[:-1], **keep("dsm_sigma", 0.5))
    seed = c_seed.slider("Which noisy point", 0, 9, **keep("dsm_seed", 1))
    pic = cache.dsm(float(sigma), int(seed))
    left, right = st.columns([1.2, 1], gap="large")
    with left:
        lim = max(FIELD_LIM, float(np.abs(pic["x"]).max()) + 0.3)  # a very noisy point can land far out
        chart(st, figures.dsm_arrows(pic["points"], pic["x"], pic["to_clean"], pic["weights"], pic["mean_step"],
                                         title=f"A noisy point at σ = {sigma:g}: its targets, their mean",
                                         lim=lim, height=540),
                        theme=None, key="dsm_picture")
    with right:
        top = np.sort(pic["weights"])[::-1]
        st.metric("Weight of the likeliest clean point", f"{top[0]:.0%}",
                  help="p(x_i | x) for the clean point most likely to have produced x.")
        prose.markdown(
            "**What to look for.** Training shows the network the noisy point $x = x_i + \\sigma\\varepsilon$ "
            "and asks for the noise; in score units the target is $-\\varepsilon/\\sigma = (x_i - x)/\\sigma^2$, "
            "an arrow back to the one clean point that was used (thin arrows, drawn $\\sigma^2$ times the "
            "target, so they end on the clean points). The same $x$ could have come from many clean "
            "points, so the best a squared error can do is their average, weighted by how likely each is "
            "to have produced $x$ (thick arrow). That average is exactly the score of the noised data "
            "(Vincent 2011). At small $\\sigma$ one clean point takes all the weight; at large $\\sigma$ "
            "they share it and the score points to the middle of the data."
        )
        prose.latex(r"\mathbb{E}\Big[\frac{x_0 - x}{\sigma^2}\,\Big|\,x\Big] = \nabla_x \log p_\sigma(x)")
        prose.latex(r"s_\theta(x, \sigma) = -\frac{\hat\varepsilon_\theta(x)}{\sigma}")


# ---------------------------------------------------------------- 4. ODE vs SDE

@st.fragment
def ode_section():
    c_steps, c_runs = st.columns(2)
    steps = c_steps.select_slider("Steps", ODE_STEPS, **keep("ode_steps", views.ODE_DEFAULT[0]))
    runs = c_runs.slider("Runs", 1, 12, **keep("ode_runs", views.ODE_DEFAULT[1]))
    out = cache.ode_sde(int(steps), int(runs))
    for col, name, who in zip(st.columns(2, gap="large"), ("ddpm", "ddim"),
                              ("Reverse SDE (DDPM)", "Probability-flow ODE (DDIM)")):
        with col:
            path_steps, xs = out[name]
            chart(st, figures.density_paths(out["density_steps"], out["grid"], out["log_density"],
                                                {f"{who}, {steps} steps": (path_steps, xs)},
                                                title=f"{who}: {runs} runs, {steps} steps", T=1000),
                            theme=None, key=f"ode_{name}")


# ---------------------------------------------------------------- the page

st.title("Score fields")
prose.markdown(
    "What does a diffusion model actually learn? Not the density, but its slope: the **score** "
    "$\\nabla_x \\log p_\\sigma(x)$ of the data blurred by noise of size $\\sigma$, a vector field "
    "that points, at every location, towards where the data is more likely. Sampling follows that "
    "field. Following it alone is not enough, though: without noise, every particle runs to the top "
    "of its nearest hill."
)
app_common.noise_levels()

st.header("1. The field and the network's copy of it")
prose.markdown(
    "Below, the ring of eight Gaussians: its exact score (a mixture's score is a closed form), the "
    "score the shipped diffusion network gives, and where the two disagree."
)
prose.latex(r"\nabla_x \log p_\sigma(x) = \sum_k r_k(x)\,\frac{m_k - x}{s_k^2 + \sigma^2}")
prose.markdown(
    "**What to look for.** Where the data is (dark), the network's arrows match the exact ones: it saw "
    "plenty of noisy points there. Far out, in the corners, it saw almost none, and the error map "
    "lights up; the density-weighted error stays small because so little mass lives there. Slide "
    "$\\sigma$ down: the field sharpens into eight separate basins, and at the smallest $\\sigma$ the "
    "network's error grows. "
    "Slide it up: the basins merge, the field points to the middle from everywhere, and it is easy to "
    "learn. Large $\\sigma$ is where sampling starts."
)
field_section()

st.header("2. Following the field")
prose.markdown(
    "Take 1,000 particles and move them with the exact score of two Gaussians with weights 1/5 and "
    "4/5. **Gradient ascent** on $\\log p_\\sigma$ and **Adam** (Kingma and Ba 2015) treat it as an "
    "optimisation problem. **Langevin dynamics** adds noise of the right size,"
)
prose.latex(r"x \leftarrow x + \epsilon\, \nabla_x \log p_\sigma(x) + \sqrt{2\epsilon}\, z,\qquad z \sim \mathcal{N}(0, I),")
prose.markdown(
    "which makes $p_\\sigma$ its **stationary distribution** as $\\epsilon \\to 0$: the distribution the particles "
    "settle into and keep, however long the chain runs. **Annealed Langevin** (Song and Ermon 2019) runs the same "
    "update while $\\sigma$ falls from large to small, as diffusion sampling does."
)
prose.markdown(
    "**What to look for.**\n"
    "- *No noise, no spread.* Ascent and Adam climb to the top of their own hill and stop. Both collapse onto the "
    "two mode centres, about half on each: the start points were symmetric. Adam moves every coordinate by about "
    "the same amount, so it is slower along the flat direction and leaves a few stragglers.\n"
    "- *Langevin* spreads the particles over each mode. At small $\\sigma$ the valley between the modes is too deep "
    "to cross, so each particle stays where it first fell, and the weights come out about 1 : 1.\n"
    "- *Annealed Langevin* starts where the two hills are one and splits the particles as the hills separate: about "
    "1 : 4. Turn the noise scale to 0 and even annealing collapses.\n"
    "- *Too large a step* makes the samplers that step along the raw score overshoot. Annealed Langevin goes first: "
    f"at its top level the step is $(\\sigma_{{\\max}}/\\sigma_{{\\min}})^2 = {(views.SIGMA_MAX / views.SIGMA_MIN) ** 2:,.0f}$ "
    "times larger. Then Langevin and ascent. Adam, whose steps are normalised, never flies away."
)
follow_section()
st.subheader("The same collapse on the dino model")
prose.markdown(
    "The field above is exact. Here the same climbers use the shipped dino network's own score, "
    "$s_\\theta(x, \\sigma) = -\\hat\\varepsilon_\\theta / \\sigma$, from the same start points as a DDPM run of "
    "that network."
)
dino_section()

st.header("3. Why regressing noise learns the score")
prose.markdown(
    "The network is never shown a score: it is shown a noisy point and asked for the noise. Here is "
    "why that is the same thing."
)
dsm_section()

st.header("4. Two ways back: SDE and ODE")
prose.markdown(
    "The reverse process can be run as a stochastic differential equation, with fresh noise at each "
    "step (DDPM), or as an ordinary differential equation with the same marginal densities, the "
    "probability-flow ODE (Song et al. 2021; DDIM is a discretisation of it). Both are drawn over the "
    "density of $x_t$ for the three Gaussians on a line, from the same starting points."
)
prose.markdown(
    "**What to look for.** The SDE paths wander, and each run's randomness decides its mode late. The "
    "ODE paths are smooth curves that commit early and bend gently, so large steps follow them well: "
    "drop the steps to 10 and the ODE still lands on the modes while the SDE's jumps get coarse."
)
ode_section()

app_common.glossary()
st.divider()
prose.caption(
    "References. P. Vincent, A Connection Between Score Matching and Denoising Autoencoders (2011). "
    "Y. Song, S. Ermon, Generative Modeling by Estimating Gradients of the Data Distribution (2019). "
    "Y. Song et al., Score-Based Generative Modeling through Stochastic Differential Equations (2021). "
    "J. Song, C. Meng, S. Ermon, Denoising Diffusion Implicit Models (2021). G. Roberts, R. Tweedie, "
    "Exponential convergence of Langevin distributions and their discrete approximations (1996). "
    "D. Kingma, J. Ba, Adam (2015). J. Ho, A. Jain, P. Abbeel, Denoising Diffusion Probabilistic Models (2020)."
)
