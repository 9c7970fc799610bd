"""Insole outline: SVG and DXF agree in mm, and a left foot gives a left insole."""

from __future__ import annotations

import re

import ezdxf
import numpy as np
from matplotlib.path import Path as MplPath

from foot_landmarks.clinical.insole import insole_outline_px, landmarks_mm, outline_mm, to_dxf, to_svg

from rendered_prints import DPI, rendered_print


def _svg_outline(path) -> np.ndarray:
    text = path.read_text()
    d = re.search(r'<path id="outline" d="([^"]+)"', text).group(1)
    nums = [float(v) for v in re.findall(r"-?\d+\.?\d*", d)]
    return np.array(nums).reshape(-1, 2)


def _insole(left: bool, tmp_path, seed: int = 5):
    mask, _, pts, _ = rendered_print(seed, 0.4, angle=5.0, left=left)
    outline = insole_outline_px(pts, DPI, mask)
    o_mm, l_mm = outline_mm(outline, DPI), landmarks_mm(pts, DPI)
    tag = "L" if left else "R"
    svg, dxf = tmp_path / f"{tag}.svg", tmp_path / f"{tag}.dxf"
    svg.write_text(to_svg(o_mm, l_mm))
    dxf.write_text(to_dxf(o_mm, l_mm))
    return pts, outline, svg, dxf


def test_svg_and_dxf_bounding_boxes_match(tmp_path):
    pts, outline, svg, dxf = _insole(False, tmp_path)
    s = _svg_outline(svg)
    doc = ezdxf.readfile(dxf)
    assert doc.units == ezdxf.units.MM and doc.header["$INSUNITS"] == 4
    msp = doc.modelspace()
    polys = msp.query('LWPOLYLINE[layer=="OUTLINE"]')
    assert len(polys) == 1 and polys[0].closed
    d = np.array([(x, y) for x, y, *_ in polys[0].get_points()])
    assert np.allclose(s.min(axis=0), d.min(axis=0), atol=2e-3)
    assert np.allclose(s.max(axis=0), d.max(axis=0), atol=2e-3)
    assert np.allclose(s.min(axis=0), 0.0, atol=2e-3)
    assert len(msp.query('POINT[layer=="LANDMARKS"]')) == 8
    # y flip: the same vertex has svg y + dxf y == H
    h = s[:, 1].max()
    assert np.allclose(s[:, 0], d[:, 0], atol=2e-3) and np.allclose(s[:, 1] + d[:, 1], h, atol=2e-3)
    text = svg.read_text()
    assert '<g id="landmarks"' in text and 'width="' in text and 'mm"' in text
    # the outline covers the print: every landmark inside, and it is about foot-sized
    assert MplPath(outline).contains_points(pts).all()
    length_mm = np.ptp(outline_mm(outline, DPI), axis=0).max()
    assert 220 < length_mm < 330


def test_left_foot_gives_left_insole(tmp_path):
    for left in (False, True):
        pts, outline, svg, _ = _insole(left, tmp_path)
        s = _svg_outline(svg)
        text = svg.read_text()
        marks = {int(k): (float(x), float(y)) for k, x, y in
                 re.findall(r'id="landmark-(\d)" cx="([-\d.]+)" cy="([-\d.]+)"', text)}
        hallux_right = marks[1][0] > marks[5][0]
        assert hallux_right == left  # print view: a left foot has the hallux on the right
        # the outline's wider (medial, hallux) side of the forefoot is on the hallux side too
        centre = s[:, 0].mean()
        assert (marks[6][0] > centre) == left
        assert MplPath(outline).contains_points(pts).all()
