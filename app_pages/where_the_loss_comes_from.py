"""Where the loss comes from: the variational bound becomes "predict the noise"; a prediction target is a weighting
over noise levels; what moving training's effort between noise levels does, measured on the dino.

Each section with controls is a fragment, so moving a control reruns only its own section.
"""

import math

import streamlit as st

import app_cache
import app_common
import app_training
from app_cache.figures import kept, memo
from app_cache.objective import cached as cache
from app_components import prose
from app_components.chart import chart
from diffusion_core import datasets, pretrained, schedules
from diffusion_core.figures import SERIES, samples_panel
from diffusion_core.topics.objective import core, figures, views

# the figures a page drew before, from the same inputs, are sent again as built (app_cache.figures)
figures = memo(figures)
samples_panel = kept(samples_panel)

keep = app_common.keep
TARGET_NAMES = {"eps": "ε (the noise)", "x0": "x₀ (the clean point)", "v": "v (the velocity)"}
DRAW_NAMES = {"shift": "uniform over the steps, shifted in log-SNR", "elbo": "in proportion to the ELBO weights"}
SHIFTS = tuple(nz for nz in views.NOISES if not isinstance(nz, str))
SCALE, N_POINTS, SEED = core.COARSE_SCALE, len(datasets.DINO_POINTS), views.SEEDS[0]
ALL_FILES = f"the {len(pretrained.LOSS_MODELS)} networks of this section (loss_*.pt)"


def _levels(lams: list[float]) -> str:
    """Log-SNRs of the page's evenly spaced grid as runs of neighbours ("λ from -8 to -1 and at 4"), or 'no level'."""
    if not lams:
        return "no level"
    step = float(core.CURVE_LAMBDAS[1] - core.CURVE_LAMBDAS[0])
    runs: list[list[float]] = []
    for lam in lams:
        if runs and abs(lam - runs[-1][-1] - step) < 1e-9:
            runs[-1].append(lam)
        else:
            runs.append([lam])
    parts = [f"λ = {r[0]:g}" if len(r) == 1 else f"λ from {r[0]:g} to {r[-1]:g}" for r in runs]
    return f"{len(lams)} of {len(core.CURVE_LAMBDAS)} levels (" + ", ".join(parts) + ")"


# ---------------------------------------------------------------- 1. the bound

@st.fragment
def bound_section():
    name = st.radio("Schedule", views.SCHEDULES, horizontal=True,
                    **keep("loss_bound_schedule", "linear", index_in=views.SCHEDULES,
                           format_func=lambda n: schedules.LABELS[n]))
    b = cache.bound(name)
    chart(st, figures.elbo_weights(b["t"], b["elbo"], b["uniform"],
                                         title=f"Each step's share of the loss, {schedules.LABELS[name]}, T = {b['T']:,}"),
                    theme=None, key="loss_bound_plot")
    (t_max, w_max), (t_min, w_min) = b["largest"], b["smallest"]
    prose.markdown(
        f"**Measured on this schedule.** The bound puts {b['low_share']:.0%} of its weight on the least noisy tenth "
        f"of the steps, where $L_\\text{{simple}}$ puts 10%, and {b['high_half']:.1%} on the noisier half (50% under "
        f"$L_\\text{{simple}}$). Its largest weight is at step {t_max:,} ({w_max:.3g}), its smallest at step "
        f"{t_min:,} ({w_min:.3g}); the last step holds {b['last_share']:.1%} of it."
    )
    if b["last_share"] > 0.5:
        lo, hi = b["last_lambdas"]
        prose.markdown(
            f"That last step is an artefact of the schedule's end: $\\beta_T$ is clipped at {b['beta_T']:.3g}, so the "
            f"step jumps from $\\lambda = {lo:.1f}$ to ${hi:.1f}$, and $\\tfrac12(\\mathrm{{SNR}}_{{T-1}}/"
            f"\\mathrm{{SNR}}_T - 1)$ is huge. An exact model's error there is tiny (at pure noise $\\varepsilon "
            "\\approx x_T$), so the bound's value hardly notices; a training that drew steps in proportion to these "
            f"weights would spend {b['last_share']:.0%} of its draws there (section 4 tries it)."
        )


