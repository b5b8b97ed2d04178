"""Seconds behind "Flow matching": the page's first view from the shipped weights for each data set (every section,
figures included), its one step control (each value), and the few-step table itself (energy distance against network
evaluations for each model), so the printed JSON carries the page's numbers too."""

from __future__ import annotations

from ... import bench, datasets
from ..optimization import figures as optimization_figures
from . import figures, views

REPEATS = 1


def run(repeats: int) -> dict:
    def grids(dataset, steps):  # the step-count control: its grids, its three sample clouds
        g = views.grids(dataset, steps)
        bench.figure(figures.time_grids({"DDIM": g["ddim_times"], "even": g["even_times"]}, title="t"))
        bench.figure(figures.cloud_row([("a", g["ddim"]), ("b", g["euler_ddim"]), ("c", g["euler_even"])],
                                       datasets.load(dataset, 2000 if dataset != "dino" else None), title="t"))
        return g

    def first_view(dataset):  # every section at its default (the data set select: all of it again)
        w = views.loss_weights()
        bench.figure(figures.loss_weights(w["lambda"], {"eps": w["eps"], "flow": w["flow"]}, title="t"))
        bench.figure(figures.paths_run(views.paths(dataset), active=10, ideal_name="t"))
        grids(dataset, views.GRID_DEFAULT)
        quality = views.quality(dataset)
        few, ref = quality["few_steps"], quality["reflow"]
        bench.figure(optimization_figures.quality_vs_compute(few["curves"], floor=few["floor"], title="t"))
        bench.figure(figures.path_pairs(ref["flow"]["paths"], ref["reflow"]["paths"], ref["points"], title="t"))
        bench.figure(figures.cloud_row([(k, ref[k]["few"][1]["samples"]) for k in ("flow", "reflow")], ref["points"],
                                       title="t"))
        return few, ref

    out = {"target_seconds": 2.0, "control_target_seconds": 0.3, "first_view_seconds": {}, "grid_steps_seconds": {},
           "few_steps": {}, "floor": {}, "ddim_euler_largest_gap": {}, "straightness": {}}
    for dataset in views.DATASETS:
        few, ref = first_view(dataset)
        out["first_view_seconds"][dataset] = bench.median_seconds(lambda d=dataset: first_view(d), repeats)
        out["grid_steps_seconds"][dataset] = {s: bench.median_seconds(lambda d=dataset, n=s: grids(d, n), repeats)
                                              for s in views.NFE}
        out["ddim_euler_largest_gap"][dataset] = max(views.grids(dataset, s)["gap"] for s in views.NFE)
        out["few_steps"][dataset] = {name: {"nfe": c[0], "energy_distance": [round(v, 5) for v in c[1]],
                                            "stderr": [round(v, 5) for v in c[2]]} for name, c in few["curves"].items()}
        out["floor"][dataset] = {"mean": round(few["floor"][0], 5), "stderr": round(few["floor"][1], 5)}
        out["straightness"][dataset] = {k: {"length_over_chord": round(ref[k]["ratio"], 4),
                                            "S": round(ref[k]["deviation"], 5), "cost": round(ref[k]["cost"], 4)}
                                        for k in ("flow", "reflow")}
    return out
