"""Where the benchmark scripts keep their runs: bench/results/<prefix>_<time>.json and
<prefix>_latest.json (which bench/readme_figures.py renders into the README)."""

from __future__ import annotations

import json
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def write(prefix: str, out: dict) -> str:
    """Print the run as JSON and keep it; returns the text."""
    text = json.dumps(out, indent=2)
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{prefix}_{time.strftime('%Y%m%d_%H%M%S')}.json").write_text(text + "\n")
    (RESULTS / f"{prefix}_latest.json").write_text(text + "\n")
    return text
