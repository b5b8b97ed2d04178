"""Seconds behind each control of "Spectral bands", uncached, with the figures turned into JSON."""

from __future__ import annotations

from ... import bench, schedules
from . import core, figures, views

REPEATS = 3


def run(repeats: int) -> dict:
    photos = {name: views.photo(name) for name in core.IMAGES}

    def image(name):  # a new photograph: its spectrum and the schedules' figures
        image_of(photos[name])

    def image_of(img):
        spec = views.spectrum(img)
        bands = views.schedule_bands(spec["amplitude"], spec["slope"])
        bench.figure(figures.crossing_curves({n: (b["t_frac"], b["crossing"]) for n, b in bands.items()}, title="t"))
        bench.figure(figures.octave_bars({n: b["octaves"] for n, b in bands.items()}, core.OCTAVES, title="t"))
        views.schedule_lead()

    def tide(frac, name):  # t / T and the schedule rerun the section: x_t, its spectra, the Wiener estimate
        img = photos["camera"]
        spec = views.spectrum(img)
        view = views.tide(img, name, max(1, round(frac * schedules.SHIPPED_T[name])) - 1)
        for panel in (img, view["x_t"], view["x0_hat"]):
            figures.grey_png(panel, zrange=(-2.5, 2.5), scale=2)
        f, ab = spec["freqs"], view["alpha_bar"]
        bench.figure(figures.spectra_plot({"s": (f, ab * spec["power"]), "fit": (f, ab * spec["fit"])},
                                          flat={"n": 1 - ab}, marker=view["crossing"], title="t"))
        bench.figure(figures.response_curve(f, view["share"], title="t"))

    def run_strip(r):
        for img in r["images"]:
            figures.grey_png(img, zrange=(-2.5, 2.5), scale=2)
        bench.figure(figures.rapsd_over_steps(r["freqs"], r["powers"], r["steps"], title="t"))
        bench.figure(figures.settling_plot(r["freqs"], {"s": r["settled"]}, T=1000, title="t"))

    views.shipped_conv()  # loaded once, as the app holds it
    return {"target_seconds": 0.3,
            "slopes_first_view": bench.median_seconds(lambda: bench.figure(figures.slope_bars(views.photo_slopes(),
                                                                                              title="t")), repeats),
            "image_select": max(bench.median_seconds(lambda: image(n), repeats) for n in core.IMAGES),
            "t_slider": max(bench.median_seconds(lambda: tide(fr, s), repeats) for fr in (0.0, 0.5, 1.0)
                            for s in ("linear", "cosine")),
            "exact_run_seed_slider": max(bench.median_seconds(lambda: run_strip(views.exact_run("camera", k)), repeats)
                                         for k in (0, 9)),
            "learned_run_first_view": bench.median_seconds(lambda: (views.conv_info(), run_strip(views.learned_run(0))),
                                                           repeats),
            "upload_of_a_256_pixel_png": bench.median_seconds(
                lambda: image_of(views.uploaded_photo((core.IMAGE_DIR / "chelsea.png").read_bytes())), repeats)}
