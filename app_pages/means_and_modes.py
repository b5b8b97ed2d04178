"""Means and modes: one-shot MSE blurs, a GAN collapses and is hard to train, iterative denoising lands on modes.

Each section is a fragment, so moving a control reruns only its own section.
"""

import streamlit as st

import app_cache
import app_common
import app_training
from app_cache.figures import kept, memo
from app_cache.modes import cached as cache
from app_components import prose
from app_components.chart import chart
from diffusion_core import datasets, mixtures, pretrained
from diffusion_core.denoisers import NetDenoiser
from diffusion_core.figures import SERIES, mode_weights, samples_panel
from diffusion_core.topics.modes import core, figures, generators, views

# the figures a page drew before, from the same inputs, are sent again as built (app_cache.figures)
figures = memo(figures)
samples_panel = kept(samples_panel)

SET_LABELS = {name: datasets.LABELS[name] for name in pretrained.COMPARED}
KIND_TITLES = {"mse": "One-shot, trained with MSE", "gan": "GAN", "diffusion": "Diffusion"}
KIND_COLORS = {"mse": SERIES[1], "gan": SERIES[3], "diffusion": SERIES[0]}
SEED = 0
keep = app_common.keep


# ---------------------------------------------------------------- 1. three generators

def _live_key(kind: str, dataset: str) -> str:
    return f"modes_live_{kind}_{dataset}"


def _train_live(kind: str, dataset: str) -> None:
    """Retrain one generator for RETRAIN_SECONDS in the training process; keep its samples in the session."""
    seconds = app_cache.RETRAIN_SECONDS
    if kind == "diffusion":
        record, state = app_training.run(pretrained.train_job, dataset, seconds=seconds)
        if record is None:
            raise RuntimeError("the training made no step")
        snaps = [(record.step, views.live_diffusion_samples(NetDenoiser(pretrained.net_from_job(dataset, state))))]
    else:
        name = f"{kind}_{dataset}"
        record, result = app_training.run(pretrained.generator_job, name, seconds=seconds)
        if record is None:
            raise RuntimeError("the training made no step")
        config = pretrained.GEN_RECIPES[name].config
        snaps = [(s.step, generators.build(config, s).sample(views.N_SAMPLES, seed=SEED).numpy())
                 for s in pretrained.snapshots_from_job(result)]
    st.session_state[_live_key(kind, dataset)] = {"snapshots": snaps, "seconds": record.elapsed}


def _shipped(kind: str, dataset: str) -> tuple[int, object]:
    """The steps and samples at the end of training of a shipped MSE generator or diffusion model."""
    if kind == "diffusion":  # the diffusion recipe of each compared set has the set's name
        return app_cache.info(dataset)["steps"], cache.diffusion_samples(dataset)
    name = f"{kind}_{dataset}"
    steps = cache.generator_steps(name)
    return steps[-1], cache.generator_samples(name, len(steps) - 1)


def _live_or_shipped(kind: str, dataset: str):
    """The Train live / Back to shipped buttons under a panel; the live result, or None for the shipped model."""
    return app_training.live_or_shipped(
        _live_key(kind, dataset), lambda: _train_live(kind, dataset), label="Train live",
        button_key=f"modes_train_{kind}", reset_key=f"modes_reset_{kind}",
        help=f"Train this generator from scratch for {app_cache.RETRAIN_SECONDS:.0f} s on this server.")


def generator_panel(kind: str, dataset: str, data) -> None:
    """Samples over the data, energy distance and coverage bars for the MSE generator or diffusion, shipped or live."""
    prose.markdown(f"##### {KIND_TITLES[kind]}")
    panel = st.container()
    live = _live_or_shipped(kind, dataset)
    with panel:
        if live is None:
            shown = app_common.shipped(f"{kind}_{dataset}", _shipped, kind, dataset)
            if shown is None:
                return
            (step, samples), title = shown, f"Shipped: after {shown[0]:,} steps"
        else:
            step, samples = live["snapshots"][-1]
            title = f"Live: after {step:,} steps ({live['seconds']:.0f} s)"
        chart(st, samples_panel(samples, data, title=title, data_name="data", lim=2.6, color=KIND_COLORS[kind],
                                      samples_name="samples", height=360), theme=None, key=f"modes_samples_{kind}")
        rep = cache.panel_report(samples, dataset, SEED)
        app_common.ed_metric("Energy distance to the data", rep["ed"], rep["band"], rep["n"])
        cov = rep["coverage"]
        if cov is None:
            prose.caption("The dino is not a mixture of separate modes, so there is nothing to count; "
                          "compare the shapes and the energy distance.")
        else:
            chart(st, figures.coverage_bars(cov["shares"], cov["weights"], cov["off_mode"],
                                                  title=f"Modes hit: {cov['modes_hit']} of {len(cov['weights'])}"),
                            theme=None, key=f"modes_cov_{kind}")


