"""Seconds behind "Where the loss comes from": its cold first view (shipped files not yet read), and each control
uncached, figures included (the bars: under 2 s cold, under 0.3 s per control)."""

from __future__ import annotations

import time

from ... import bench, datasets, shipped
from ...figures import samples_panel
from . import core, figures, views

REPEATS = 3


def _bound(name: str) -> None:
    b = views.bound(name)
    bench.figure(figures.elbo_weights(b["t"], b["elbo"], b["uniform"], title="t"))


def _targets() -> None:
    v = views.targets()
    bench.figure(figures.implied_weights(v["lambda"], v["weights"], title="t"))
    bench.figure(figures.over_log_snr({t: (v["steps_lambda"], w) for t, w in v["effective"].items()}, title="t",
                                      ytitle="y", log_y=True))


def _setting(target: str, noise, comparison: dict | None = None) -> None:
    d = views.draws(target, noise)
    for key in ("density", "effective"):
        bench.figure(figures.over_log_snr({"a": (d["lambda"], d[key])}, title="t", ytitle="y"))
    s = views.setting(target, noise)
    views.by_level(s)
    bench.figure(samples_panel(s["samples"], datasets.DINO_POINTS, title="t"))
    bench.figure(figures.error_by_level(s["lambdas"], {"a": (s["seeds"]["error"], s["seeds"]["error_se"])}, title="t"))
    _comparison(target, noise, comparison)


def _comparison(target: str, noise, c: dict | None = None) -> None:
    """The comparison across settings (computed unless given: the page caches it, so a control only redraws it)."""
    c = c or views.comparison()
    views.findings(c)
    for key in ("coarse", "detail"):
        bench.figure(figures.across_settings(c["ticks"], c[key], c["floor"][key], title="t", ytitle="y",
                                             selected=(target, views.NOISES.index(noise))))


def _schedules() -> None:
    dens = views.schedule_densities()
    bench.figure(figures.over_log_snr({n: (d["lambda"], d["density"]) for n, d in dens.items()}, title="t", ytitle="y"))


def _first_view() -> None:
    _bound("linear")
    _targets()
    _setting(*views.BASELINE)
    _schedules()


def run(repeats: int) -> dict:
    views.stored.cache_clear()
    shipped.denoiser.cache_clear()
    start = time.perf_counter()
    _first_view()
    cold = round(time.perf_counter() - start, 4)
    comparison = views.comparison()
    setting = {f"{t} {views.noise_label(nz)}": bench.median_seconds(lambda: _setting(t, nz, comparison), repeats)  # noqa: B023
               for t in core.TARGETS for nz in views.NOISES}
    return {"target_seconds": 0.3, "cold_target_seconds": 2.0, "cold_first_view": cold,
            "warm_first_view": bench.median_seconds(_first_view, repeats),
            "schedule_radio": max(bench.median_seconds(lambda: _bound(n), repeats) for n in views.SCHEDULES),  # noqa: B023
            "setting_controls": setting, "slowest_setting": max(setting.values())}