# ---------------------------------------------------------------- 3. targets as weightings

def targets_section():
    view = cache.targets()
    left, right = st.columns(2, gap="large")
    with left:
        chart(st, figures.implied_weights(view["lambda"], view["weights"],
                                                title="Weight each target puts on the ε error"),
                        theme=None, key="loss_implied")
    with right:
        lam = view["steps_lambda"]
        chart(st, figures.over_log_snr(
            {f"{TARGET_NAMES[t]}, uniform steps": (lam, w) for t, w in view["effective"].items()},
            title="… times the cosine schedule's draw of levels", ytitle="weight per unit λ (area 1)",
            log_y=True), theme=None, key="loss_effective")
    prose.markdown(
        f"**Read the left plot.** The same error in $\\hat\\varepsilon$ costs an $x_0$-predictor "
        f"{view['ratio_x0']:,.0f} times more at $\\lambda = -4$ than at $\\lambda = 4$: $x_0$-prediction cares about "
        "high noise, the score about low noise, $\\varepsilon$ about neither. The right plot multiplies each "
        "weight by how often a uniform draw of the cosine schedule's steps lands at each $\\lambda$ (Kingma and Gao "
        "2023 call the product the weighting function; for $v$ it is $e^{-\\lambda/2}$, their closed form, up to "
        "the schedule's clipped ends)."
    )


# ---------------------------------------------------------------- 4. where training spends it

def _controls() -> tuple[str, object]:
    c_target, c_draw, c_shift = st.columns([1.2, 1.3, 1.5])
    target = c_target.radio("Prediction target", core.TARGETS,
                            **keep("loss_target", "eps", index_in=core.TARGETS, format_func=TARGET_NAMES.get))
    draw = c_draw.radio("Training draws its steps", tuple(DRAW_NAMES),
                        **keep("loss_draw", "shift", index_in=tuple(DRAW_NAMES), format_func=DRAW_NAMES.get))
    shift = c_shift.select_slider("Log-SNR shift of the draw (− noisier, + cleaner)", SHIFTS,
                                  disabled=draw == "elbo",
                                  **keep("loss_shift", 0.0,
                                         format_func=lambda s: f"{s:+g}" if s else "0 (uniform)"),
                                  help="Every draw's λ is moved by this much: −4 divides the SNR of each draw by "
                                       "e⁴ ≈ 55; draws pushed past the schedule's ends are dropped (Hoogeboom et al. "
                                       "2023 shift schedules this way for large images).")
    return target, (core.ELBO if draw == "elbo" else float(shift))


def _draw_plots(target: str, noise, label: str) -> None:
    d = cache.draws(target, noise)
    lam = d["lambda"]
    left, right = st.columns(2, gap="large")
    with left:
        density = {f"this setting ({label})": (lam, d["density"])}
        if noise != 0:
            density["uniform steps"] = (lam, d["uniform_density"])
        chart(st, figures.over_log_snr(density, title="Where training draws its noise levels",
                                             ytitle="draws per unit λ"),
                        theme=None, key="loss_draw_density")
    with right:
        weight = {f"this setting ({TARGET_NAMES[target]}, {label})": (lam, d["effective"])}
        if (target, noise) != views.BASELINE:
            weight["L_simple (ε, uniform steps)"] = (lam, d["baseline_effective"])
        chart(st, figures.over_log_snr(weight, title="The weight the loss puts on each level", log_y=True,
                                             ytitle="weight per unit λ (area 1)"),
                        theme=None, key="loss_draw_weight")
    prose.markdown(f"{d['noisy_share']:.0%} of this setting's draws are noisier than SNR = 1 ($\\lambda < 0$), against "
                   f"{d['uniform_noisy_share']:.0%} for uniform steps; {d['last_share']:.1%} land on the last step.")


def _live(target: str, noise) -> dict | None:
    name = pretrained.loss_model(target, noise, views.SEEDS[0])
    key = f"loss_live_{name}"
    return app_training.live_or_shipped(
        key, lambda: app_training.retrain(name, key, views.live), label="Train this setting live",
        button_key="loss_train", reset_key="loss_reset",
        help=f"Train this target with this draw of noise levels from scratch for {app_cache.RETRAIN_SECONDS:.0f} s "
             f"(the shipped networks had {pretrained.LOSS_STEPS:,} steps).")


