"""The service's OpenAPI document, as committed in ``docs/openapi.json``.

``python -m scrubber.service.openapi > docs/openapi.json`` writes it again
after a change to the routes (a test fails while the two differ).
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from scrubber.service.app import create_app
from scrubber.service.config import ServiceConfig


def document() -> dict[str, Any]:
    """The OpenAPI document of the app (no worker is started for it)."""
    app = create_app(ServiceConfig(spool=Path(tempfile.gettempdir()) / "scrubber-openapi"))
    return app.openapi()


def text() -> str:
    return json.dumps(document(), indent=2, sort_keys=True) + "\n"


def main() -> int:
    sys.stdout.write(text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