def gan_panel(dataset: str, data) -> None:
    """The GAN at every kept snapshot of its training, shipped or live, in one figure scrubbed in the browser: its
    samples, their energy distance and (on a mixture) the share near each mode."""
    prose.markdown(f"##### {KIND_TITLES['gan']}")
    panel = st.container()
    live = _live_or_shipped("gan", dataset)
    with panel:
        if live is None:
            run = app_common.shipped(f"gan_{dataset}", cache.generator_run, f"gan_{dataset}", dataset, SEED)
            if run is None:
                return
            who = "Shipped"
        else:
            steps, samples = zip(*live["snapshots"])
            run = {"steps": list(steps), "samples": list(samples),
                   "reports": [cache.panel_report(x, dataset, SEED) for x in samples]}
            who = f"Live ({live['seconds']:.0f} s)"
        reports, steps = run["reports"], run["steps"]
        covered = reports[0]["coverage"] is not None
        notes = [f"Energy distance to the data: {app_common.ed_text(r['ed'], r['band'])}"
                 + (f"<br>Modes hit: {r['coverage']['modes_hit']} of {len(r['coverage']['weights'])}" if covered else "")
                 for r in reports]
        chart(st, figures.snapshots_run(
            steps, run["samples"], data, titles=[f"{who}: after {s:,} steps" for s in steps], notes=notes,
            coverage=[r["coverage"] for r in reports] if covered else None, color=KIND_COLORS["gan"],
            active=len(steps) - 1), theme=None, key="modes_gan_run")
        prose.caption(f"Drag the slider under the plot to see the GAN at each of the {len(steps)} snapshots kept during "
                      "its training, in your browser. The energy distance is explained by the question mark beside "
                      "the other panels' energy distance; "
                      + ("a sample is near a mode within three of its standard deviations." if covered
                      else "the dino is not a mixture of separate modes, so there is nothing to count."))


@st.fragment
def generators_section():
    dataset = st.segmented_control("Data set", pretrained.COMPARED, required=True,
                                   **keep("modes_dataset", "ring8", arg="default",
                                          format_func=SET_LABELS.get)) or "ring8"  # None: see app_state.keep
    data = app_cache.points(dataset, 2000 if dataset != "dino" else None)
    for col, kind in zip(st.columns(3, gap="medium"), ("mse", "gan", "diffusion")):
        with col, app_common.in_column(3, gap="medium"):
            if kind == "gan":
                gan_panel(dataset, data)
            else:
                generator_panel(kind, dataset, data)
    b = app_common.shipped(dataset, cache.budget, dataset)
    if b is None:
        return
    prose.caption(f"Same budget: every network has 3 hidden layers of 64 units and trains for {b['steps']:,} steps on "
                  f"batches of 512 (the GAN's discriminator, the same size, takes a step each time too). The "
                  f"diffusion network also takes Fourier features of its input and its time step, so it has "
                  f"{b['diffusion_weights']:,} weights against the generator's {b['generator_weights']:,}, and it "
                  f"keeps an average of its weights over training. {views.N_SAMPLES:,} samples each; diffusion samples "
                  f"with DDPM in {views.DIFF_STEPS} steps. The energy distance compares the whole cloud of samples with the "
                  "data (0 when they are distributed alike; lower is better), in the data's standardised frame, against "
                  f"{core.REFERENCE_N:,} fresh data points. Live training runs for "
                  f"{app_cache.RETRAIN_SECONDS:.0f} s instead of the full step count.")