def _setting_view(target: str, noise, label: str) -> dict | None:
    view = app_common.shipped(ALL_FILES, cache.setting, target, noise)
    if view is None:
        return None
    live = _live(target, noise)
    shown = live or view
    who = (f"live, {live['steps']:,} steps in {live['seconds']:.0f} s" if live
           else f"shipped, {view['steps']:,} steps, seed {SEED}")
    left, right = st.columns([1, 1.4], gap="large")
    with left, app_common.in_column([1, 1.4], 0, "large"):
        chart(st, samples_panel(shown["samples"], datasets.DINO_POINTS,
                                      title=f"Samples: {TARGET_NAMES[target]}, {label}",
                                      samples_name=f"samples ({who})", color=SERIES[0], height=420),
                        theme=None, key="loss_samples")
        m1, m2 = st.columns(2)
        m1.metric("Coarse shape", f"{shown['coarse']:.2e}",
                  help=f"MMD², the kernel discrepancy to the training distribution with a Gaussian kernel of width "
                       f"{SCALE:g}: it sees the shape and weighs down what is finer than about {SCALE:g}. Lower is "
                       "better; fresh data scores about 0.")
        m2.metric("Detail (s2d)", f"{shown['detail']:.4f}",
                  help=f"Mean distance from a sample to its nearest of the {N_POINTS} dino points. Lower is better; "
                       f"fresh data (jittered by {datasets.DINO_JITTER:g}) scores about "
                       f"{datasets.DINO_JITTER * math.sqrt(math.pi / 2):.4f} (the mean radius of a 2D Gaussian "
                       "of that width).")
    with right:
        curves = {f"this setting, {len(views.SEEDS)} seeds": (view["seeds"]["error"], view["seeds"]["error_se"])}
        if noise != 0:
            curves[f"{TARGET_NAMES[target]}, uniform steps"] = (view["uniform"]["error"], view["uniform"]["error_se"])
        if target != views.BASELINE[0] or noise != 0:
            curves["L_simple (ε, uniform steps)"] = (view["baseline"]["error"], view["baseline"]["error_se"])
        if live:
            curves[f"trained live ({live['steps']:,} steps)"] = (live["error"], 0 * live["error"])
        chart(st, figures.error_by_level(view["lambdas"], curves,
                                               title="How far x̂₀ is from the exact denoiser, per noise level"),
                        theme=None, key="loss_error_levels")
        lam0 = float(core.CURVE_LAMBDAS[0])
        prose.caption(f"Mean over {core.CURVE_POINTS} noised training points per level of ‖x̂₀ − E[x₀ | x]‖², the exact "
                      f"posterior mean of the {N_POINTS} jittered points; bars are two standard errors over the seeds. An "
                      "ε-network's x̂₀ = x − σε̂ multiplies its error by σ, so the squared error plotted here by σ² "
                      f"(= e^(−λ): {math.exp(-lam0):,.0f} at λ = {lam0:g}): that is why ε-prediction is far off at high noise. The samplers clip x̂₀ to a "
                      "box there; this plot does not.")
    return view


@st.fragment
def spend_section():
    target, noise = _controls()
    label = views.noise_label(noise)
    _draw_plots(target, noise, label)
    view = _setting_view(target, noise, label)
    if view is None:
        return
    # One markdown element in this place at every setting: an element that comes and goes moves the ones after
    # it, and Streamlit then builds the comparison's charts anew instead of redrawing them.
    if (target, noise) != views.BASELINE:
        against = "uniform" if noise != 0 else "baseline"
        lv = views.by_level(view, against)
        who = (f"{TARGET_NAMES[target]} with uniform steps" if noise != 0 else "$L_\\text{simple}$ (ε, uniform steps)")
        prose.markdown(f"**Measured, per level.** Against {who} ({len(views.SEEDS)} seeds each, a difference counted "
                       f"when it exceeds two standard errors), this setting's $\\hat x_0$ is closer to the exact "
                       f"denoiser at {_levels(lv['better'])}, and further at {_levels(lv['worse'])}.")
    else:
        prose.markdown("**Measured, per level.** This setting is $L_\\text{simple}$ itself (ε, uniform steps): the "
                       "other targets' uniform draws are measured against it, and a shifted or ELBO draw against its "
                       "own target's uniform draw. Choose another target or draw to compare.")
    comparison_block(target, noise)


