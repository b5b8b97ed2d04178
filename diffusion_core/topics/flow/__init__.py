"""Flow matching: the same network on a straight path; DDIM is Euler on the flow; reflow straightens the paths."""