@st.fragment
def training_section():
    """The GAN and diffusion over their training, on the ring: energy distance and modes hit."""
    c = app_common.shipped("ring8_growth", cache.training_curves, "ring8")
    if c is None:
        return
    chart(st, figures.training_curves({"GAN": c["gan"], "diffusion": c["diffusion"]}, modes=c["modes"],
                                            floor=c["band"].top, title="Ring of 8 Gaussians over training"),
                    theme=None, key="modes_training")
    gan, diff = c["gan"], c["diffusion"]
    best = min(range(len(gan["ed"])), key=gan["ed"].__getitem__)
    ed = lambda value: app_common.ed_text(value, c["band"])  # noqa: E731
    prose.markdown(
        f"**Measured.** The GAN's energy distance is {ed(gan['ed'][0])} after {gan['steps'][0]:,} steps, lowest "
        f"({ed(gan['ed'][best])}) at step {gan['steps'][best]:,}, and {ed(gan['ed'][-1])} at the end: "
        + ("more training made it worse. " if gan["ed"][-1] > 2 * gan["ed"][best] else "it does not improve much. ")
        + f"It hits {gan['modes'][0]} of {c['modes']} modes at first and {gan['modes'][-1]} at the end. Diffusion, "
        f"trained the same number of steps, goes from {ed(diff['ed'][0])} to {ed(diff['ed'][-1])} and hits "
        + (f"all {c['modes']} modes throughout." if min(diff["modes"]) == c["modes"] else
           f"{min(diff['modes'])} to {max(diff['modes'])} modes along the way.") + " "
        + "A GAN's two networks chase each other; "
        "there is no loss whose fall means better samples, so when to stop is a guess.")


# ---------------------------------------------------------------- 2. the mean walks onto a mode

@st.fragment
def posterior_section():
    T = 1000
    c_x, c_t = st.columns(2)
    x_t = c_x.slider("The noisy value x_t", -2.5, 2.5, step=0.05, **keep("modes_xt", 0.3))
    t = c_t.slider(f"Step t (of T = {T}; cosine schedule)", 1, T,
                   help="Drag it from right to left: the reverse process runs from T down to 0.",
                   **keep("modes_t", 700))
    view = app_common.shipped(views.MODEL_1D, cache.posterior, float(x_t), int(t) - 1)
    if view is None:
        return
    left, right = st.columns([1.5, 1], gap="large")
    with left:
        chart(st, figures.posterior_bars(view.centres, view.posterior, prior=view.prior, mean=view.mean,
                                               learned_mean=view.learned_mean, observed=view.observed,
                                               title=f"Where could x_t = {x_t:.2f} at t = {t} have come from?"),
                        theme=None, key="modes_posterior")
    with right:
        m1, m2 = st.columns(2)
        m1.metric("σ (data units)", f"{view.sigma:.3g}",
                  help="The noise level of step t, in the data's units: σ² = (1 − ᾱ_t) / ᾱ_t (see the box above).")
        m2.metric("E[x₀ | x_t], exact", f"{view.mean:.2f}",
                  help=f"The network's guess: {view.learned_mean:.2f}")
        posterior_text()


def posterior_text() -> None:
    prose.markdown(
        "**What to look for.** At large $t$ the bars are the prior itself, three bumps of "
        "weights 0.5, 0.2 and 0.3: the noisy value tells almost nothing, and the best guess in "
        "squared error, the **posterior mean** (dashed), sits at the global mean, "
        f"{float(mixtures.three_modes_1d().global_mean()[0]):.2f}, between the modes, where no data "
        "lives. Slide $t$ down: the likelihood narrows, the bumps far from $x_t/\\sqrt{\\bar\\alpha_t}$ "
        "(green) lose their weight, and the mean leaves the global mean for the mode nearest the "
        "noisy value. (Park $x_t$ in a gap between modes and, at small $t$, the posterior is a narrow "
        "bump in the gap: a point the reverse process almost never visits, as the runs below show.) "
        "The dotted line is a network trained on samples of this mixture; the map below says how far it is from "
        "the exact mean."
    )
    prose.latex(r"\mathbb{E}[x_0 \mid x_t] = \sum_k r_k(x_t)\,\frac{s_k^2\, x + \sigma^2 m_k}{s_k^2 + \sigma^2}")
    prose.caption("where x = x_t / √ᾱ_t and σ² = (1 − ᾱ_t) / ᾱ_t put the noisy value in the data's units, "
                  "m_k and s_k are mode k's centre and width, and r_k(x_t) is the probability that mode k "
                  "produced x_t.")


