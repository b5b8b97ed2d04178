"""Spectral bands: noise drowns high frequencies first, so denoising recovers an image coarse to fine.

Each section is a fragment, so moving a control reruns only its own section; the image control and the sections
drawn from it are one fragment around them, so a new image reruns those and not the page's opening.
"""

import numpy as np
import streamlit as st

import app_cache
import app_common
import app_training
from app_cache.figures import memo
from app_cache.spectra import cached as cache
from app_components import prose
from app_components.chart import chart
from diffusion_core import pretrained, schedules
from diffusion_core.denoisers import NetDenoiser
from diffusion_core.topics.spectra import core, figures, views

# the figures a page drew before, from the same inputs, are sent again as built (app_cache.figures)
figures = memo(figures)

UPLOAD = "upload"
SOURCE_LABELS = {**{name: title for name, (title, _) in core.IMAGES.items()}, UPLOAD: "Your own image (upload)"}
ZRANGE = (-2.5, 2.5)  # the images have unit variance: a fixed grey scale keeps them comparable
keep = app_common.keep


def chosen_image() -> tuple[np.ndarray, str]:
    """The image the reader picked (a shipped photograph or a valid upload), prepared, and its title."""
    source = st.pills("Image", list(SOURCE_LABELS), required=True,
                      **keep("spec_source", "camera", arg="default", format_func=SOURCE_LABELS.get)) or "camera"
    # (or: None, see app_state.keep)
    if source == UPLOAD:
        upload = st.file_uploader(f"An image of your own (PNG, JPEG, GIF, BMP, WebP or TIFF; at least "
                                  f"{core.MIN_SIDE} pixels a side, up to 8 MB)", type=None, key="spec_upload",
                                  help="Read in memory only; it is turned grey, cropped to a square and "
                                       f"resized to {core.SIZE} pixels.")
        if upload is not None:
            try:
                return cache.uploaded_photo(upload.getvalue()), "your image"
            except Exception as err:  # noqa: BLE001 - any failure on a reader's file is one sentence
                app_common.refuse(err, "The cameraman is shown instead.", lead="That file cannot be used: ",
                                  icon=":material/image_not_supported:")
        else:
            st.info("Choose a file to see its spectrum; until then, the cameraman.", icon=":material/upload:")
        return cache.photo("camera"), SOURCE_LABELS["camera"]
    return cache.photo(source), SOURCE_LABELS[source]


# ---------------------------------------------------------------- 1 and 2: spectra and the rising tide

def picture(img: np.ndarray, caption: str) -> None:
    """A grey image as an image (a PNG, two screen pixels a pixel), on the page's fixed grey scale."""
    st.image(figures.grey_png(img, zrange=ZRANGE, scale=2), caption=caption, output_format="PNG")


@st.fragment
def tide_section(img: np.ndarray, title: str):
    c_sched, c_t = st.columns([1, 2])
    schedule_name = c_sched.selectbox("Noise schedule", schedules.NAMES,
                                      **keep("spec_schedule", "cosine", index_in=schedules.NAMES,
                                             format_func=schedules.LABELS.get))
    frac = c_t.slider("How far into the forward process, t / T", 0.0, 1.0, step=0.01, **keep("spec_frac", 0.3))
    T = schedules.SHIPPED_T[schedule_name]
    t = max(1, round(frac * T))
    spec = cache.spectrum(img)
    view = cache.tide(img, schedule_name, t - 1)
    ab = view["alpha_bar"]
    left, mid, right = st.columns([1, 1, 1.6], gap="medium")
    with left:
        picture(img, f"{title[:1].upper() + title[1:]}, x₀")
    with mid:
        picture(view["x_t"], f"x_t at t = {t} of {T}")
    with right:
        f = spec["freqs"]
        chart(st, figures.spectra_plot(
            {"signal in x_t, ᾱ·P(f)": (f, ab * spec["power"]),
             f"power-law fit: slope {spec['slope']:.2f}": (f, ab * spec["fit"])},
            flat={f"noise in x_t, 1 − ᾱ = {1 - ab:.3g}": 1 - ab}, marker=view["crossing"],
            title="Signal and noise, band by band"), theme=None, key="spec_spectra")
    tide_numbers(spec, view)
    schedules_block(spec, t / T)
    wiener_block(view, f, t)