def comparison_block(target: str, noise) -> None:
    comp = app_common.shipped(ALL_FILES, cache.comparison)
    if comp is None:
        return
    selected = (target, views.NOISES.index(noise))
    left, right = st.columns(2, gap="large")
    for col, key, title, ytitle in ((left, "coarse", "Coarse shape, every setting", f"MMD² at {SCALE:g} (lower: better)"),
                                    (right, "detail", "Fine detail, every setting", "s2d (lower: better)")):
        with col:
            chart(st, figures.across_settings(comp["ticks"], comp[key], comp["floor"][key], title=title,
                                                    ytitle=ytitle, selected=selected),
                            theme=None, key=f"loss_compare_{key}")
    f = views.findings(comp)
    hc, hd, lc, ld = f["high_coarse"], f["high_detail"], f["low_coarse"], f["low_detail"]
    prose.markdown(
        f"**Measured, every setting.** Each of the {len(views.NOISES) * len(core.TARGETS)} settings was trained "
        f"with {len(views.SEEDS)} seeds for {pretrained.LOSS_STEPS:,} steps and sampled with DDPM in "
        f"{core.SAMPLE_STEPS} steps; a setting is called better or worse than the uniform draw of its own target "
        f"when the gap exceeds two standard errors (with {len(views.SEEDS)} seeds a loose test: read the plots "
        "too).\n"
        f"- *Toward high noise* (shifts below 0, {hc['cases']} cases): coarse shape better in {hc['better']}, worse "
        f"in {hc['worse']}, not told apart in {hc['same']}; detail better in {hd['better']}, worse in {hd['worse']}.\n"
        f"- *Toward low noise* (shifts above 0, {lc['cases']} cases): coarse shape better in {lc['better']}, worse "
        f"in {lc['worse']}, not told apart in {lc['same']}; detail better in {ld['better']}, worse in {ld['worse']}."
    )
    if hc["better"] == 0:
        prose.markdown(
            "So on the dino, spending more of training at high noise did **not** buy a better coarse shape. The "
            "per-level plot, at any negative shift, shows why: the shifted run does get $\\hat x_0$ closer to the exact denoiser where it "
            "trains more, but it pays at the low-noise end, and every sample passes through that end last. "
            "Shifting toward noise is reported to pay for large images (Hoogeboom et al. 2023; Esser et al. 2024), "
            "where many pixels carry each coarse feature, so it stays visible through much more noise; this page "
            "has no such data to test that on."
        )
    else:
        prose.markdown("Here some shifts toward high noise did improve the coarse shape: the plots above say which, "
                       "and at what cost in detail.")
    prose.caption(f"Fresh data scores {comp['floor']['coarse'][0]:.1e} ± {comp['floor']['coarse'][1]:.1e} "
                  f"(mean ± one standard deviation over draws) on the coarse measure and {comp['floor']['detail'][0]:.4f} "
                  "on detail; the grey bands are the mean ± two standard deviations. The seed-0 samples above are drawn live; the comparison reads the numbers each shipped file "
                  "carries, measured by the same code when it was made (the tests measure them again).")


# ---------------------------------------------------------------- 5. the schedule is a training distribution

