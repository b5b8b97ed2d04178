"""The diffusion process: forward noising with the ideal drift, reverse trajectories, the ablation ladder.

Each section is a fragment, so moving a control reruns only its own section.
"""

import math

import streamlit as st

import app_cache
import app_common
import app_training
from app_cache.figures import kept, memo
from app_cache.process import FORWARD_DEFAULT
from app_cache.process import cached as cache
from app_components import prose
from app_components.chart import chart
from diffusion_core import datasets, metrics, pretrained, samplers, schedules
from diffusion_core.figures import SERIES, samples_panel
from diffusion_core.topics.process import figures, views

# the figures a page drew before, from the same inputs, are sent again as built (app_cache.figures)
figures = memo(figures)
samples_panel = kept(samples_panel)

S2D_HELP = "s2d: the mean distance from a sample to its nearest of the 142 dino points (standardised units)."
FORWARD_SHOWN = 0.1  # the t / T the forward figure opens on
keep = app_common.keep


@st.fragment
def forward_section():
    """Data set and schedule controls; the noised points with the ideal drift and the schedule curves at every
    kept t / T, scrubbed in the browser by the figure's own slider."""
    c_set, c_sched, _ = st.columns([1, 1, 2])
    dataset = c_set.selectbox("Data set", datasets.NAMES,
                              **keep("fwd_dataset", FORWARD_DEFAULT[0], index_in=datasets.NAMES,
                                     format_func=datasets.LABELS.get))
    schedule_name = c_sched.selectbox("Noise schedule", schedules.NAMES,
                                      **keep("fwd_schedule", FORWARD_DEFAULT[1], index_in=schedules.NAMES,
                                             format_func=schedules.LABELS.get))
    run = cache.forward_run(dataset, schedule_name)
    drowned = cache.linear_drowned()
    chart(st, figures.forward_run(run, cache.schedule_curves(), active=views.FRACS.index(FORWARD_SHOWN)),
                    theme=None, key="fwd_run")
    prose.caption(f"Drag the slider under the plot to move through the forward process in your browser: "
                  f"{len(views.FRACS)} steps, t / T from 0 to 1 in steps of {views.FRACS[1]:g} (t = 1 at 0). "
                  f"{views.FORWARD_N:,} noised points, each with its own fixed noise ε, so you can follow one "
                  f"drift into the noise; {views.ARROWS} of them carry the ideal drift.")
    prose.markdown(
        "**What to look for.** Early on ($\\mathrm{SNR} \\gg 1$) the arrows are short and point "
        "to the nearest piece of data: the noisy point has barely left home. Late "
        "($\\mathrm{SNR} \\ll 1$) they all point to the middle, because from pure noise the "
        "best guess is the global mean. The **linear** schedule of Ho et al. (2020) spends its "
        f"last {drowned['linear']['share']:.0%} of steps with less than 1% of the signal left; the **cosine** "
        "schedule of Nichol and Dhariwal (2021) destroys it more evenly (its last "
        f"{drowned['cosine']['share']:.0%}); "
        f"the **gentle** one stops at $\\bar\\alpha_T = {schedules.GENTLE_ALPHA_BAR_T:g}$."
    )
    if schedule_name == "gentle":
        st.info(f"With the gentle schedule even the last step keeps ᾱ_T = {schedules.GENTLE_ALPHA_BAR_T:.0%} "
                "of the signal: move the slider to t / T = 1 and the data is still visible. A sampler that "
                "starts from pure noise N(0, I) starts from the wrong distribution; section 3 measures what "
                "that costs.")


