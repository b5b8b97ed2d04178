"""Guidance: classifier-free guidance as a dial from means to modes, exact and trained, on the Datasaurus Dozen."""
