"""The cached calls of "Spectral bands" (diffusion_core/topics/spectra/views.py), with their bounds."""

from diffusion_core.topics.spectra import views

from . import bind

# uploaded_photo raises inputs.InputError on a bad file, which is not cached.
cached = bind(views, photo=8, uploaded_photo=8, spectrum=32, photo_slopes=1, tide=128, schedule_bands=32,
              exact_run=16, learned_run=4, conv_info=1, schedule_lead=1)