@st.fragment
def reverse_section():
    """Sampler, steps, particles and seed controls; the particle paths of the shipped dino model."""
    c_s, c_n, c_k, c_seed = st.columns(4)
    sampler = c_s.radio("Sampler", views.SAMPLERS, horizontal=True,
                        **keep("rev_sampler", "ddim", index_in=views.SAMPLERS, format_func=samplers.LABELS.get))
    path_steps = c_n.select_slider("Denoising steps", views.PATH_STEPS, **keep("rev_steps", 100))
    n_particles = c_k.slider("Particles", 1, views.PARTICLES, **keep("rev_particles", 6),
                             help=f"The first of the {views.PARTICLES} particles this seed draws: one more adds a "
                                  "path and keeps the others.")
    seed = c_seed.slider("Noise seed", 0, views.SEEDS - 1, **keep("rev_seed", 0))
    left, right = st.columns([1.1, 1], gap="large")
    with left, app_common.in_column([1.1, 1], 0, "large"):
        paths = app_common.shipped("dino", cache.reverse_paths, sampler, path_steps, seed)
        if paths is not None:
            xs = paths[:, :n_particles]
            title = f"{n_particles} particle{'s' * (n_particles > 1)}, {samplers.LABELS[sampler]}, {path_steps} steps"
            chart(st, figures.trajectories(xs, data=app_cache.points("dino"), title=title),
                            theme=None, key="rev_paths")
    with right:
        prose.markdown(
            "**What to look for.** Every path starts at a draw of pure noise, $\\mathcal{N}(0, I)$ "
            "(in this frame it has the same spread as the data), and ends on the dino. DDIM paths "
            "are smooth curves: the end point is a fixed function of the start point. Switch to "
            "DDPM and the paths turn jittery: the injected noise keeps pushing particles off "
            "course and the network keeps pulling them back, which also corrects its own earlier "
            "mistakes. With fewer steps each jump is larger. Either way, the fine placement "
            "happens at the end, at low noise, when the guesses $\\hat x_0$ become sharp."
        )
        prose.markdown(
            "Both samplers follow the **score** $\\nabla_x \\log p_t(x)$, the direction in which "
            "noisy data gets more likely, which the network estimates through its noise "
            "prediction (Song et al. 2021, score SDEs):"
        )
        prose.latex(r"\nabla_{x_t} \log p_t(x_t) \approx -\frac{\varepsilon_\theta(x_t, t)}{\sqrt{1-\bar\alpha_t}}")


def ladder_panel(name: str, dino_points):
    """One rung: samples and numbers from the shipped weights, or from the live retrained model."""
    panel = st.container()
    retrained = app_training.live_or_shipped(
        f"retrained_{name}", lambda: app_training.retrain(name, f"retrained_{name}", views.rung_of),
        label="Retrain live", button_key=f"retrain_{name}",
        reset_key=f"reset_{name}", help=f"Train this recipe from scratch for {app_cache.RETRAIN_SECONDS:.0f} s.")
    with panel:
        shipped = app_common.shipped(name, cache.rung, name)
        if shipped is None:
            return
        info, ed, s2d, band = shipped["info"], shipped["ed"], shipped["s2d"], shipped["band"]
        if retrained is None:
            chart(st, samples_panel(shipped["samples"], dino_points, title=f"Shipped: {info['steps']:,} "
                                          "training steps"), theme=None, key=f"ladder_{name}")
            # stacked, not side by side: three panels a row leave too little width for two numbers
            app_common.ed_metric("Energy distance", ed, band, views.LADDER_N)
            st.metric("s2d", f"{s2d:.3f}", help=S2D_HELP)
        elif math.isfinite(retrained["ed"]):
            chart(st, samples_panel(retrained["samples"], dino_points, color=SERIES[1],
                                          title=f"Live: {retrained['steps']:,} steps in {retrained['seconds']:.0f} s"),
                            theme=None, key=f"ladder_{name}")
            app_common.ed_metric("Energy distance", retrained["ed"], band, views.LADDER_N,
                                 delta=f"{retrained['ed'] - ed:+.2g} vs shipped")
            st.metric("s2d", f"{retrained['s2d']:.3f}", f"{retrained['s2d'] - s2d:+.2g} vs shipped",
                      delta_color="inverse", help=S2D_HELP)
        else:
            st.warning("The retrained model's samples diverged (no finite points). Retrain again, "
                       "or go back to the shipped weights.")
        prose.caption(f"{info['params']:,} weights; {info['schedule']} schedule, T = {info['T']}")


