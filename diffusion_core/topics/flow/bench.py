"""Seconds behind "Flow matching": the page's first view from the shipped weights (every section, figures included),
its one control (the grid section's step count, each value), and the few-step table itself (energy distance against
network evaluations for each model), so the printed JSON carries the page's numbers too."""

from __future__ import annotations

from ... import bench, datasets
from ..optimization import figures as optimization_figures
from . import figures, views

REPEATS = 1


def run(repeats: int) -> dict:
    dino = datasets.load("dino").numpy()

    def grids(steps):  # the step-count control: its grids, its three sample clouds
        g = views.grids(steps)
        bench.figure(figures.time_grids({"DDIM": g["ddim_times"], "even": g["even_times"]}, title="t"))
        bench.figure(figures.cloud_row([("a", g["ddim"]), ("b", g["euler_ddim"]), ("c", g["euler_even"])], dino,
                                       title="t"))
        return g

    def first_view():  # every section at its default
        w = views.loss_weights()
        bench.figure(figures.loss_weights(w["lambda"], {"eps": w["eps"], "flow": w["flow"]}, title="t"))
        bench.figure(figures.paths_run(views.paths(), active=10))
        grids(views.GRID_DEFAULT)
        few = views.few_steps()
        bench.figure(optimization_figures.quality_vs_compute(few["curves"], floor=few["floor"], title="t"))
        ref = views.reflow()
        bench.figure(figures.path_pairs(ref["flow"]["paths"], ref["reflow"]["paths"], dino, title="t"))
        bench.figure(figures.cloud_row([(k, ref[k]["few"][1]["samples"]) for k in ("flow", "reflow")], dino,
                                       title="t"))
        return few, ref

    few, ref = first_view()
    gaps = {steps: grids(steps)["gap"] for steps in views.NFE}
    return {"target_seconds": 2.0, "control_target_seconds": 0.3,
            "first_view_seconds": bench.median_seconds(first_view, repeats),
            "grid_steps_seconds": {s: bench.median_seconds(lambda: grids(s), repeats) for s in views.NFE},
            "few_steps": {name: {"nfe": c[0], "energy_distance": [round(v, 5) for v in c[1]],
                                 "stderr": [round(v, 5) for v in c[2]]} for name, c in few["curves"].items()},
            "floor": {"mean": round(few["floor"][0], 5), "stderr": round(few["floor"][1], 5)},
            "ddim_euler_largest_gap": max(gaps.values()),
            "straightness": {k: {"length_over_chord": round(ref[k]["ratio"], 4), "S": round(ref[k]["deviation"], 5),
                                 "cost": round(ref[k]["cost"], 4)} for k in ("flow", "reflow")}}
