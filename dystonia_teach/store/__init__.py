"""The attempt store: where learners' submissions are saved and read back.

Imports only the core.
"""