def tide_numbers(spec: dict, view: dict) -> None:
    m1, m2, m3 = st.columns(3)
    m1.metric("Fitted slope", f"{spec['slope']:.2f}", help="Of log power against log frequency, from 2 cycles per "
              "image to 0.25 cycles per pixel. Natural images: about −2.")
    m2.metric("Signal kept ᾱ_t", f"{view['alpha_bar']:.3f}")
    cross = view["crossing"]
    shown = ("above Nyquist: every band still above the noise" if cross > 0.5 else
             "below the coarsest band: all noise" if cross < 1 / core.SIZE else f"{cross:.3g} (a wavelength of "
             f"{1 / cross:.0f} pixels)")
    m3.metric("SNR = 1 at frequency", f"{cross:.3g}" if 1 / core.SIZE <= cross <= 0.5 else "off the axis", help=shown)
    note = st.container()  # there for every image: the charts after it keep their places
    if spec["slope"] > -0.1:
        note.info(f"This image's spectrum does not fall with frequency (fitted slope {spec['slope']:.2f}): its fine "
                  "bands are not the weak ones, so noise does not drown them first, and the frontier below does not "
                  "move from fine to coarse. Photographs of things have slopes near −2.", icon=":material/info:")


def schedules_block(spec: dict, marker: float) -> None:
    """Every schedule at once: where this image's signal meets the noise, and the steps per octave."""
    prose.markdown(
        "**Below: every schedule at once.** Left, the frequency at which this image's signal meets the noise (the "
        "**frontier**), against $t/T$. It falls as $t$ grows, so the finest bands go under first. Right, how many "
        "of each schedule's $T$ steps have the frontier inside each **octave** (a band from one frequency to "
        "twice it). Those are the steps that decide that band."
    )
    bands = cache.schedule_bands(spec["amplitude"], spec["slope"])
    b1, b2 = st.columns(2, gap="large")
    with b1:
        chart(st, figures.crossing_curves({schedules.LABELS[n]: (b["t_frac"], b["crossing"])
                                                 for n, b in bands.items()},
                                                marker=marker, frange=(1 / core.SIZE, 0.5),
                                                title="Where the signal meets the noise"),
                        theme=None, key="spec_crossing")
    with b2:
        chart(st, figures.octave_bars({schedules.LABELS[n]: b["octaves"] for n, b in bands.items()},
                                            core.OCTAVES, title="Steps spent deciding each octave"),
                        theme=None, key="spec_octaves")
    lin, cos = bands["linear"], bands["cosine"]
    what = st.container()  # there for every image: the charts after it keep their places
    if spec["slope"] < -0.1:
        lead = cache.schedule_lead()
        behind = lead["behind"]
        trails = (f"every step except the last {len(behind)} (t = {behind[0]} to {behind[-1]}, where both keep "
                  f"less than {lead['behind_max']:.0e} of it)") if behind else "every step"
        prose.markdown(
            "**What the schedules do with this image.**\n"
            f"- *Broad shapes.* The two coarsest octaves get {lin['coarse']} of the linear schedule's steps and "
            f"{cos['coarse']} of the cosine schedule's.\n"
            f"- *Steps that decide nothing.* Every band is under the noise for {lin['drowned']} linear steps and "
            f"{cos['drowned']} cosine steps.\n"
            f"- *Signal kept.* The cosine schedule keeps more signal than the linear one at {trails}. So at the "
            "same t its frontier sits at a finer frequency.\n"
            f"- *Gentle.* Its last step still keeps {lead['gentle_end']:.0%} of the signal, so it never drowns the "
            "coarse bands at all.\n\n"
            "Which split is best depends on the data's spectrum and size. That is why schedules are tuned per "
            "resolution (Hoogeboom et al. 2023).\n\n"
            "*These counts are also where training goes.* Training draws $t$ uniformly, so a schedule that spends "
            "more steps on a band also spends more training there: the linear schedule gives the two coarsest "
            f"octaves {lin['coarse']} of every {lin['T']:,} draws and the cosine schedule {cos['coarse']}. The cosine "
            "schedule (Nichol and Dhariwal 2021) moves training *away* from the noisiest levels, where the linear "
            "one spends more of its steps. *Where the loss comes from* draws both as densities over log-SNR, and "
            "measures on the dino what moving training toward high or low noise does.",
            where=what)
    prose.caption("Steps whose frontier lies outside the image's range (finer than 2 pixels, or coarser than the "
                  f"whole image) are not counted: of their T steps, the octaves get {lin['counted']:,} (linear), "
                  f"{cos['counted']:,} (cosine) and {bands['gentle']['counted']:,} (gentle).")


