"""Rendering of core results as text, HTML and plotly figures (no widgets).
"""
