"""ipywidgets front ends: thin shells over the core (no clinical logic here)."""