@st.fragment
def ladder_section():
    """The five rungs and the gentle ablation, three to a row, each with its own retrain button."""
    dino_points = app_cache.points("dino")
    panels = [*pretrained.LADDER, pretrained.ABLATION]
    for row in (panels[:3], panels[3:]):
        # titles in their own row, so a title that wraps does not push its panel out of line
        for col, name in zip(st.columns(3, gap="medium"), row):
            number = f"{panels.index(name) + 1}. " if name in pretrained.LADDER else ""
            prose.markdown(f"##### {number}{pretrained.RECIPES[name].title}", where=col)
        for col, name in zip(st.columns(3, gap="medium"), row):
            with col, app_common.in_column(3, gap="medium"):
                ladder_panel(name, dino_points)
    ladder_numbers()


def ladder_numbers() -> None:
    """What the rungs' numbers say, computed from them: the ladder, then what the gentle ablation costs."""
    rungs = [app_common.shipped(name, cache.rung, name) for name in pretrained.LADDER]
    cost = app_common.shipped(pretrained.ABLATION, cache.ablation)
    if cost is None or any(r is None for r in rungs):
        return
    band = rungs[0]["band"]
    ed = [app_common.ed_text(r["ed"], band) for r in rungs]
    s2d = [f"{r['s2d']:.3f}" for r in rungs]
    inside = [i + 1 for i, r in enumerate(rungs) if band.within(r["ed"])]
    prose.markdown(
        "**What the numbers say.**\n"
        f"- *No time input:* energy distance {ed[0]}, s2d {s2d[0]}. The model cannot tell a slightly noisy "
        "point from a very noisy one, and it samples a smeared cloud.\n"
        f"- *Time as t / T:* the energy distance falls from {ed[0]} to {ed[1]}. The outline appears but stays "
        "soft.\n"
        f"- *A sinusoidal embedding of t:* s2d {s2d[1]} → {s2d[2]}. How the network sees t is not what keeps the "
        "shape soft.\n"
        f"- *Fourier features of the coordinates:* s2d {s2d[2]} → {s2d[3]}. An MLP of raw coordinates is biased "
        "towards smooth functions; the features let it draw sharp edges (Tancik et al. 2020).\n"
        f"- *Cosine schedule:* energy distance {ed[4]}, s2d {s2d[4]}.\n\n"
        f"At {views.LADDER_N:,} samples the energy distance of rungs {', '.join(map(str, inside))} is inside its "
        f"noise (fresh dino points score up to {band.top:.4f}), so it cannot rank them; s2d, the mean distance "
        "from a sample to its nearest data point, can.")
    gentle, base = cost[pretrained.ABLATION], cost["ladder_fourier"]
    seeds, (diff, err) = cost["seeds"], cost["difference"]["ed"]
    worse = sum(g > b for g, b in zip(gentle["ed"], base["ed"]))
    s2d_g, s2d_b = sum(gentle["s2d"]) / seeds, sum(base["s2d"]) / seeds
    in_seeds = "every one" if worse == seeds else f"{worse}"
    if diff > 2 * err:
        verdict = (f"its energy distance is higher in {in_seeds} of them, by {diff:.4f} on average (two standard "
                   f"errors of the seed-by-seed differences: {2 * err:.4f}): the overall shape is slightly off. "
                   "That is less than the noise of either value alone, and shows because each pair shares its "
                   "start points and its reference draw of fresh dino points")
    elif diff < -2 * err:
        verdict = f"its energy distance is lower, by {-diff:.4f} on average (two standard errors: {2 * err:.4f})"
    else:
        verdict = (f"its energy distance differs by {diff:+.4f} on average, within two standard errors "
                   f"({2 * err:.4f}): no consistent cost shows")
    prose.markdown(
        f"**What the gentle schedule costs.** It is rung 4 trained and sampled on another schedule: "
        f"{schedules.SHIPPED_T['gentle']} steps (all of them used to sample, where rung 4 uses {views.LADDER_STEPS} of "
        f"its {schedules.SHIPPED_T['linear']:,}) that stop at $\\bar\\alpha_T = {cost['alpha_bar_T']:.1f}$. So "
        f"$x_T$ is not noise: it still holds {cost['alpha_bar_T']:.0%} of the signal, yet sampling starts from "
        f"pure noise. Over {seeds} seeds (the same start points for both) its samples sit "
        f"{'closer to' if s2d_g < s2d_b else 'farther from'} the lines (s2d {s2d_g:.3f} against {s2d_b:.3f}), but "
        f"{verdict}. It was the fix of the T-Rex toy. The cosine rung keeps the energy distance "
        f"{'inside' if band.within(rungs[4]['ed']) else 'outside'} the noise with an s2d of {s2d[4]}.")


