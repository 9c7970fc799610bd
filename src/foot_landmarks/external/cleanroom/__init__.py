"""Clean-room footprint page renderer, for evaluation only (never for training or tuning).

Written from ../shared/LANDMARKS.md and a description of real captures, independently of the
project's own synthetic generator, to measure how far the detector generalises. Three kinds:

- ``flatbed_ink``: an ink print on white paper scanned at 150-300 dpi, one foot per page;
- ``bare_sole``: a bare sole on a glass-plate scanner seen from below (grey, 200-300 dpi);
- ``photo_form``: a phone photo of a printed ink-mat form with one or two panels (no dpi).

``render_set(kind, n_pages, seed, out_dir)`` writes ``out_dir/images/`` and
``out_dir/via_annotations.csv``; ``render_page`` returns one page with its label images, for tests.
"""

from foot_landmarks.external.cleanroom.dataset import render_set
from foot_landmarks.external.cleanroom.render import KINDS, RenderedPage, render_page

__all__ = ["KINDS", "RenderedPage", "render_page", "render_set"]