def error_map_block() -> None:
    """The network's error against the exact mean over every (t, x_t) of the sliders, and what it says."""
    m = app_common.shipped(views.MODEL_1D, cache.mean_error_map)
    if m is None:
        return
    left, right = st.columns([1.5, 1], gap="large")
    chart(left, figures.error_map_1d(m["steps"], m["values"], m["error"], near=m["near"],
                                           title="How far the network's guess is from the exact mean"),
                      theme=None, key="modes_error_map")
    worst, near = m["worst_below"], m["near"]
    if m["everywhere_to"] is None:
        first = f"The network's guess strays more than {near:g} from the exact mean already at the first step shown. "
    else:
        first = (f"The network's guess is within {near:g} of the exact mean at every $x_t$ up to "
                 f"$t = {m['everywhere_to']}$. ")
    if worst is not None:
        first += (f"Beyond that it strays first in the gap between modes (worst: {worst['error']:.2f} at "
                  f"$x_t = {worst['x_t']:.2f}$, $t = {worst['t']}$), where the noisy value almost never is. ")
    mass = (f"Weighted by where $x_t$ actually lies, it stays within {near:g} for {m['mass']:.0%} of them up to "
            f"$t = {m['mass_to']}$. " if m["mass_to"] is not None else "")
    prose.markdown(
        f"**Measured.** {first}{mass}Nearer $T$ it strays everywhere: its guess $\\hat x_0 = (x_t - "
        "\\sqrt{1-\\bar\\alpha_t}\\,\\hat\\varepsilon)/\\sqrt{\\bar\\alpha_t}$ divides a small error in the "
        "predicted noise by a tiny $\\sqrt{\\bar\\alpha_t}$ (clipped to ±4, as the samplers clip it).", where=right)


@st.fragment
def paths_section():
    c_n, c_seed = st.columns(2)
    n = c_n.slider("Runs", 1, 8, **keep("modes_runs", 6))
    seed = c_seed.slider("Noise seed", 0, 9, **keep("modes_paths_seed", 0))
    for col, learned in zip(st.columns(2, gap="large"), (False, True)):
        with col:
            run = app_common.shipped(views.MODEL_1D, cache.paths, learned, n, seed)
            if run is None:
                continue
            who = "the trained network" if learned else "the exact posterior mean"
            guess = "the network's x̂₀, its running guess" if learned else "E[x₀ | x_t], the running guess"
            chart(st, figures.mean_paths(run["steps"], run["states"], run["guesses"], modes=run["modes"],
                                               T=1000, title=f"Guided by {who}", guess_name=guess), theme=None,
                            key=f"modes_paths_{'learned' if learned else 'exact'}")
            prose.caption("Landed on the modes at " + ", ".join(f"{m:+.1f}: {c}" for m, c in
                                                                 zip(run["modes"], run["landed"])) + "."
                          + (" Near t = T the network's guesses are clipped to ±4 and leave the chart: the "
                             "amplified error explained above." if learned else ""))
    landing_block()


def landing_block() -> None:
    """Where many runs land: each mode's share against its weight, exact and learned."""
    shares = {who: app_common.shipped(views.MODEL_1D, cache.landing_shares, learned)
              for who, learned in (("exact posterior mean", False), ("trained network", True))}
    if any(v is None for v in shares.values()):
        return
    first = next(iter(shares.values()))
    labels = [f"at {m:+.1f}<br>weight {w:.1f}" for m, w in zip(first["modes"], first["weights"])]
    left, right = st.columns([1.3, 1], gap="large")
    chart(left, mode_weights({k: v["shares"] for k, v in shares.items()}, first["weights"], labels=labels,
                                   title=f"Where {first['runs']:,} runs land", height=400, legend_y=-0.36),
                      theme=None, key="modes_landing")
    gap = max(abs(s - w) for v in shares.values() for s, w in zip(v["shares"], v["weights"]))
    prose.markdown(
        f"**Many runs.** A handful of runs cannot show proportions. Over {first['runs']:,} runs from fresh noise, "
        f"each mode gets a share within {gap:.3f} of its weight, with the exact mean and with the network alike: "
        "every run follows the mean, and the runs together land in proportion to the weights.", where=right)


# ---------------------------------------------------------------- the page