def schedules_section():
    dens = cache.schedule_densities()
    chart(st, figures.over_log_snr({f"{schedules.LABELS[n]}, T = {d['T']:,}": (d["lambda"], d["density"])
                                          for n, d in dens.items()},
                                         title="Where uniform steps put training, per schedule",
                                         ytitle="draws per unit λ", xrange=(-21, 11)),
                    theme=None, key="loss_schedules")
    lin, cos, gen = dens["linear"], dens["cosine"], dens["gentle"]
    prose.markdown(
        "**Measured.** Drawing $t$ uniformly, the linear schedule spends "
        f"{lin['very_noisy']:.0%} of training below $\\lambda = -4$ (nearly pure noise) and the cosine schedule "
        f"{cos['very_noisy']:.0%}; below SNR = 1 the shares are {lin['noisy']:.0%} and {cos['noisy']:.0%}. Above "
        f"$\\lambda = 4$ (nearly clean) they are {lin['clean']:.0%} and {cos['clean']:.0%}. The gentle schedule "
        f"never goes below $\\lambda = {float(gen['lambda'][-1]):.1f}$. So the cosine schedule (Nichol and Dhariwal "
        "2021) moves training *away* from the noisiest levels, toward the middle and the clean end; "
        "*Spectral bands* counts the same thing in steps per octave, and section 4 measured what moving it further either way does on the dino."
    )


# ---------------------------------------------------------------- the page

st.title("Where the loss comes from")
prose.markdown(
    "The standard recipe, and every network on this app's other pages, trains with one line: the squared error "
    "between the noise that was added and the noise the network guesses (Ho et al. 2020, eq. 14):"
)
prose.latex(r"L_\text{simple} = \mathbb{E}_{t \sim \mathcal{U}\{1..T\},\,x_0,\,\varepsilon}\,\big\|\varepsilon - "
            r"\varepsilon_\theta(\sqrt{\bar\alpha_t}\,x_0 + \sqrt{1-\bar\alpha_t}\,\varepsilon,\ t)\big\|^2")
prose.markdown(
    "This page derives it from the likelihood, shows that choosing what to predict ($\\varepsilon$, $x_0$, $v$ or "
    "the score) is choosing how much each noise level counts, and measures what moving training's effort between "
    "noise levels does on the dino. Noise levels are written as **log-SNR**, "
    "$\\lambda = \\log\\big(\\bar\\alpha / (1 - \\bar\\alpha)\\big) = -2 \\log \\sigma$: large is clean, very "
    "negative is pure noise."
)

st.header("1. From the variational bound to \"predict the noise\"")
prose.markdown(
    "1. **The bound.** The model is a chain $p_\\theta(x_{t-1} \\mid x_t)$ from noise to data. Its likelihood is "
    "out of reach, but Jensen's inequality bounds it by a sum of KL divergences (Ho et al. 2020, eq. 5):"
)
prose.latex(r"-\log p_\theta(x_0) \le \mathbb{E}_q\Big[\underbrace{D_\mathrm{KL}(q(x_T|x_0)\,\|\,p(x_T))}_{L_T}"
            r" + \sum_{t \ge 2} \underbrace{D_\mathrm{KL}(q(x_{t-1}|x_t,x_0)\,\|\,p_\theta(x_{t-1}|x_t))}_{L_{t-1}}"
            r" \underbrace{- \log p_\theta(x_0|x_1)}_{L_0}\Big]")
prose.markdown(
    "2. **Each KL is between Gaussians.** Given $x_0$, the forward step back, $q(x_{t-1} \\mid x_t, x_0)$, is "
    "Gaussian with mean $\\tilde\\mu_t$ and variance $\\tilde\\beta_t = \\frac{1-\\bar\\alpha_{t-1}}{1-\\bar\\alpha_t}"
    "\\beta_t$. Give the model the same variance; the KL of two Gaussians with equal variance is the squared "
    "distance of their means, $\\|\\tilde\\mu_t - \\mu_\\theta\\|^2 / (2\\tilde\\beta_t)$.\n"
    "3. **Write the means with $\\varepsilon$.** Substituting $x_0 = (x_t - \\sqrt{1-\\bar\\alpha_t}\\,\\varepsilon)"
    "/\\sqrt{\\bar\\alpha_t}$ gives $\\tilde\\mu_t = \\big(x_t - \\tfrac{\\beta_t}{\\sqrt{1-\\bar\\alpha_t}}"
    "\\varepsilon\\big)/\\sqrt{\\alpha_t}$; give $\\mu_\\theta$ the same form with $\\varepsilon_\\theta$. Each term "
    "becomes a weighted $\\varepsilon$-MSE (eq. 12):"
)
prose.latex(r"L_{t-1} = \underbrace{\frac{\beta_t}{2\alpha_t(1-\bar\alpha_{t-1})}}_{w_t \;=\; "
            r"\frac12\left(\mathrm{SNR}_{t-1}/\mathrm{SNR}_t - 1\right)}\;"
            r"\mathbb{E}\,\|\varepsilon - \varepsilon_\theta(x_t, t)\|^2,\qquad w_1 = \frac{1}{2\alpha_1}")