def wiener_block(view: dict, freqs: np.ndarray, t: int) -> None:
    st.subheader("Denoising is low-pass filtering")
    prose.markdown(
        "If the data were Gaussian with this power spectrum, the best estimate of $x_0$ from $x_t$ would be "
        "linear, and it would treat each frequency on its own: keep the share of each band that is signal "
        "(Wiener 1949),"
    )
    prose.latex(r"\hat x_0(f) = \frac{\sqrt{\bar\alpha_t}\,P(f)}{\bar\alpha_t P(f) + 1 - \bar\alpha_t}\; x_t(f)")
    prose.markdown(
        "**What to look for.** The filter keeps the bands below the crossing frequency, where x_t is mostly "
        "signal (the plot: the share of each band that is signal, which is the gain times $\\sqrt{\\bar\\alpha_t}$), "
        "and removes the bands above it: the estimate is a blurred copy of the image, and the blur shrinks as "
        "$t$ falls. This is what the "
        "diffusion network's $\\hat x_0$ looks like early in sampling."
    )
    w1, w2 = st.columns([1, 1.6], gap="large")
    with w1:
        picture(view["x0_hat"], "Wiener estimate x̂₀ from x_t")
    with w2:
        chart(st, figures.response_curve(freqs, view["share"], title=f"Share of x_t that is signal, per band, "
                                               f"at t = {t}"), theme=None, key="spec_wiener_gain")
        prose.caption(f"Mean squared error of x̂₀ against x₀: {view['mse']:.3f}; of the unfiltered x_t / √ᾱ_t: "
                      f"{view['mse_scaled']:.3g}.")


# ---------------------------------------------------------------- 2: reverse runs, exact and learned

def strip(run: dict) -> None:
    """The guesses x0_hat along a run, side by side: images, not charts (one element, drawn at once)."""
    st.image([figures.grey_png(img, zrange=ZRANGE, scale=2) for img in run["images"]],
             caption=[f"x̂₀ at t = {step}" for step in run["steps"]], output_format="PNG")
    prose.caption(f"Grey scale from {ZRANGE[0]:g} (black) to {ZRANGE[1]:g} (white), as in every image on this page; "
                  f"each is {core.RUN_SIZE} x {core.RUN_SIZE} pixels, drawn at twice that size.")


def _train_conv() -> None:
    """Train the image denoiser from scratch for CONV_SECONDS (after waiting for the CPU); keep its run."""
    record, state = app_training.run(pretrained.conv_job, seconds=app_cache.CONV_SECONDS)
    if record is None:
        raise RuntimeError("the training made no step")
    den = NetDenoiser(pretrained.conv_from_job(state))
    st.session_state["spec_conv_live"] = {**views.run_summary(core.learned_run(den, 0)),
                                          "steps_trained": record.step, "seconds": record.elapsed}


def run_photo() -> str:
    """The shipped photograph whose model section 2 samples: the reader's choice, or the cameraman for an upload."""
    source = st.session_state.get("spec_source", "camera")
    return source if source in core.IMAGES else "camera"


def exact_for_reader() -> dict:
    """The exact run the reader sees in section 2 (its photograph and seed): a cache hit."""
    return cache.exact_run(run_photo(), st.session_state.get("spec_seed", 0))