st.title("Means and modes")
prose.markdown(
    "A generative model must turn noise into data. Train a network to do it **in one shot** with "
    "a squared error, and it learns an average, not a sample. Train it as a **GAN** and it chases "
    "modes, but often only some of them. **Diffusion** also only ever learns averages, yet its "
    "samples land on the modes, because it asks for the average many times, each time of a "
    "narrower distribution. The same mechanism has a dark side, which [Regurgitation](/regurgitation) "
    "measures: given too few training points, or one point many times, it hands them back. And "
    "[Guidance](/guidance) turns the same trade into a dial: classifier-free guidance moves samples from the "
    "broad distribution to the parts most distinctive of a class."
)

app_cache.training_worker()  # start the training process while the reader reads (the panels train live)
st.header("1. Three generators, same data, same budget")
prose.markdown(
    "The one-shot generator $G(z)$ is trained like any regression: each data point $x$ is paired "
    "with a random noise vector $z$ and $G$ minimises $\\mathbb{E}\\,\\lVert G(z) - x\\rVert^2$. "
    "The minimiser of a squared error is a conditional mean,"
)
prose.latex(r"G^\star(z) = \arg\min_{g}\ \mathbb{E}\big[\lVert g - x \rVert^2 \,\big|\, z\big] = \mathbb{E}[x \mid z],")
prose.markdown(
    "and since $z$ was drawn independently of $x$, it tells the network nothing: the best answer "
    "is close to the mean of all the data, a blur in the middle of the ring. A **GAN** (Goodfellow "
    "et al. 2014) replaces the squared error by a second network that tells data from fakes, so "
    "an average no longer scores well; but nothing makes the generator cover every mode, and it "
    "tends to settle on a few of them (mode collapse; the ring of eight Gaussians is the test of "
    "Metz et al. 2017). **Diffusion** trains the same squared error as the one-shot model, but on "
    "a question it can answer: from $x_t$, where did the data come from?"
)
prose.markdown(
    "**What to look for.** On the ring the one-shot samples sit in a blob at the centre and no mode "
    "gets any share. Move the GAN's snapshot slider: early on it spreads over the ring, then settles "
    "on some modes and starves others. Diffusion's bars match the true weights, mode by mode. On the "
    "two Gaussians (weights 1 : 4) the GAN drops the small mode entirely; the one-shot blob sits "
    "between the two, in the tail of the heavy mode, where the bar chart counts it (look at the "
    "plot, not only the bars)."
)
generators_section()
st.subheader("GANs are also hard to train")
prose.markdown(
    "Collapse is not the only trouble. The GAN's snapshots and the diffusion model's weights at the same training "
    "steps, on the ring, measured the same way:"
)
training_section()

st.header("2. The mean that walks onto a mode")
prose.markdown(
    "If diffusion learns averages, why are its samples not blurred? Because each step asks for the "
    "mean of a **different** distribution: the posterior $p(x_0 \\mid x_t)$ of the clean value given "
    "the current noisy one. Below, the data are three Gaussians on a line, so this posterior is "
    "exact, a reweighted mixture (no network involved)."
)
app_common.noise_levels()
posterior_section()
error_map_block()
prose.markdown(
    "**Follow the mean down.** Each run starts from pure noise and takes DDPM steps "
    "(Ho et al. 2020): move a little towards the current guess $\\mathbb{E}[x_0 \\mid x_t]$, add "
    "a little fresh noise. Early guesses (dashed) all start near the global mean; as the noise "
    "falls, each run's posterior loses all but one mode and its guess walks onto it, and runs from "
    "different seeds land on different modes, in proportion to their weights. The right panel runs "
    "the same seeds with the trained network in place of the exact mean. "
    f"Both take {core.PATH_STEPS} of the schedule's 1,000 steps."
)
paths_section()

app_common.glossary()
st.divider()
prose.caption(
    "References. I. Goodfellow et al., Generative Adversarial Nets (2014). L. Metz, B. Poole, "
    "D. Pfau, J. Sohl-Dickstein, Unrolled Generative Adversarial Networks (2017). J. Ho, A. Jain, "
    "P. Abbeel, Denoising Diffusion Probabilistic Models (2020). S. Dieleman, Perspectives on "
    "diffusion (blog, 2023), the view that diffusion models estimate expectations. A. Radford, L. Metz, S. Chintala, DCGAN (2016). G. Szekely, M. Rizzo, Energy statistics (2013)."
)
