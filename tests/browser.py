"""What the browser tests share: Debian's Chromium and ChromeDriver, where screenshots
go, and the rule that without a browser they are skipped except in CI (``CI`` set),
where .ci/run installs it and a skip would hide a failure."""
import os
import shutil
from pathlib import Path

import pytest

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
ARTIFACTS = Path(os.environ.get("OGI_TEST_ARTIFACTS", Path(__file__).parent.parent / "test-artifacts"))


def require_browser() -> None:
    """Skip the calling test module when there is no browser to drive (fail in CI)."""
    if not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)):
        if os.environ.get("CI"):
            raise RuntimeError("CI needs Chromium and ChromeDriver (.ci/run installs chromium and chromium-driver)")
        pytest.skip("Debian's chromium and chromium-driver are not installed", allow_module_level=True)
