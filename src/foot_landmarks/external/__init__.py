"""Measures on data the project did not make: real annotated scans and an independent renderer."""
