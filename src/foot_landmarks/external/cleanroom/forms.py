"""Printed ink-mat forms: the sheet a clinic prints before the patient steps on the mat.

A form has a header (logo, clinic name, title), one or two tall panels (a two-panel sheet holds the
left foot's panel on the left), each with a coloured label bar and a coloured border line, and a
"remarks" line at the bottom. Sizes are in millimetres; `draw_form` draws at any pixels per mm.
The names and words are invented for this renderer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import ImageDraw

from foot_landmarks.external.cleanroom.marks import font

CLINICS = ("PODOLAB", "PEDIGRAF", "STEPMAP", "PLANTA+", "HUELLA CLINIC", "PODOSCAN")
TITLES = ("Plantar print record", "Registro de huella plantar", "Footprint / Huella", "Podogram")
PANEL_WORDS = {
    "left": ("Pie izquierdo", "Left foot"),
    "right": ("Pie derecho", "Right foot"),
}


@dataclass(frozen=True)
class Panel:
    side: str  # anatomical side of the foot printed in it
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 (mm) of the panel below its label bar


@dataclass(frozen=True)
class FormLayout:
    size: tuple[float, float]  # sheet width, height (mm)
    panels: tuple[Panel, ...]
    header: float  # height of the header band (mm)
    accent: tuple[int, int, int]
    clinic: str
    title: str
    label_bar: float  # height of each panel's label bar (mm)
    remarks_y: float  # y of the remarks line (mm)


def sample_form(rng: np.random.Generator, sides: tuple[str, ...], foot_length: float, foot_width: float) -> FormLayout:
    """A sheet with one panel per side in `sides` (left panel first), big enough for the foot."""
    margin = rng.uniform(6.0, 12.0)
    gap = rng.uniform(4.0, 14.0)
    panel_w = max(rng.uniform(118.0, 132.0), foot_width * 1.25 + 12.0)
    header = rng.uniform(22.0, 34.0)
    label_bar = rng.uniform(5.0, 7.5)
    footer = rng.uniform(14.0, 22.0)
    panel_h = max(rng.uniform(285.0, 300.0), foot_length + 45.0)
    if len(sides) == 1:
        width = max(210.0, panel_w + 2 * margin)
        panel_w = width - 2 * margin
    else:
        width = 2 * panel_w + gap + 2 * margin
    height = header + label_bar + panel_h + footer
    panels = []
    for i, side in enumerate(sides):
        x0 = margin + i * (panel_w + gap)
        panels.append(Panel(side=side, box=(x0, header + label_bar, x0 + panel_w, header + label_bar + panel_h)))
    accent = (int(rng.uniform(20, 70)), int(rng.uniform(110, 160)), int(rng.uniform(190, 235)))
    return FormLayout(
        size=(float(width), float(height)), panels=tuple(panels), header=float(header), accent=accent,
        clinic=str(rng.choice(CLINICS)), title=str(rng.choice(TITLES)), label_bar=float(label_bar),
        remarks_y=float(height - footer * 0.45),
    )


def logo(draw: ImageDraw.ImageDraw, centre: tuple[float, float], radius: float, accent: tuple[int, int, int]) -> None:
    """A rounded badge with a small white sole drawn from a few ellipses."""
    cx, cy = centre
    draw.rounded_rectangle([cx - radius, cy - radius, cx + radius, cy + radius], radius=radius * 0.35, fill=accent)
    r = radius
    draw.ellipse([cx - 0.28 * r, cy - 0.15 * r, cx + 0.22 * r, cy + 0.75 * r], fill=(255, 255, 255))
    draw.ellipse([cx - 0.38 * r, cy - 0.62 * r, cx + 0.3 * r, cy + 0.1 * r], fill=(255, 255, 255))
    for i, (dx, dy) in enumerate([(-0.32, -0.8), (-0.08, -0.86), (0.14, -0.8), (0.32, -0.7)]):
        s = 0.11 * r * (1.0 - 0.12 * i)
        draw.ellipse([cx + dx * r - s, cy + dy * r - s, cx + dx * r + s, cy + dy * r + s], fill=(255, 255, 255))


def draw_form(draw: ImageDraw.ImageDraw, layout: FormLayout, px_per_mm: float, rng: np.random.Generator) -> None:
    """Draw the printed parts of the form (under the ink) at `px_per_mm`."""
    s = px_per_mm
    accent = layout.accent
    text_colour = (40, 40, 48)
    for panel in layout.panels:
        x0, y0, x1, y1 = panel.box
        logo_r = layout.header * 0.28
        logo_c = (x1 - logo_r * 1.4, layout.header * 0.5)
        logo(draw, (logo_c[0] * s, logo_c[1] * s), logo_r * s, accent)
        name_size = int(layout.header * 0.3 * s)
        name_w = draw.textlength(layout.clinic, font=font(name_size))
        draw.text((logo_c[0] * s - logo_r * 1.5 * s - name_w, (layout.header * 0.5 - layout.header * 0.22) * s),
                  layout.clinic, fill=(35, 35, 45), font=font(name_size), stroke_width=1, stroke_fill=(35, 35, 45))
        draw.text((logo_c[0] * s - logo_r * 1.5 * s - name_w, (layout.header * 0.5 + layout.header * 0.12) * s),
                  layout.title, fill=accent, font=font(int(layout.header * 0.16 * s)))
        bar = [x0 * s, (y0 - layout.label_bar) * s, x1 * s, y0 * s]
        draw.rectangle(bar, fill=accent)
        words = PANEL_WORDS[panel.side]
        size = int(layout.label_bar * 0.62 * s)
        label = f"{words[0]}  {words[1]}"
        lw = draw.textlength(label, font=font(size))
        draw.text(((x0 + x1) / 2 * s - lw / 2, (y0 - layout.label_bar * 0.85) * s), label,
                  fill=(255, 255, 255), font=font(size))
        line_w = max(int(0.5 * s), 1)
        draw.line([(x0 * s, y0 * s), (x0 * s, y1 * s)], fill=accent, width=line_w)
        if len(layout.panels) == 1 or rng.random() < 0.5:
            draw.line([(x1 * s, y0 * s), (x1 * s, y1 * s)], fill=accent, width=line_w)
        rem_size = int(2.6 * s)
        draw.text((x0 * s + 2 * s, (layout.remarks_y - 2.0) * s), "Observaciones - Remarks",
                  fill=text_colour, font=font(rem_size))
        dots_x0 = x0 * s + 2 * s + draw.textlength("Observaciones - Remarks ", font=font(rem_size))
        for x in np.arange(dots_x0, x1 * s - 2 * s, 1.6 * s):
            draw.point([(x, (layout.remarks_y + 0.4) * s)], fill=text_colour)
