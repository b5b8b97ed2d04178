"""What the pages share: the one text on noise levels, the message for missing weights, kept controls.

Labels of data sets, schedules and samplers live with their registries in the core (`datasets.LABELS`,
`schedules.LABELS`, `samplers.LABELS`).
"""

from __future__ import annotations

import html
import re
import string
import unicodedata
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import streamlit as st
from streamlit.logger import get_logger

from app_components import prose
from app_state import keep  # noqa: F401  (re-exported: every page keeps its controls through here)
from diffusion_core import figures, inputs

T = TypeVar("T")
LOG = get_logger(__name__)

# What a page says when a shipped file is missing or unreadable (the pages never crash on it).
MISSING_WEIGHTS = ("The shipped weights `{name}` could not be loaded ({err}). Remake them with "
                   "`python -m diffusion_core pretrain`.")


def shipped(name: str, call: Callable[..., T], *args, **kwargs) -> T | None:
    """`call(*args, **kwargs)`, which reads the shipped model `name`; if its file is missing or damaged, a
    warning naming it instead, and None (the caller leaves its section there)."""
    try:
        return call(*args, **kwargs)
    except (FileNotFoundError, ValueError) as err:
        st.warning(MISSING_WEIGHTS.format(name=name, err=err))
        return None


def in_column(spec: int | list[float], index: int = 0, gap: str = "small"):
    """A block whose figures are sized for column `index` of `st.columns(spec, gap=gap)`: a point cloud drawn as an
    image needs its panel's width on screen to draw its dots at their size (figures.shown_width; the main column is
    figures.FIGURE_WIDTH wide in the reference window). Pages use it around the figures in columns that draw a
    cloud as an image; a figure with none needs no width (figures.GAP_PIXELS are st.columns' gaps)."""
    return figures.in_column(spec, index, gap)


def plain(text: object, limit: int = 80) -> str:
    """A reader's text (a word, a file name, a checkpoint's record) as plain characters: control, format and
    bidirectional characters (category C, such as U+202E) removed, runs of white space made one space, at most
    `limit` characters."""
    kept = "".join(" " if c.isspace() else c for c in str(text)[:4 * limit]
                   if c.isspace() or not unicodedata.category(c).startswith("C"))
    kept = " ".join(kept.split())
    return kept if len(kept) <= limit else kept[:limit - 1] + "…"


_MD_ESCAPES = str.maketrans({c: "\\" + c for c in string.punctuation})


_WORD_JOINER = "\u2060"  # invisible, and no line break at it
_AUTOLINKS = re.compile(r"(?i)(:)(//)|(www)(\.)|()(@)")  # what GFM turns into links even when escaped


def md(text: object, limit: int = 80) -> str:
    """A reader's text made safe to put inside markdown (st.markdown, captions, notices): `plain`, then every
    ASCII punctuation character escaped with a backslash, so no emphasis, link, image, HTML or $maths$ forms.
    GitHub-flavoured markdown also links bare addresses ("http://", "www.", e-mail) after escapes are read,
    so an invisible word joiner goes inside each of those patterns."""
    text = _AUTOLINKS.sub(lambda m: _WORD_JOINER.join(g for g in m.groups() if g is not None), plain(text, limit))
    return text.translate(_MD_ESCAPES)


def for_plot(text: object, limit: int = 80) -> str:
    """A reader's text made safe for a plotly title or legend, which read a few HTML tags and entities:
    `plain`, then HTML-escaped."""
    return html.escape(plain(text, limit), quote=False)


def refuse(err: Exception, kept: str, where=st, lead: str = "", icon: str = ":material/block:") -> None:
    """Say, as plain text, why a reader's input was refused and what was kept (`kept`, a sentence).

    An InputError's message is its sentence; any other error is a bug or an attack nobody foresaw: it is logged
    on the server with its traceback, and the reader reads one generic sentence."""
    if isinstance(err, inputs.InputError):
        message = str(err)
    else:
        LOG.error("a reader's input raised an unexpected error", exc_info=err)
        message = "That input could not be read."
    where.warning(md(f"{lead}{message} {kept}", limit=600), icon=icon)