st.title("The diffusion process")
prose.markdown(
    "A diffusion model is two processes. The **forward** process destroys data by adding "
    "Gaussian noise step by step; it is fixed, not learned. The **reverse** process undoes it "
    "one small step at a time, and each step needs only one thing from the network: a guess "
    "of where the noisy point came from. This page shows both, then takes the model apart."
)

st.header("1. Forward: structure in, noise out")
prose.markdown("Every step mixes in a little noise. After $t$ steps (Ho et al. 2020, eq. 4):")
prose.latex(r"x_t = \sqrt{\bar\alpha_t}\,x_0 + \sqrt{1-\bar\alpha_t}\,\varepsilon,\qquad"
            r"\mathrm{SNR}(t) = \frac{\vphantom{1}\bar\alpha_t}{1-\bar\alpha_t}")  # the strut: KaTeX clips a lone bar
app_common.noise_levels()
prose.markdown(
    "The orange-red arrows are the **ideal drift**, drawn at true length from 150 of the noisy "
    "points: from $x_t$ to where such a point came from on average, "
    "$\\mathbb{E}[x_0 \\mid x_t] - x_t$. No network is involved; the average is exact. For the "
    "two mixtures (eight Gaussians, two Gaussians) it is the true posterior mean: each component "
    "pulls $x_t$ towards its own best guess, weighted by how likely that component is to have "
    "produced $x_t$. For the other sets it is the ideal denoiser of the finite set of points "
    "(the 142 dino points, or 1,000 drawn points): a softmax-weighted average of the points. "
    "That is the best any denoiser can do for those points, and what a trained network tries to "
    "learn; at small $t$ it snaps each $x_t$ onto a single training point, which is memorisation."
)
forward_section()

st.header("2. Reverse: follow a few particles home")
prose.markdown(
    "Sampling runs the chain backwards. At each step the network predicts the noise "
    "$\\varepsilon_\\theta(x_t, t)$, which gives a guess $\\hat x_0$; the sampler steps part of "
    "the way towards it. **DDPM** (Ho et al. 2020, Algorithm 2) lands on the mean of where $x_{t-1}$ could be, "
    "given $x_t$ and the guess, and adds fresh noise of the right size ($\\beta_t$ is the variance step $t$ adds, "
    "$\\alpha_t = 1 - \\beta_t$ and $\\bar\\alpha_t = \\alpha_1 \\cdots \\alpha_t$):"
)
prose.latex(r"x_{t-1} = \frac{\sqrt{\bar\alpha_{t-1}}\,\beta_t}{1-\bar\alpha_t}\,\hat x_0 + "
            r"\frac{\sqrt{\alpha_t}\,(1-\bar\alpha_{t-1})}{1-\bar\alpha_t}\,x_t + \tilde\beta_t^{1/2} z,\qquad "
            r"\tilde\beta_t = \frac{1-\bar\alpha_{t-1}}{1-\bar\alpha_t}\,\beta_t,\quad z \sim \mathcal{N}(0, I).")
