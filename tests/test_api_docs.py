"""/docs in a real browser: Swagger UI 5 (served from the flask-swagger-ui package, no
CDN) renders the OpenAPI 3.1 document and shows every one of its operations. Debian's
headless Chromium driven by Selenium, with JavaScript on (Swagger UI is a script),
against pytest-flask's live server. Screenshot: ``test-artifacts/docs.png``.

Without Chromium these tests are skipped, except in CI (``CI`` set)."""
import os
import shutil
from pathlib import Path

import pytest

from loaders.load import load_paths
from tests.conftest import SEEDS

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
ARTIFACTS = Path(os.environ.get("OGI_TEST_ARTIFACTS", Path(__file__).parent.parent / "test-artifacts"))
METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


if not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)):
    if os.environ.get("CI"):
        raise RuntimeError("CI needs Chromium and ChromeDriver (.ci/run installs chromium and chromium-driver)")
    pytest.skip("Debian's chromium and chromium-driver are not installed", allow_module_level=True)

from selenium import webdriver  # noqa: E402 (only with a browser to drive)
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    """SQLite with the seeds (the live server, one for the session, serves it from a fork)."""
    from api import create_app
    from models import open_database

    tmp_path = tmp_path_factory.mktemp("docs")
    url = f"sqlite:///{tmp_path / 'docs.sqlite3'}"
    open_database(url)
    assert load_paths(SEEDS).failed == 0
    return create_app({"DATABASE_URL": url, "TESTING": True, "RATELIMIT_ENABLED": False,
                       "EXPORT_DIR": str(tmp_path / "exports")})


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--no-first-run", "--disable-quic", "--window-size=1400,1100",
                     f"--user-data-dir={tmp_path_factory.mktemp('chromium-docs')}"):
        options.add_argument(argument)
    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager must not look for drivers online
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def operations(spec: dict) -> list[tuple[str, str]]:
    return sorted((method, path) for path, item in spec["paths"].items() for method in item if method in METHODS)


def test_docs_render_every_operation_of_the_document(browser, live_server, client):
    expected = operations(client.get("/v1/openapi.json").json)
    browser.get(live_server.url("/docs"))
    wait = WebDriverWait(browser, 30)
    wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, ".opblock, .errors-wrapper"),
               message="Swagger UI rendered neither operations nor an error")
    assert not browser.find_elements(By.CSS_SELECTOR, ".errors-wrapper"), \
        browser.find_element(By.CSS_SELECTOR, ".errors-wrapper").text
    assert "Unable to render this definition" not in browser.page_source
    wait.until(lambda b: len(b.find_elements(By.CSS_SELECTOR, ".opblock")) >= len(expected),
               message="Swagger UI shows fewer operations than the document has")
    blocks = browser.find_elements(By.CSS_SELECTOR, ".opblock")
    shown = sorted((block.find_element(By.CSS_SELECTOR, ".opblock-summary-method").text.lower(),
                    block.find_element(By.CSS_SELECTOR, ".opblock-summary-path").get_attribute("data-path"))
                   for block in blocks)
    assert len(blocks) == len(expected) and shown == expected
    assert browser.find_element(By.CSS_SELECTOR, ".info .title").text.startswith("ogi-api")
    # everything the page loaded came from this server: no CDN, works offline
    loaded = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert loaded and all(url.startswith(live_server.url("/")) for url in loaded), loaded
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "docs.png"))
    assert (ARTIFACTS / "docs.png").stat().st_size > 10_000