def noise_levels() -> None:
    """The one text on noise levels: how x_t, alpha_bar_t, sigma and x = x_t / sqrt(alpha_bar_t) relate."""
    with st.container(border=True):
        prose.markdown(
            "**Noise levels, one language.** A noisy point can be written two ways. The forward process keeps "
            "its size near 1, $x_t = \\sqrt{\\bar\\alpha_t}\\,x_0 + \\sqrt{1-\\bar\\alpha_t}\\,\\varepsilon$. "
            "Divide it by $\\sqrt{\\bar\\alpha_t}$ and it is the data plus noise of size $\\sigma$:")
        prose.latex(r"x = \frac{x_t}{\sqrt{\bar\alpha_t}} = x_0 + \sigma\,\varepsilon, \qquad "
                    r"\sigma = \sqrt{\frac{1-\bar\alpha_t}{\bar\alpha_t}}, \qquad \bar\alpha_t = \frac{1}{1+\sigma^2}.")
        prose.markdown(
            "On every page $\\sigma$ is this **noise level**, measured in the data's own units (Karras et al. "
            "2022): $\\sigma \\approx 0$ is clean data, $\\sigma$ far above the data's spread is pure noise, and "
            "$\\mathrm{SNR}(t) = 1/\\sigma^2$. The noise inside $x_t$ itself has standard deviation "
            "$\\sqrt{1-\\bar\\alpha_t}$, which never exceeds 1.")


def ed_text(ed: float, band) -> str:
    """An energy distance as the page shows it: "about 0 (within noise)" when fresh draws of the data score as
    much (metrics.NoiseBand), else its value. ED is an unbiased estimate, so a perfect model can score below 0."""
    return "about 0 (within noise)" if band.within(ed) else f"{ed:.4f}"


def ed_metric(label: str, ed: float, band, n: int, delta: str | None = None, where=st) -> None:
    """An energy distance as a metric: its value, or "about 0" with "within noise" under it (metric values are
    wide and the columns narrow); `delta` (say a difference from the shipped model) is kept and told apart."""
    inside = band.within(ed)
    if delta is None and inside:
        where.metric(label, "about 0", "within noise", delta_color="off", delta_arrow="off", help=ed_help(band, n))
    else:
        where.metric(label, "about 0" if inside else f"{ed:.4f}", None if delta is None else
                     delta + ("; about 0 is within noise" if inside else ""), delta_color="inverse",
                     help=ed_help(band, n))


def ed_help(band, n: int) -> str:
    """The words behind every energy distance on the pages: what it measures and how noisy it is."""
    return (f"Energy distance (Szekely and Rizzo 2013): how far the samples' distribution is from the data's, 0 "
            f"when they are the same; lower is better. It is estimated from {n:,} samples, so it is noisy: {n:,} "
            f"fresh draws of the data itself score {band.mean:.4f} ± {band.std:.4f} (one standard deviation), "
            f"and any value under {band.top:.4f} is shown as about 0.")


GLOSSARY = {
    "noise level σ": "the size of the noise in x = x₀ + σε, in the data's own units (the box on noise levels).",
    "ᾱ_t (signal kept)": "the share of the signal's power left in x_t after t steps; σ² = (1 − ᾱ_t) / ᾱ_t.",
    "SNR": "signal-to-noise ratio ᾱ_t / (1 − ᾱ_t) = 1 / σ².",
    "energy distance": "how far the samples' distribution is from the data's, over the whole cloud; 0 when they are "
                       "alike. Estimated from finite samples, so it is noisy; inside its noise the pages say about 0.",
    "s2d": "the mean distance from a sample to its nearest training point.",
    "score": "∇ log p_σ(x), the direction in which the noised data gets more likely.",
    "ideal denoiser": "the best possible guess of x₀ from x: the posterior mean E[x₀ | x]. For a finite training set "
                      "it is a softmax-weighted average of the training points.",
    "marginals": "the distribution of x_t at each step, over many runs.",
    "strided": "a sampler that takes every k-th of the steps the model was trained on.",
    "probability-flow ODE": "the deterministic path with the same marginals as DDPM; DDIM is Euler's method on it.",
    "stationary distribution": "the distribution a chain settles into and keeps, however long it runs.",
    "Fourier features": "sines and cosines of random projections of the input, which let a small MLP draw sharp "
                        "detail (Tancik et al. 2020).",
    "network evaluation": "one call of the network: the unit of a sampler's compute.",
    "Nyquist frequency": "half a cycle per pixel, the finest pattern a pixel grid can hold.",
}


