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


def start_chromium(profile: Path, width: int, javascript: bool = True):
    """Headless Chromium driven by ChromeDriver (offline: Selenium Manager looks for nothing)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--no-first-run", "--disable-quic", f"--window-size={width},1100", f"--user-data-dir={profile}"):
        options.add_argument(argument)
    if not javascript:
        options.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    os.environ.setdefault("SE_OFFLINE", "true")
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    return driver
