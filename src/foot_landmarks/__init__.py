"""foot_landmarks: automatic detection of 8 plantar landmarks on 2D footprint scans."""

__version__ = "0.1.0"

import warnings

# fastai calls torch.jit.script at import, which torch 2.14 deprecates: noise on every command.
warnings.filterwarnings("ignore", message=r".*torch\.jit\.script.*deprecated", category=FutureWarning)