def learned_section():
    """Section 3, drawn inside run_section's fragment so that its exact curve follows the seed slider."""
    exact = exact_for_reader()
    live = app_training.live_or_shipped(
        "spec_conv_live", _train_conv, label="Train live", button_key="spec_conv_train", reset_key="spec_conv_reset",
        help=f"Train the convolutional denoiser from scratch for {app_cache.CONV_SECONDS:.0f} s on this server.")
    if live is None:
        run = app_common.shipped(pretrained.CONV, cache.learned_run, 0)
        if run is None:
            return
        who = f"shipped, {cache.conv_info()['steps']:,} steps"
    else:
        run, who = live, f"live, {live['steps_trained']:,} steps in {live['seconds']:.0f} s"
    strip(run)
    r1, r2 = st.columns(2, gap="large")
    with r1:
        chart(st, figures.rapsd_over_steps(run["freqs"], run["powers"], run["steps"],
                                                 title=f"The network's x̂₀ spectra ({who})"),
                        theme=None, key="spec_learned_psd")
    with r2:
        chart(st, figures.settling_plot(exact["freqs"], {"exact Gaussian model": exact["settled"],
                                                               f"convolutional network ({who.split(',')[0]})":
                                                               run["settled"]}, T=1000,
                                              title="When each band settles, exact and learned"),
                        theme=None, key="spec_learned_settling")
    net, ref = views.settling_story(run["settled"]), views.settling_story(exact["settled"])
    prose.markdown(
        f"**Measured.** The network's coarsest band settles at t = {net['coarsest']} and its finest at "
        f"t = {net['finest']}; the exact model's at t = {ref['coarsest']} and t = {ref['finest']}. "
        + ("So the network, too, decides the coarse bands before the fine ones"
           if net["coarse_first"] else "So this network does not decide its coarse bands first")
        + ("." if net["monotone"] else ", though not band by band in order: its curve is not monotone in between."))
    prose.caption(f"{core.LEARNED_COUNT} images of {core.RUN_SIZE} pixels, DDIM in {core.LEARNED_STEPS} steps "
                  "of the cosine schedule, guesses clipped to ±4; the network (two scales of 3 x 3 convolutions, "
                  "40,000 weights) saw only 16 x 16 patches of the six photographs. Its first guess, at t = T, is "
                  "noise at the clip: there x̂₀ = (x_t − √(1 − ᾱ) ε̂) / √ᾱ divides the network's small error in ε̂ by "
                  "a tiny √ᾱ, as in Means and modes.")


@st.fragment
def run_section():
    name = run_photo()
    st.slider("Noise seed", 0, views.SEEDS - 1, **keep("spec_seed", 0))
    run = exact_for_reader()
    strip(run)
    r1, r2 = st.columns(2, gap="large")
    with r1:
        chart(st, figures.rapsd_over_steps(run["freqs"], run["powers"], run["steps"],
                                                 title="Spectrum of x̂₀ along the run"), theme=None, key="spec_run_psd")
    with r2:
        chart(st, figures.settling_plot(run["freqs"], {"exact Gaussian model (DDIM)": run["settled"]}, T=1000,
                                              title=f"When each band settles (to {core.SETTLE_TOLERANCE:.0%})"),
                        theme=None, key="spec_settling")
    prose.caption(f"The Gaussian model of the spectrum of {SOURCE_LABELS[name]} at {core.RUN_SIZE} pixels (slope "
                  f"{run['slope']:.2f}), "
                  f"{core.RUN_COUNT} images of {core.RUN_SIZE} pixels, DDIM in {core.RUN_STEPS} steps of the "
                  "cosine schedule; the exact denoiser is the Wiener filter above, so no network is involved. Band "
                  "powers are averaged over the images. A band settles at the step from which its power stays within "
                  f"{core.SETTLE_TOLERANCE:.0%} of its final power.")

    st.header("3. The same with a trained network")
    prose.markdown(
        "A small convolutional denoiser, trained on 16 x 16 patches of the six photographs (no closed form now), "
        "samples 64 x 64 images. **What to look for.** Its samples look like texture: 16-pixel patches of "
        "anything do, so it learned fine structure, not objects. Its settling curve (right) "
        "is measured the same way as the exact one and drawn beside it; read off where each starts and how "
        "steeply it falls. Train it live for a minute and compare."
    )
    learned_section()