prose.markdown(
    "**DDIM** (Song, Meng and Ermon 2021) drops the fresh noise and follows a deterministic path with the same "
    "**marginals**, in the limit of many small steps and an exact denoiser: over many runs, $x_t$ has the same "
    "distribution at every step as under DDPM. Both can be "
    "**strided**: they take every k-th of the T steps the model was trained on, with $\\bar\\alpha$ of the "
    "steps they visit in the formulas (Song et al. 2021, sec. 4.2; Home strides DDPM itself). What determinism "
    "promises is accuracy at large steps: a smooth path can be followed by a few long steps. Sampling as "
    "optimization measures whether that pays on these small sets (at 5 evaluations DDPM is clearly "
    "ahead). Below, the shipped dino model (Fourier features, cosine schedule, T = 1000) "
    "moves a handful of particles."
)
reverse_section()

app_cache.training_worker()  # start the training process while the reader reads (it takes a few seconds)
st.header("3. What the model needs: the ablation ladder")
drowned = cache.linear_drowned()
prose.markdown(
    "Five models, each one change from the one before, all trained on the same 142 dino points for the same "
    "number of steps. A sixth panel is an ablation. The network must know **how noisy** its input is: rung 1 has "
    "no time input, rung 2 gets $t/T$, rung 3 a sinusoidal embedding of $t$. It must be able to draw **sharp** "
    "shapes: rung 4 adds random **Fourier features** of the coordinates, sines and cosines of random projections "
    "of the point (Tancik et al. 2020),"
)
prose.latex(r"\gamma(x) = \big[\cos(2\pi B x),\ \sin(2\pi B x)\big],\qquad B_{ij} \sim \mathcal{N}(0, s^2).")
prose.markdown(
    "And the **schedule** decides where the steps go. Rungs 1 to 4 use the linear schedule of Ho et al. (2020), "
    f"which keeps less than 1% of the signal from step {drowned['linear']['from']} on: its last "
    f"{drowned['linear']['share']:.0%} of steps. Rung 5 uses the cosine schedule, where that is only the last "
    f"{drowned['cosine']['share']:.0%}. The sixth panel puts rung 4 on the gentle schedule instead."
)
prose.caption(f"Each panel: {views.LADDER_N:,} samples, DDPM with {views.LADDER_STEPS} strided steps (all 50 for "
              "the gentle schedule), seed 0. The energy distance says how far the samples' whole distribution is from "
              f"the data's (0 when they are alike), against {metrics.DINO_REFERENCE_N:,} fresh dino points; "
              "s2d is the mean distance from a sample to its nearest of the 142 points. Lower is better for both. "
              f"Retraining runs the same recipe for {app_cache.RETRAIN_SECONDS:.0f} seconds "
              "instead of its full step count, on this server's CPU.")
ladder_section()

app_common.glossary()
st.divider()
prose.caption(
    "References. J. Ho, A. Jain, P. Abbeel, Denoising Diffusion Probabilistic Models (2020). "
    "J. Song, C. Meng, S. Ermon, Denoising Diffusion Implicit Models (2021). "
    "Y. Song et al., Score-Based Generative Modeling through Stochastic Differential Equations (2021). "
    "A. Nichol, P. Dhariwal, Improved Denoising Diffusion Probabilistic Models (2021). "
    "M. Tancik et al., Fourier Features Let Networks Learn High Frequency Functions in Low "
    "Dimensional Domains (2020). G. Szekely, M. Rizzo, Energy statistics (2013). "
    "Datasaurus: J. Matejka, G. Fitzmaurice (2017)."
)
