"""Home: what diffusion is, the dino emerging from noise, and a map of the pages."""

import streamlit as st

import app_cache
import app_common
from app_cache.figures import memo
from app_cache.home import cached as cache
from app_components import prose
from app_components.chart import chart
from diffusion_core.topics.home import figures, views

# the figures a page drew before, from the same inputs, are sent again as built (app_cache.figures)
figures = memo(figures)

st.title("Grokking Diffusion")
info = app_common.shipped(views.MODEL, app_cache.info, views.MODEL)
if info is None:
    st.stop()
prose.markdown(
    "**Diffusion trades compute for quality: a small model applied many times.** "
    f"The network below is a small MLP ({info['depth']} hidden layers of {info['hidden']} units, "
    f"{info['params']:,} weights), trained for {info['steps']:,} steps on a CPU in "
    f"{info['seconds']:.0f} s. On its own it can only "
    "make a rough guess of where a noisy point came from. Applied a hundred times in a row, it "
    "draws a dinosaur."
)

mantissa, exponent = f"{info['alpha_bar_T']:.0e}".split("e")
alpha_bar_T = f"{mantissa} \\cdot 10^{{{int(exponent)}}}"  # the model's last-step alpha_bar, as LaTeX

left, right = st.columns([1, 1.25], gap="large")
with left:
    st.subheader("What a diffusion model does")
    prose.markdown(
        "Take a data point $x_0$ (here: one point of the dinosaur) and blur it with Gaussian "
        "noise, a little more at every step $t = 1, \\dots, T$. After all $T$ steps nothing of "
        "the data is left: the points are plain noise. This *forward process* needs no "
        "learning; at any step it is one formula (Ho et al. 2020, eq. 4):"
    )
    prose.latex(r"x_t = \sqrt{\bar\alpha_t}\, x_0 + \sqrt{1 - \bar\alpha_t}\,\varepsilon,"
                r"\qquad \varepsilon \sim \mathcal{N}(0, I)")
    prose.markdown(
        "where $\\bar\\alpha_t$ falls from 1 (all signal) to about 0 (all noise). "
        "The model $\\varepsilon_\\theta(x_t, t)$ is trained to guess the noise that was added, by plain "
        "squared error over random steps, data points and noise draws (Ho et al. 2020, eq. 14):"
    )
    prose.latex(r"L_\text{simple} = \mathbb{E}_{t,\,x_0,\,\varepsilon}\,\big\|\varepsilon - "
                r"\varepsilon_\theta(x_t, t)\big\|^2")
    prose.markdown(
        "A guess of the noise is also a guess of the clean point, by the same formula solved for $x_0$ (as "
        "predictions they are interchangeable; as losses they weigh the noise levels differently, which "
        "*Where the loss comes from* shows):"
    )
    prose.latex(r"\hat x_0 = \frac{x_t - \sqrt{1 - \bar\alpha_t}\,\varepsilon_\theta(x_t, t)}"
                r"{\sqrt{\bar\alpha_t}}")
    prose.markdown(
        "A guess made from heavy noise is poor: it is close to the average of everything the "
        "point could have been. So the sampler moves only a little towards $\\hat x_0$, adds a "
        "little fresh noise, and asks again at a lower noise level. Each answer is better than "
        "the last, because each question is easier. That loop, run from pure noise, is "
        "*reverse diffusion*."
    )
    prose.markdown(
        "Drag the slider under the plot on the right (it moves through steps already computed, in your "
        "browser). At step 0 the blue states $x_t$ are pure noise and the "
        f"first guess is worthless: with $\\bar\\alpha_T \\approx {alpha_bar_T}$ nothing of the "
        "data is left, and the sampler clips that guess to a box off the chart. A few steps "
        "later the orange-red guesses $\\hat x_0$ form a blob at the middle (the average "
        "dinosaur point), then spread into a rough dino, and the states follow them in. With "
        "fewer steps each move is larger and the dinosaur comes out blurrier. The numbers below measure the "
        "gap to the real data, lower is better: the **energy distance** compares the whole cloud of samples "
        "with the data (0 when the two are distributed alike; an estimate from a finite sample, so it is "
        "noisy, and a value inside its noise reads \"about 0\"), and the other is the mean distance from a "
        "sample to its nearest dino point."
    )