@st.fragment
def image_sections() -> None:
    """The image control and every section drawn from it (the rest of 1, then 2 and 3, each with its own fragments
    inside): a new image reruns them, not the page's opening text, its slope chart or its glossary."""
    with st.container():  # the uploader comes and goes inside it: the charts below keep their places
        image, image_title = chosen_image()
    tide_section(image, image_title)

    st.header("2. A reverse run, coarse to fine")
    prose.markdown(
        "Sampling from the Gaussian model of the chosen photograph's spectrum, with the exact denoiser: the "
        "guesses $\\hat x_0$ start as smooth blobs and gain detail step by step. **What to look for.** On the "
        "spectra, the low-frequency end reaches its final level first; the settling curve falls from left to "
        "right: coarse bands are decided at high noise (large $t$), fine ones at the very end. (For an upload, "
        "this section uses the cameraman.)"
    )
    run_section()


st.title("Spectral bands")
prose.markdown(
    "Photographs are not white noise. Most of their power sits at low spatial frequencies, the broad "
    "shapes, and it falls off roughly as $1/f^2$ towards the fine detail. Gaussian noise has the same "
    "power at every frequency. Add noise, and the fine bands, which had little power to begin with, drown "
    "first; the coarse ones last. Run that backwards and an image comes out coarse to fine (Dieleman 2024; "
    "Rissanen et al. 2023)."
)
st.header("1. Spectra and the rising tide")
prose.markdown(
    "Frequencies are in cycles per pixel: from 1/128, one cycle across the image, to 1/2, the **Nyquist** "
    "frequency, the finest pattern a grid of pixels can hold (one pixel dark, the next light). The power spectrum "
    "averaged over rings of equal frequency (the **RAPSD**, radially averaged power spectral density) is close to "
    "a straight line on log-log axes, a power law $P(f) \\propto f^{\\,s}$. Noising multiplies the signal's power by "
    "$\\bar\\alpha_t$ and adds $1-\\bar\\alpha_t$ at every frequency (the images are scaled to variance 1), "
    "so the signal-to-noise ratio of a band is"
)
prose.latex(r"\mathrm{SNR}(f, t) = \frac{\bar\alpha_t\,P(f)}{1-\bar\alpha_t}")
prose.markdown(
    "**What to look for.** Slide $t$ up: the flat noise line rises and the point where it meets the signal "
    "(dotted) moves to lower frequencies: the detail is gone long before the shapes are. The textures "
    "(grass, gravel) have flatter spectra than the photographs of objects, so their bands drown closer "
    "together."
)
chart(st, figures.slope_bars(cache.photo_slopes(), title="Fitted slope of every shipped photograph"),
                theme=None, key="spec_slopes")
image_sections()
app_cache.training_worker()  # start the training process while the reader reads (section 3 trains)


app_common.glossary()
st.divider()
prose.caption(
    "Photographs, as shipped with scikit-image, centre-cropped to 256 x 256: Cameraman (CC0, Lav Varshney), "
    "Astronaut (NASA, public domain), Chelsea the cat (CC0, Stefan van der Walt), Coffee (CC0, Rachel "
    "Michetti), Grass and Gravel (CC0). References. S. Dieleman, Diffusion is spectral autoregression (blog, "
    "2024). S. Rissanen, M. Heinonen, A. Solin, Generative Modelling with Inverse Heat Dissipation (2023). "
    "D. Field, Relations between the statistics of natural images and the response properties of cortical "
    "cells (1987). N. Wiener, Extrapolation, Interpolation, and Smoothing of Stationary Time Series (1949). "
    "A. Nichol, P. Dhariwal, Improved Denoising Diffusion Probabilistic Models (2021). E. Hoogeboom, J. Heek, "
    "T. Salimans, simple diffusion (2023). J. Song, C. Meng, "
    "S. Ermon, Denoising Diffusion Implicit Models (2021)."
)
