"""Write data/summaries/<name>.npz: the Explore page's statistics and PCA of each dataset found.

    .venv/bin/python scripts/dataset_summaries.py [mnist fashion-mnist]

Run it again after changing how ui/dataset_stats.py computes them (tests/test_dataset_stats.py
fails until then). A dataset that is not available is skipped.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.datasets import DatasetError, load_dataset  # noqa: E402
from ui.dataset_stats import SUMMARY_DIR, save_summary  # noqa: E402


def main(names: list[str]) -> int:
    SUMMARY_DIR.mkdir(parents=True, exist_ok=True)
    for name in names:
        try:
            dataset = load_dataset(name)
        except DatasetError as err:
            print(f"skipped {name}: {err}")
            continue
        path = SUMMARY_DIR / f"{name}.npz"
        save_summary(path, dataset)
        print(f"wrote {path} ({path.stat().st_size / 1000:.0f} kB)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["mnist", "fashion-mnist"]))