with right:
    steps = st.segmented_control(
        "Model applications (denoising steps)", views.STEP_CHOICES, required=True,
        help="The same trained network, applied this many times (DDPM, Ho et al. 2020, strided).",
        **app_common.keep("home_steps", 100, arg="default")) or 100  # None: see app_state.keep
    run = cache.run(steps)
    with app_common.in_column([1, 1.25], 1, "large"):
        chart(st, figures.reverse_run(run, app_cache.points("dino")), theme=None, key="home_dino")
    numbers = cache.numbers(steps)
    c1, c2 = st.columns(2)
    app_common.ed_metric("Energy distance to the dino", numbers["ed"], numbers["band"], numbers["n"], where=c1)
    c2.metric("Mean distance to nearest dino point", f"{numbers['s2d']:.3f}",
              help="s2d: how far the final samples sit from the 142 data points (standardised units).")

app_common.glossary()
st.divider()
st.subheader("Map of the site")
prose.markdown(
    "Each page pairs a short argument with plots you can break by moving a slider."
)
left, right = st.columns(2, gap="large")
with left:
    st.page_link("app_pages/diffusion_process.py", label="The diffusion process", icon=":material/arrow_forward:")
    prose.caption("Forward noising and the ideal drift field; reverse trajectories; the ablation "
                  "ladder, one change per rung, from no time input to Fourier features and the cosine "
                  "schedule, with live retraining.")
    st.page_link("app_pages/means_and_modes.py", label="Means and modes", icon=":material/arrow_forward:")
    prose.caption("Why a one-shot MSE generator blurs and a GAN collapses (and gets worse with training) while "
                  "iterative denoising finds every mode; the posterior mean walking onto a mode.")
    st.page_link("app_pages/regurgitation.py", label="Regurgitation", icon=":material/arrow_forward:")
    prose.caption("How diffusion copies its training set when the set is small, and hands back a point it "
                  "saw often even when it does not.")
    st.page_link("app_pages/score_fields.py", label="Score fields", icon=":material/arrow_forward:")
    prose.caption("The learned score against the exact one; gradient ascent, Adam, Langevin and "
                  "annealed Langevin on the same field, and why the noise matters; denoising score "
                  "matching in one picture; SDE and ODE paths.")
with right:
    st.page_link("app_pages/where_the_loss_comes_from.py", label="Where the loss comes from",
                 icon=":material/arrow_forward:")
    prose.caption("From the variational bound to \"predict the noise\"; ε, x₀, v and the score as weightings over "
                  "noise levels; shipped networks trained with each target and each draw of noise levels, measured.")
    st.page_link("app_pages/spectral_bands.py", label="Spectral bands", icon=":material/arrow_forward:")
    prose.caption("Power spectra of photographs (yours too) and of noise; the frequency where they meet as "
                  "t moves, under each schedule; the Wiener filter; a reverse run that settles coarse "
                  "bands first.")
    st.page_link("app_pages/sampling_optimization.py", label="Sampling as optimization",
                 icon=":material/arrow_forward:")
    prose.caption("Compute against quality for DDPM, DDIM, Euler and Heun, measured live with its noise, the exact "
                  "score as the limit on the ring; DDIM as gradient descent on a smoothed distance to the "
                  "data, drawn as a landscape, and whether a momentum term buys quality at few steps.")
    st.page_link("app_pages/flow_matching.py", label="Flow matching", icon=":material/arrow_forward:")
    prose.caption("The same network trained with the flow-matching loss: the same regression under another weighting; "
                  "straight training paths and the curved ones sampling follows; DDIM as Euler on the flow; few-step "
                  "quality, and reflow straightening the paths.")
    st.page_link("app_pages/guidance.py", label="Guidance", icon=":material/arrow_forward:")
    prose.caption("Classifier-free guidance as a dial from means to modes on the 13 shapes of the Datasaurus Dozen: "
                  "exact and trained, the trade between fidelity and coverage measured, the three fields, and what "
                  "guided sampling does not sample.")
    st.page_link("app_pages/playground.py", label="Playground", icon=":material/arrow_forward:")
    prose.caption("Your own points (a CSV, a typed word, a drawing or a built-in set): train a diffusion model on "
                  "them live and watch it learn, watch it sample, download the samples and the weights. Every setting "
                  "is in the address, to share as a link.")