def switched(label: str, options: Sequence[str], *, key: str, default: str, help: str,
             format_func: Callable[[str], str] | None = None, where=None) -> list[tuple[str, Any]]:
    """A choice between views that are all sent with the page and switched in the browser: a segmented control (in
    the container `where`, if given; key `key`) and a container per option (key `{key}_{option}`, placed in the
    order of `options`), returned as (option, container) pairs with the chosen option's first: the caller fills
    every container in that order, so that on a server that has computed nothing the reader's view is computed
    and sent first. A style rule (`switch_rule`) shows the chosen option's container
    and hides the others as the reader clicks, so a switch costs the browser only the drawing of the shown view's
    charts; the page's load pays for sending, mounting and typesetting every view.

    The control is a fragment of its own and kept like any control (app_state.keep): the click also reruns that
    fragment, which sends back nothing but the control, so that the choice is written into the address (a link
    names the view) and kept for the session. A link that names no option, or an empty choice, shows the
    default's view. Worth it where the views are computed ahead and the page can afford to send them all."""
    rule = switch_rule(key, options, default)

    @st.fragment
    def control() -> None:
        st.segmented_control(label, list(options), required=True, help=help,
                             **keep(key, default, arg="default", format_func=format_func))

    if where is None:
        control()
    else:
        with where:
            control()
    st.html(f"<style>{rule}</style>")  # style only: no block on the page
    boxes = [(o, st.container(key=f"{key}_{o}")) for o in options]
    chosen = st.session_state.get(key)
    return sorted(boxes, key=lambda box: box[0] != (chosen if chosen in options else default))


def switch_rule(key: str, options: Sequence[str], default: str) -> str:
    """The style rule of `switched`: the container `{key}_{option}` of every option but the chosen one hidden, by
    the segmented control's checked button (the n-th button of its radio group for the n-th option); with none
    checked (an empty choice), the default's shown. Keys and options go into class names: other names are refused."""
    options = list(options)
    if any(not re.fullmatch(r"[A-Za-z0-9_-]+", o) for o in options + [key]) or default not in options:
        raise ValueError(f"switched: {key} {options} (default {default}): the key and options must be names a style "
                         "class can hold, and the default one of the options")

    def chosen(i: int, state: str) -> str:
        return f'body:has(.st-key-{key} [role="radiogroup"] > button:nth-of-type({i + 1})[aria-checked="{state}"])'

    d = options.index(default)
    rules = [f"{chosen(i, 'false')} .st-key-{key}_{o}" for i, o in enumerate(options) if i != d]
    rules += [f"{chosen(i, 'true')} .st-key-{key}_{default}" for i in range(len(options)) if i != d]
    return f"{', '.join(rules)} {{display: none}}" if rules else ""


def lazy_expander(label: str, key: str, body: Callable[[], None]) -> None:
    """An expander whose `body` is computed and sent only while it is open. Closed, as a page opens, it costs the
    reader's browser nothing (a derivation full of formulas is a third of a page's typesetting); opening it reruns
    only this expander (a fragment), and its state is kept in `key`."""

    @st.fragment
    def expander() -> None:
        with st.expander(label, key=key, on_change="rerun") as box:
            if box.open:
                body()

    expander()


def glossary() -> None:
    """The terms the pages use, each in one line (every page also defines a term where it first uses it)."""
    with st.expander("Glossary"):
        prose.markdown("\n".join(f"- **{term}**: {meaning}" for term, meaning in GLOSSARY.items()))
