"""Seconds behind each control of "Regurgitation": the memorization dial and the repeated point, uncached,
figures included."""

from __future__ import annotations

from ... import bench, pretrained
from . import figures, views

REPEATS = 3


def run(repeats: int) -> dict:
    def memo(n):
        r = views.memorization(n)
        for key in ("network", "ideal"):
            bench.figure(figures.memorization_panel(r[f"{key}_samples"], r["train"], title="t"))
        bench.figure(figures.distance_histograms({"a": r["network_distances"], "b": r["ideal_distances"],
                                                  "c": r["fresh_distances"]}, radius=r["radius"], title="t"))

    def repeated(k):
        r = views.repeated(k)
        bench.figure(figures.memorization_panel(r["network_samples"], r["train"], title="t", highlight=r["point"]))

    return {"target_seconds": 0.3,
            "memorization_dial": {n: bench.median_seconds(lambda: memo(n), repeats) for n in pretrained.MEMO_SIZES},
            "copies_dial": {k: bench.median_seconds(lambda: repeated(k), repeats) for k in pretrained.DUP_COPIES},
            "copies_curve_first_view": bench.median_seconds(
                lambda: bench.figure(figures.repeated_share(views.repeated_curve(), title="t", set_size=pretrained.DUP_N)), repeats)}
