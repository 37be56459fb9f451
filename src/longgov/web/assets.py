"""Copy the pinned front-end packages (npm registry, package-lock.json) into the served static folder.

Run by ``make assets``: government intranets have no internet, so the platform serves these itself.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

STATIC_VENDOR = Path(__file__).parent / "static" / "vendor"

# source inside node_modules → served path under /static/vendor/
MANIFEST: dict[str, str] = {
    "htmx.org/dist/htmx.min.js": "htmx.min.js",
    "echarts/dist/echarts.min.js": "echarts.min.js",
    "@picocss/pico/css/pico.min.css": "pico.min.css",
    # The navigated viewer only (pan and zoom, no editing): the guide page draws the item's process.
    "bpmn-js/dist/bpmn-navigated-viewer.production.min.js": "bpmn-viewer.min.js",
    "bpmn-js/dist/assets/diagram-js.css": "diagram-js.css",
    "bpmn-js/dist/assets/bpmn-js.css": "bpmn-js.css",
}


def install(node_modules: Path, target: Path = STATIC_VENDOR) -> list[Path]:
    """Copy every manifest file; fail loudly if one is missing."""
    target.mkdir(parents=True, exist_ok=True)
    copied = []
    for source, name in MANIFEST.items():
        path = node_modules / source
        if not path.is_file():
            msg = f"missing front-end asset {path}: run npm ci in frontend/"
            raise FileNotFoundError(msg)
        shutil.copyfile(path, target / name)
        copied.append(target / name)
    return copied


def missing_assets(target: Path = STATIC_VENDOR) -> list[str]:
    """Names of manifest files not yet installed."""
    return [name for name in MANIFEST.values() if not (target / name).is_file()]


if __name__ == "__main__":
    for copied_path in install(Path(sys.argv[1] if len(sys.argv) > 1 else "frontend/node_modules")):
        print(copied_path)  # noqa: T201 - CLI output