prose.markdown(
    "4. **Drop the weights.** $L_T$ has no parameters. Setting every $w_t$ to the same value gives "
    "$L_\\text{simple}$, which Ho et al. found trains better samples: on their linear schedule it moves effort "
    "from the low-noise steps, which the bound favours there, to the noisier ones. The plot compares the two "
    "weightings step by step; pick the cosine schedule to see where that story breaks."
)


def step_3_in_full() -> None:
    """The algebra of step 3, written only when the reader opens it: 17 formulas, a third of the page's."""
    prose.markdown(
        "The posterior mean is $\\tilde\\mu_t = \\frac{\\sqrt{\\bar\\alpha_{t-1}}\\beta_t}{1-\\bar\\alpha_t}x_0 + "
        "\\frac{\\sqrt{\\alpha_t}(1-\\bar\\alpha_{t-1})}{1-\\bar\\alpha_t}x_t$. Put in $x_0$ as above and use "
        "$\\bar\\alpha_t = \\alpha_t\\bar\\alpha_{t-1}$ and $\\beta_t = 1 - \\alpha_t$: the $x_t$ terms add to "
        "$x_t/\\sqrt{\\alpha_t}$ and the $\\varepsilon$ term is $-\\frac{\\beta_t}{\\sqrt{\\alpha_t}\\sqrt{1-\\bar"
        "\\alpha_t}}\\varepsilon$. So $\\tilde\\mu_t - \\mu_\\theta = \\frac{\\beta_t}{\\sqrt{\\alpha_t}\\sqrt{1-\\bar"
        "\\alpha_t}}(\\varepsilon_\\theta - \\varepsilon)$, and dividing its square by $2\\tilde\\beta_t$ gives "
        "$\\frac{\\beta_t^2}{2\\tilde\\beta_t\\alpha_t(1-\\bar\\alpha_t)} = \\frac{\\beta_t}{2\\alpha_t(1-\\bar"
        "\\alpha_{t-1})}$. With $\\mathrm{SNR}_t = \\bar\\alpha_t/(1-\\bar\\alpha_t)$ the same number is "
        "$\\tfrac12(\\mathrm{SNR}_{t-1}/\\mathrm{SNR}_t - 1)$: for small steps, half the drop in $\\lambda$, so in "
        "continuous time the bound weighs every unit of log-SNR alike (Kingma et al. 2021).\n\n"
        "The decoder term $L_0 = -\\log \\mathcal{N}(x_0; \\mu_\\theta(x_1, 1), \\beta_1 I)$ is, beyond a constant, "
        "$\\|\\varepsilon - \\varepsilon_\\theta\\|^2 / (2\\alpha_1)$ by the same substitution. The tests check "
        "every $w_t$ against the KL of the two Gaussians computed directly."
    )


app_common.lazy_expander("Step 3 in full", "loss_step_3", step_3_in_full)
bound_section()

st.header("2. The same loss from denoising score matching")
prose.markdown(
    "Vincent (2011): regress the score of the noising kernel, $\\mathbb{E}\\|s_\\theta(x_t, t) - \\nabla_{x_t}\\log "
    "q(x_t \\mid x_0)\\|^2$, whose target is $-\\varepsilon/\\sqrt{1-\\bar\\alpha_t}$. With $s_\\theta = "
    "-\\varepsilon_\\theta/\\sqrt{1-\\bar\\alpha_t}$ each term is $\\|\\varepsilon - \\varepsilon_\\theta\\|^2/(1-\\bar"
    "\\alpha_t)$, and Song et al.'s (2021) weight $1-\\bar\\alpha_t$ makes it $L_\\text{simple}$ exactly: the "
    "network that predicts the noise is a score model."
)
st.page_link("app_pages/score_fields.py", label="Score fields: the learned score against the exact one",
             icon=":material/arrow_forward:")

