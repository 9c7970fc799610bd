"""Review predictions in VGG Image Annotator (VIA 2.0.10) and turn the corrections into a data set.

- :mod:`.via_files`: the VIA 2.0.10 project (JSON) and CSV export as plain records;
- :mod:`.export`: a prediction table -> the review project (least confident scans first);
- :mod:`.corrections`: VIA's export of the corrected project -> the project's annotation tables
  and the model's points recorded at export time;
- :mod:`.summary`: how far the reviewer moved each landmark (px, mm, % of foot length);
- :mod:`.dataset`: the corrected scans written as a data set under data/01_raw.
"""
