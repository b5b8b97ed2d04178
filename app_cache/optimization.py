"""The cached calls of "Sampling as optimization" (diffusion_core/topics/optimization/views.py)."""

from diffusion_core.topics.optimization import views

from . import data

quality_curves = data(4)(views.quality_curves)
cloud = data(32)(views.cloud)
descent_traces = data(32)(views.descent_traces)
momentum_scan = data(8)(views.momentum_scan)
descent_cloud = data(32)(views.descent_cloud)