st.header("3. Prediction targets are weightings")
prose.markdown(
    "Make $\\hat x_0$, $\\hat v$ and the score $\\hat s$ from the same $\\hat\\varepsilon$, with $x_t = a\\,x_0 + b\\,"
    "\\varepsilon$ ($a^2 = \\bar\\alpha$, $b^2 = 1 - \\bar\\alpha$). Then $x_0 - \\hat x_0 = -\\tfrac{b}{a}"
    "(\\varepsilon - \\hat\\varepsilon)$, $v - \\hat v = (\\varepsilon - \\hat\\varepsilon)/a$ for $v = a\\,"
    "\\varepsilon - b\\,x_0$ (Salimans and Ho 2022), and the score's error is $-(\\varepsilon - \\hat\\varepsilon)/b$. "
    "So every target's squared error is the $\\varepsilon$ error times a weight that depends on the noise level "
    "alone:"
)
prose.latex(r"\|x_0 - \hat x_0\|^2 = e^{-\lambda}\,\|\varepsilon - \hat\varepsilon\|^2,\quad "
            r"\|v - \hat v\|^2 = (1 + e^{-\lambda})\,\|\varepsilon - \hat\varepsilon\|^2,\quad "
            r"\|\nabla_{x_t}\!\log p - \hat s\|^2 = (1 + e^{\lambda})\,\|\varepsilon - \hat\varepsilon\|^2")
prose.markdown(
    "At each noise level each target's best answer is its own posterior mean, and all of them give the same "
    "$\\hat x_0 = \\mathbb{E}[x_0 \\mid x_t]$; what changes is how much each level counts when one network has to "
    "serve them all. (What changes too is what the network outputs, which "
    "changes what it finds easy: the networks below each predict their own target, as practitioners train them.)"
)
targets_section()

st.header("4. Where training spends it")
prose.markdown(
    "Now train. Pick a target and where training draws its noise levels, then compare what comes out with "
    f"$L_\\text{{simple}}$. Each setting has {len(views.SEEDS)} shipped networks (seeds {views.SEEDS[0]} to "
    f"{views.SEEDS[-1]}, {pretrained.LOSS_STEPS:,} steps each) of the same shape as the project's dino model; a "
    "button trains the chosen one live. The claim to test: spending more of training at "
    "high noise gets the big shapes right, at a cost in detail. Two numbers judge the samples: a **coarse-shape** "
    f"number (a kernel discrepancy that weighs down anything finer than about {SCALE:g}: a low-pass view of the "
    f"density) and a **detail** number (s2d, how close samples sit to the dino's {N_POINTS} points). The error plot "
    "judges the network "
    "itself, level by level, against the exact denoiser of the training data."
)
spend_section()

st.header("5. The schedule is a training distribution")
prose.markdown(
    "With $t$ drawn uniformly, the schedule decides how often training sees each noise level: it is the training "
    "distribution over $\\lambda$. That is how *Spectral bands* and this page tell one story."
)
schedules_section()
st.page_link("app_pages/spectral_bands.py", label="Spectral bands: which frequencies each step decides",
             icon=":material/arrow_forward:")

app_common.glossary()
st.divider()
prose.caption(
    "References. J. Ho, A. Jain, P. Abbeel, Denoising Diffusion Probabilistic Models (2020). P. Vincent, A Connection "
    "Between Score Matching and Denoising Autoencoders (2011). Y. Song et al., Score-Based Generative Modeling "
    "through Stochastic Differential Equations (2021). D. Kingma, T. Salimans, B. Poole, J. Ho, Variational "
    "Diffusion Models (2021). T. Salimans, J. Ho, Progressive Distillation for Fast Sampling of Diffusion Models "
    "(2022). D. Kingma, R. Gao, Understanding Diffusion Objectives as the ELBO with Simple Data Augmentation (2023). "
    "A. Nichol, P. Dhariwal, Improved Denoising Diffusion Probabilistic Models (2021). E. Hoogeboom, J. Heek, "
    "T. Salimans, simple diffusion (2023). P. Esser et al., Scaling Rectified Flow Transformers (2024). A. Gretton "
    "et al., A Kernel Two-Sample Test (2012)."
)
