"""Playground: the reader's own points, a diffusion model trained on them live, and its samples.

Every setting is bound to the URL (bind="query-params"), so a configuration is shared as a link.
The training runs in the background (diffusion_core.background): the model and its progress live in
the session, a fragment polls them, and moving any control while it trains loses nothing.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import uuid

import streamlit as st

import app_cache
import app_common
import app_training
from app_cache.playground import cached as cache
from app_components import drawing, prose
from app_components.chart import chart
from diffusion_core import background, datasets, inputs, metrics, samplers, schedules, shipped, training
from diffusion_core.figures import loss_curve
from diffusion_core.topics.guidance.core import COVER_RADIUS as GUIDE_RADIUS
from diffusion_core.topics.playground import core as playground
from diffusion_core.topics.playground import figures

SOURCES = {"builtin": "A built-in set", "csv": "Upload a CSV", "word": "Type a word", "draw": "Draw"}
# option labels are what the address holds (bind="query-params" writes the shown label), so they stay short
SET_LABELS, SAMPLER_LABELS = datasets.LABELS, samplers.LABELS
DEFAULTS = playground.Settings()
URL = {"bind": "query-params"}


def label_of(name: str, source: str | None) -> str:
    """How a data label reads on the page, as plain text: a built-in set by its title, anything else (a file
    name, a word, a loaded checkpoint's record) as the reader gave it, without control characters. It goes
    into markdown through app_common.md and into plot titles through app_common.for_plot."""
    return SET_LABELS.get(name, name) if source == "builtin" else app_common.plain(name, 60)


def shipped_model() -> dict:
    """The project's shipped dino model, trained with this page's default settings: the model a visit starts with."""
    net = shipped.denoiser("dino").net
    data = cache.built_in("dino")
    return {"id": "shipped-dino", "net": net, "frame": data.frame, "points": data.points, "label": "dino",
            "source": "builtin", "settings": playground.settings_of(net.config), "timed": False, "records": [],
            "steps": app_cache.info("dino").get("steps", 0), "shipped": True}


def settings_panel() -> playground.Settings:
    """The model and training settings, every one in the URL."""
    c1, c2, c3, c4 = st.columns(4)
    hidden = c1.select_slider("Width (units per layer)", playground.WIDTHS, value=DEFAULTS.hidden, key="width", **URL)
    depth = c2.select_slider("Depth (layers)", playground.DEPTHS, value=DEFAULTS.depth, key="depth", **URL)
    schedule = c3.selectbox("Noise schedule", schedules.NAMES, index=schedules.NAMES.index(DEFAULTS.schedule),
                            key="schedule", **URL,
                            help="linear: Ho et al. 2020; cosine: Nichol and Dhariwal 2021; gentle: stops at "
                                 f"ᾱ_T = {schedules.GENTLE_ALPHA_BAR_T:g}, so the data is never fully drowned "
                                 "(see The diffusion process).")
    T = c4.select_slider("Diffusion steps T", playground.T_CHOICES, value=DEFAULTS.T, key="T", **URL)
    c1, c2, c3, c4 = st.columns(4)
    fourier = c1.toggle("Fourier features", value=DEFAULTS.fourier, key="fourier", **URL,
                        help="Random sinusoids of the coordinates fed to the network next to the coordinates "
                             "themselves (Tancik et al. 2020): they let a small MLP draw sharp detail.")
    scale = c2.select_slider("Fourier scale (cycles per unit)", playground.FOURIER_SCALES, value=DEFAULTS.fourier_scale,
                             key="scale", disabled=not fourier, **URL,
                             help="Standard deviation of the random frequencies, in the standardised frame of the "
                                  "data (unit spread). Too low blurs, too high gives noise-like detail.")
    seconds = c3.select_slider("Training time (s)", playground.SECONDS, value=DEFAULTS.seconds, key="budget", **URL)
    seed = c4.number_input("Seed", 0, playground.MAX_SEED, value=DEFAULTS.seed, step=1, key="seed", **URL,
                           help="Seeds the initial weights, the Fourier frequencies and the training batches.")
    return playground.Settings(hidden=hidden, depth=depth, fourier=fourier, fourier_scale=scale, schedule=schedule,
                               T=T, seconds=seconds, seed=int(seed))


def chosen_data() -> None:
    """Read the data controls; a valid choice becomes the data in use, a bad one leaves it as it was."""
    source = st.radio("Data", tuple(SOURCES), format_func=SOURCES.get, horizontal=True, key="data", **URL)
    try:
        if source == "builtin":
            name = st.selectbox("Built-in set", datasets.NAMES, format_func=SET_LABELS.get, key="set", **URL)
            st.session_state.pg_data = cache.built_in(name)
        elif source == "csv":
            upload = st.file_uploader("A CSV file of points: two numeric columns (x and y), an optional header row, "
                                      f"up to {inputs.MAX_CSV_ROWS:,} rows", type=None,
                                      key="pg_csv", help="Read in memory only. Commas, semicolons, tabs or spaces "
                                                         "separate the columns.")
            if upload is None:
                st.info("Choose a file; until then the data below stays as it was.", icon=":material/upload:")
            else:
                st.session_state.pg_data = cache.from_csv(upload.getvalue(), upload.name)
        elif source == "draw":
            draw_section()
        else:
            word = st.text_input("A short word", value="hello", max_chars=inputs.MAX_TEXT_CHARS, key="word", **URL,
                                 help=f"Drawn in a built-in font; {playground.TEXT_POINTS:,} points are sampled "
                                      "from its dark pixels.")
            st.session_state.pg_data = cache.from_word(word)
    except Exception as err:  # noqa: BLE001 - any failure on a reader's input is one sentence; the data stays
        app_common.refuse(err, "The data below has not changed.")


def draw_section() -> None:
    """The canvas; a drawing that passes the checks becomes the data in use (a refused one leaves it as it was)."""
    prose.caption("Drag to paint points; pick a colour per class, the brush size, undo a stroke or clear. Each stroke "
                  f"reaches the page when you let go (at most {inputs.MAX_DRAWN_POINTS:,} points).")
    kept = st.session_state.get("pg_drawing")
    drawn = drawing.canvas("pg_canvas", kept["strokes"] if kept else None)
    if drawn is None:  # nothing sent since the canvas was mounted: the drawing kept from before, if any
        drawn = kept
    if drawn is None or drawn == {"strokes": []}:  # nothing drawn yet, or cleared
        st.session_state.pop("pg_drawing", None)
        st.info("Draw on the canvas; until then the data below stays as it was.", icon=":material/draw:")
        return
    data, checked = playground.from_drawing(drawn)  # raises InputError on anything that is not a drawing
    st.session_state.pg_drawing, st.session_state.pg_data = checked, data
    classes = len(set(data.labels.tolist()))
    st.download_button("Download the drawing (CSV)", functools.partial(playground.samples_csv, data.in_data_units()),
                       file_name="drawing.csv", mime="text/csv", key="pg_drawing_csv", icon=":material/download:",
                       on_click="ignore",
                       help="Two columns, x and y in the canvas's units (0 to 1), as the CSV upload reads them; "
                            "the colours are not in it.")
    if classes > 1:
        prose.caption(f"{classes} colours, so {classes} classes: training makes the network class-conditional (a "
                      f"label per colour, dropped for {training.LABEL_DROP:.0%} of examples so that it learns the whole "
                      "drawing too), and the sampling section offers a class and the guidance scale, as on the "
                      "Guidance page.")


def class_record(net, data: playground.TrainingData) -> dict:
    """What a class-conditional model keeps of its drawing: each training point's class, and each class's colour."""
    if not net.config.classes or data.labels is None:
        return {}
    ids, colours = playground.class_ids(data.labels)
    return {"class_ids": ids, "colours": colours}


def adopt_finished() -> None:
    """Move a finished background training into the session's model, or say why it did not finish."""
    bg: background.Background | None = st.session_state.get("pg_training")
    if bg is None or bg.active:
        return
    spec = st.session_state.pop("pg_training_spec")
    del st.session_state["pg_training"]
    if bg.status == background.DONE:
        settings, data = spec
        net = playground.build(settings, bg.result)
        records = [(r.step, r.loss) for r in bg.records]
        replaced = st.session_state.get("pg_model", {}).get("loaded")
        st.session_state.pg_model = {"id": uuid.uuid4().hex, "net": net, "frame": data.frame, "points": data.points,
                                     "label": data.label, "source": data.source, "settings": settings, "timed": True,
                                     "records": records, "steps": bg.last.step if bg.last else 0,
                                     **class_record(net, data)}
        st.session_state.pg_notice = ("success", f"Trained for {settings.seconds} s: "
                                                 f"{records[-1][0] if records else 0:,} steps on "
                                                 f"{app_common.md(label_of(data.label, data.source))}."
                                      + (f" It replaces the weights loaded from {app_common.md(replaced)}." if replaced
                                         else ""))
    elif bg.status == background.FAILED:
        st.session_state.pg_notice = ("warning", f"The training failed ({bg.error}); the previous model is kept.")
    elif bg.status == background.ABANDONED:
        st.session_state.pg_notice = ("info", ("The training was given up: this page was closed (or, while it "
                                               "waited for the CPU, left unseen for 10 minutes). Press Train "
                                               "again; the previous model is kept."))
    else:
        st.session_state.pg_notice = ("info", "The training was stopped; the previous model is kept.")


def training_progress() -> None:
    """Progress of the session's training; polled while it runs (see the fragment below)."""
    bg: background.Background | None = st.session_state.get("pg_training")
    if bg is None:
        return
    bg.seen()
    if not bg.active:
        st.rerun()  # the whole page: the new model's section appears
    if bg.status == background.WAITING:
        st.info(f"Waiting for the CPU: {bg.ahead} job{'s' * (bg.ahead != 1)} ahead of your training (about "
                f"{bg.seconds_ahead:.0f} s at most). Trainings and large samplings run one at a time so each gets a "
                "full core.",
                icon=":material/hourglass_top:")
        return
    last = bg.last
    if last is None:
        st.progress(0.0, text="starting...")
        return
    st.progress(min(last.fraction, 1.0), text=f"step {last.step:,}, {last.elapsed:.1f} of {bg.seconds:.0f} s, "
                                              f"loss {last.loss:.3f}")
    steps, losses = zip(*((r.step, r.loss) for r in bg.records))
    look = next((r for r in reversed(bg.records) if getattr(r, "preview", None) is not None), None)
    c_loss, c_look = st.columns(2, gap="large")
    chart(c_loss, loss_curve(steps, losses, title="Training loss, live"), theme=None, key="pg_live_loss")
    if look is not None:
        frame = st.session_state.pg_training_spec[1].frame
        chart(c_look, figures.points_preview(frame.to_data(look.preview), name="samples now",
                                                   title=f"The model's samples at step {look.step:,}", height=300,
                                                   raster_min=float("inf")),  # markers: no drawing beside the training
                            theme=None, key="pg_live_samples")
        prose.caption(f"{playground.PREVIEW_N} samples, {playground.PREVIEW_STEPS} DDIM steps from the same noise, "
                      f"about every {playground.PREVIEW_EVERY:g} s of training, from the weights as they are "
                      "(the finished model keeps their running "
                      "average): watch the cloud change as the model learns.", where=c_look)


def start_training(settings: playground.Settings, data: playground.TrainingData) -> None:
    """The Train button's callback: it runs before the page, so the page draws the button disabled at once."""
    if st.session_state.get("pg_training") is not None:
        return
    try:
        st.session_state.pg_training = app_training.start_background(
            playground.train_job, data.points, dataclasses.asdict(settings), data.jitter, seconds=settings.seconds,
            labels=data.labels)
    except app_training.Busy as busy:
        st.session_state.pg_notice = ("warning", f"{busy} The previous model is kept.")
        return
    st.session_state.pg_training_spec = (settings, data)
    st.session_state.pop("pg_notice", None)


def training_section(settings: playground.Settings) -> None:
    adopt_finished()
    data: playground.TrainingData = st.session_state.pg_data
    bg: background.Background | None = st.session_state.get("pg_training")
    c_train, c_stop, c_note = st.columns([1, 1, 4], vertical_alignment="center")
    c_train.button("Train", type="primary", icon=":material/model_training:", disabled=bg is not None, key="pg_train",
                   help=f"Train a new model on the data above for {settings.seconds} s.", on_click=start_training,
                   args=(settings, data))
    if bg is not None:
        if c_stop.button("Stop", icon=":material/stop:", key="pg_stop",
                         help="Stop this training; the previous model stays."):
            bg.stop()
        spec_settings, spec_data = st.session_state.pg_training_spec
        changed = spec_settings != settings or (spec_data.label, len(spec_data.points)) != (data.label, len(data.points))
        prose.caption(f"Training on {app_common.md(label_of(spec_data.label, spec_data.source))} with "
                      f"{playground.describe(spec_settings)}."
                      + (" Your changes since apply to the next training." if changed else ""), where=c_note)
    notice, note = st.session_state.get("pg_notice"), st.container()  # the charts below keep their places
    if notice is not None:
        getattr(note, notice[0])(notice[1])
    st.fragment(training_progress, run_every=0.5 if bg is not None else None)()


def sample_within_budget(model: dict, yardstick: str, sampler: str, steps: int, n: int, seed: int,
                         label: int | None = None, w: float = 1.0):
    """(run, quality, noise band) of the sampling the controls ask for, within the server's budget: at once
    (cached) when it is light; when it is large, through the CPU line into the training process, under a progress
    bar, stopping if the reader leaves or moves a control (the session keeps the last two); None, with a
    sentence, when it is refused or fails."""
    guided = label is not None and w not in (0.0, 1.0)
    seconds = playground.sampling_seconds(model["net"].config, n, sampler, steps, guided)
    if seconds > playground.MAX_SAMPLING_SECONDS:
        st.warning(f"{SAMPLER_LABELS[sampler]} with {steps:,} steps and {n:,} samples of this network would take "
                   f"about {seconds:.0f} s of the server's CPU; the limit is {playground.MAX_SAMPLING_SECONDS:.0f} s. "
                   "Choose fewer samples or steps" + (" (guided sampling asks the network twice a step; w = 0 or 1 "
                                                      "asks once)." if guided else "."), icon=":material/block:")
        return None
    if seconds <= playground.LIGHT_SECONDS:
        with st.spinner("Sampling..."):  # (the unconditional call as the warm-up makes it: the same cache entry)
            return cache.run_view(model["id"], model["net"], model["points"], yardstick, sampler, steps, n, seed,
                                  *(() if label is None else (label, w)))
    net = model["net"]
    run = app_training.kept_job(
        "pg_large_runs", (model["id"], sampler, steps, n, seed, label, w), playground.sample_job,
        dataclasses.asdict(net.config), {k: v.detach().numpy() for k, v in net.state_dict().items()}, n, sampler, steps,
        seed, seconds=seconds, label=label, w=w,
        what="sampling", progress_text=lambda r, s: f"sampling: {r.fraction:.0%} of the steps, {r.elapsed:.1f} s of "
                                                    f"about {s:.0f} s")
    if run is None:
        return None
    with st.spinner("Measuring the samples..."):
        return (run, *cache.judge(model["id"], run.samples, model["points"], yardstick))


def class_controls(model: dict) -> tuple[int | None, float]:
    """A class-conditional model's class (None: all of them, the unconditional model) and guidance scale."""
    classes = model["net"].config.classes
    if not classes:
        return None, 1.0
    colours = model.get("colours")  # a drawing's: each class's colour; a loaded model's classes have no names

    def name(option: str) -> str:
        if option == "all":
            return "all"
        k = int(option)
        return f"class {k + 1}" + (f" ({playground.DRAW_COLOURS[colours[k]]['name']})" if colours else "")

    options = ["all"] + [str(k) for k in range(classes)]
    c_class, c_w = st.columns(2)
    chosen = c_class.selectbox("Class", options, key="pg_class", **URL, format_func=name,
                               help="One class of the class-conditional model, or all of them (its unconditional "
                                    "model, the null label).")
    w = c_w.select_slider("Guidance scale w", playground.GUIDE_SCALES, value=1.0, key="pg_w", **URL,
                          disabled=chosen == "all", format_func=lambda v: f"{v:g}",
                          help="D_u + w (D_c − D_u): 0 is the unconditional model, 1 the conditional one, more "
                               "pushes past it (see the Guidance page).")
    return (None, 1.0) if chosen == "all" else (int(chosen), float(w))


def sampling_section(model: dict) -> None:
    net, frame = model["net"], model["frame"]
    T = net.config.T
    choices = playground.step_choices(T)
    c1, c2, c3, c4 = st.columns([2, 2, 1, 1])
    sampler = c1.radio("Sampler", samplers.NAMES, format_func=SAMPLER_LABELS.get, horizontal=True,
                       index=samplers.NAMES.index("ddim"), key="sampler", **URL,
                       help="DDPM adds fresh noise at every step; DDIM, Euler and Heun follow the probability-flow "
                            "ODE (Heun spends two network evaluations per step). See Sampling as optimization.")
    steps = c2.select_slider("Sampling steps", choices, value=50 if 50 in choices else T, key="steps", **URL)
    n = c3.selectbox("Samples", playground.SAMPLE_COUNTS, index=playground.SAMPLE_COUNTS.index(1000), key="n", **URL)
    seed = c4.number_input("Sampling seed", 0, playground.MAX_SEED, value=0, step=1, key="sample_seed", **URL)
    yardstick = "dino" if (model.get("source"), model["label"]) == ("builtin", "dino") else "points"
    label, w = class_controls(model)
    with st.container():  # its spinner, progress or refusal in one place: the chart below keeps its own
        sampled = sample_within_budget(model, yardstick, sampler, steps, n, int(seed), label, w)
    if sampled is None:
        return
    run, quality, band = sampled
    data = None if model["points"] is None else frame.to_data(model["points"][:5000])
    left, right = st.columns([3, 1], gap="medium")
    states = frame.to_data(run.states)
    with app_common.in_column([3, 1], 0, "medium"):
        chart(left, figures.animated_run(states, run.labels, data,
                                             title=f"{SAMPLER_LABELS[sampler]}, {steps} steps, from noise to samples"
                                                   + ("" if label is None else f" of class {label + 1} at w = {w:g}"),
                                             current=f"steps taken (of {steps}; 0 is pure noise): "),
                          theme=None, key="pg_animation")
    with right:
        t = None
        if label is not None and model.get("class_ids") is not None:
            t = cache.class_trade(model["id"], run.samples, model["points"], model["class_ids"], label)
        if t is not None:
            st.metric("Distance to the class", f"{t.fidelity:.3f}",
                      help="Fidelity: the mean distance from a sample to its nearest point of the chosen class, "
                           "standardised frame (as on the Guidance page).")
            st.metric("Class covered", f"{t.coverage:.0%}",
                      help=f"Coverage: the share of the class's points with a sample within {GUIDE_RADIUS:g}.")
            prose.caption(f"Off the class (farther than {GUIDE_RADIUS:g} from all its points): {t.off:.0%} of the "
                          f"samples. Energy distance to the class: {t.energy:.4f} (at most "
                          f"{playground.CLASS_REFERENCE:,} samples and points of the class).")
        elif quality is not None:
            against = (f"{metrics.DINO_REFERENCE_N:,} fresh jittered dino points (the project's yardstick)"
                       if yardstick == "dino" else
                       f"the first {min(len(model['points']), playground.QUALITY_REFERENCE):,} training points, in "
                       "their standardised frame (the noise is measured with resampled training points)")
            app_common.ed_metric("Energy distance", quality.energy_distance, band, n)
            prose.caption(f"Energy distance against {against}.")
            st.metric("Distance to nearest point", f"{quality.sample_to_data:.3f}",
                      help="Mean distance from a sample to its nearest training point, standardised frame. Small "
                           "means on the data; near 0 with a small training set can mean copying (see "
                           "Regurgitation).")
        samples = frame.to_data(run.samples)
        # the files are made on the click (a callable), not on every run of the page
        st.download_button("Download samples (CSV)", functools.partial(playground.samples_csv, samples),
                           file_name="samples.csv",
                           mime="text/csv", icon=":material/download:", on_click="ignore")
        meta = {"data": model["label"], "training_steps": model.get("steps", 0)}
        if model.get("timed") and model["settings"] is not None:
            meta["seconds"] = model["settings"].seconds
        st.download_button("Download weights (.pt)", functools.partial(playground.checkpoint_bytes, net, frame, meta),
                           file_name="playground_model.pt", mime="application/octet-stream",
                           icon=":material/download:", on_click="ignore")
        prose.caption("Load the weights here again (\"Load weights saved earlier\", above), or sample them with `python -m diffusion_core sample "
                      "--checkpoint FILE` (in the standardised frame; the file's metadata holds your data's centre "
                      "and scale).")
    if model["records"]:
        steps_, losses = zip(*model["records"])
        chart(st, loss_curve(steps_, losses, title=f"Training loss of this model "
                                                        f"({app_common.for_plot(label_of(model['label'], model.get('source')))})"),
                        theme=None, key="pg_loss")


def load_weights() -> None:
    """A checkpoint downloaded earlier becomes the model; a bad file changes nothing. Each upload counts once
    (Streamlit gives every upload a new file id), so the same file uploaded again after a training loads again."""
    upload = st.file_uploader("Load weights you downloaded earlier (.pt)", type=None, key="pg_weights")
    if upload is None or st.session_state.get("pg_loaded") == upload.file_id:
        return
    blob = upload.getvalue()
    try:
        net, frame, meta = playground.from_checkpoint(blob)
    except Exception as err:  # noqa: BLE001 - any failure on a reader's file is one sentence; the model stays
        app_common.refuse(err, "The model has not changed.")
        return
    st.session_state.pg_loaded = upload.file_id
    seconds = meta.get("seconds")
    timed = seconds in playground.SECONDS
    st.session_state.pg_model = {
        "id": hashlib.sha256(blob).hexdigest(), "net": net, "frame": frame, "points": None,
        "label": str(meta.get("data", "a loaded checkpoint"))[:60], "source": "loaded", "loaded": upload.name,
        "settings": playground.settings_of(net.config, seconds if timed else playground.Settings.seconds),
        "timed": timed, "records": [], "steps": meta.get("training_steps", 0)}
    st.success(f"Loaded {app_common.md(upload.name)}: it is the model below.")

st.title("Playground")
prose.markdown(
    "Bring your own points (a CSV, a word, a built-in set, or a drawing made with the mouse) and train a diffusion "
    "model on them, live, on this server's CPU, watching its samples as it learns. Everything the "
    "other pages show holds here too: try a Fourier scale that is too low (a blur) or too high (noise), a "
    "budget too short to learn the detail, a few sampling steps against many. Draw in two colours or more and the "
    "model learns each colour as a class, which you can then sample with [guidance](/guidance). Every setting is in "
    "the page's address, so you can share a configuration as a link (a drawing goes as a CSV download)."
)
st.session_state.setdefault("pg_data", cache.built_in("dino"))
if "pg_model" not in st.session_state:
    try:
        st.session_state.pg_model = shipped_model()
    except (FileNotFoundError, ValueError) as err:
        st.warning(app_common.MISSING_WEIGHTS.format(name="dino", err=err))

st.header("1. Data")
left, right = st.columns([2, 3], gap="large")
with left:
    chosen_data()
    data: playground.TrainingData = st.session_state.pg_data
    prose.caption("Training uses the points centred on their mean and divided by their spread (pooled standard "
                  "deviation), so the settings below mean the same on any data; samples come back in your units."
                  + (f" The dino is trained on its 142 points with a jitter of {data.jitter:g} per batch, as the "
                  "shipped models are." if data.jitter else ""))
with app_common.in_column([2, 3], 1, "large"):  # its cloud is drawn as an image, sized for this column
    preview = figures.points_preview(data.in_data_units(), height=380, labels=data.labels,
                                     title=f"Training data: {app_common.for_plot(label_of(data.label, data.source))} "
                                           f"({len(data.points):,} points)", colours=playground.DRAW_COLOURS)
chart(right, preview, theme=None, key="pg_data_plot")

st.header("2. Model and training")
settings = settings_panel()
training_section(settings)

st.header("3. Sample")
with st.expander("Load weights saved earlier"):
    load_weights()
model = st.session_state.get("pg_model")
if model is None:
    st.info("Train a model above (or load weights you saved earlier) to sample from it.", icon=":material/info:")
else:
    described = (playground.describe(model["settings"], model.get("timed", True)) if model["settings"]
                 else "settings this page does not offer")
    if model.get("shipped"):
        prose.caption(f"Until you train one, this is the project's shipped dino model: the default settings, trained "
                      f"for {model['steps']:,} steps rather than seconds. Train above to replace it with your own.")
    else:
        prose.caption(f"Model trained on {app_common.md(label_of(model['label'], model.get('source')))} ({described}).")
    sampling_section(model)
