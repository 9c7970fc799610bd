"""The clinical files as Kedro datasets: per kind, one partition per scan (and foot).

The inference pipeline saves them through its catalog (conf/base/catalog_inference.yml:
insole_outlines_svg, insole_outlines_dxf, clinical_reports_png, clinical_reports_pdf);
`foot-landmarks predict --clinical` runs outside a Kedro project and saves them through the same
dataset types, made here from :data:`CLINICAL_FILES`. tests/clinical/test_report.py checks that
the two agree.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from kedro_datasets.partitions import PartitionedDataset

# kind -> PartitionedDataset arguments; a partition `name` is saved as <folder>/<name><suffix>
CLINICAL_FILES: dict[str, dict] = {
    "insole_svg": {"dataset": "text.TextDataset", "filename_suffix": "_insole.svg"},
    "insole_dxf": {"dataset": "text.TextDataset", "filename_suffix": "_insole.dxf"},
    "report_png": {
        "dataset": {"type": "matplotlib.MatplotlibDataset", "save_args": {"format": "png"}},
        "filename_suffix": "_report.png",
    },
    "report_pdf": {
        "dataset": {"type": "matplotlib.MatplotlibDataset", "save_args": {"format": "pdf"}},
        "filename_suffix": "_report.pdf",
    },
}


def save_clinical_files(files: Mapping[str, Mapping[str, Callable]], folder: str | Path) -> None:
    """Save each kind's partitions ({name: function making the content}) under `folder`."""
    for kind, partitions in files.items():
        PartitionedDataset(path=str(folder), **CLINICAL_FILES[kind]).save(dict(partitions))
