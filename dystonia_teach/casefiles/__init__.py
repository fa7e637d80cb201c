"""Case files: YAML reading with line numbers, the loader, lints, the authoring scaffold and drafts.

Imports only :mod:`dystonia_teach.core`.
"""
