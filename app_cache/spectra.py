"""The cached calls of "Spectral bands" (diffusion_core/topics/spectra/views.py)."""

from diffusion_core.topics.spectra import views

from . import data

photo = data(8)(views.photo)
uploaded_photo = data(8)(views.uploaded_photo)  # a bad file raises inputs.InputError, which is not cached
spectrum = data(32)(views.spectrum)
photo_slopes = data(1)(views.photo_slopes)
tide = data(128)(views.tide)
schedule_bands = data(32)(views.schedule_bands)
exact_run = data(16)(views.exact_run)
learned_run = data(4)(views.learned_run)
conv_info = data(1)(views.conv_info)
