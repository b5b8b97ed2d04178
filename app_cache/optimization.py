"""The cached calls of "Sampling as optimization" (diffusion_core/topics/optimization/views.py), with their bounds."""

from diffusion_core.topics.optimization import views

from . import bind

cached = bind(views, quality_curves=4, cloud=32, descent_traces=32, momentum_scan=8, descent_cloud=32,
              curve_story=4, landscape=32)
