"""/docs in a real browser: Swagger UI 5 (served from the flask-swagger-ui package, no
CDN) renders the OpenAPI 3.1 document and shows every one of its operations. Debian's
headless Chromium driven by Selenium, with JavaScript on (Swagger UI is a script),
served over HTTP from a thread. Screenshot: ``test-artifacts/docs.png``.

Without Chromium these tests are skipped, except in CI (``CI`` set)."""
import json
import threading
import urllib.request

import pytest

from loaders.load import load_paths
from tests.browser import ARTIFACTS, require_browser, start_chromium
from tests.conftest import SEEDS

METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


require_browser()

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The app over SQLite with the seeds, served over HTTP from a thread (its own
    server: pytest-flask's live server is one per session, for one app)."""
    from werkzeug.serving import make_server

    from api import create_app
    from models import open_database

    tmp_path = tmp_path_factory.mktemp("docs")
    url = f"sqlite:///{tmp_path / 'docs.sqlite3'}"
    open_database(url)
    assert load_paths(SEEDS).failed == 0
    app = create_app({"DATABASE_URL": url, "TESTING": True, "RATELIMIT_ENABLED": False,
                      "EXPORT_DIR": str(tmp_path / "exports")})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(10)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    driver = start_chromium(tmp_path_factory.mktemp('chromium-docs'), 1400)
    yield driver
    driver.quit()


def operations(spec: dict) -> list[tuple[str, str]]:
    return sorted((method, path) for path, item in spec["paths"].items() for method in item if method in METHODS)


def test_docs_render_every_operation_of_the_document(browser, served):
    with urllib.request.urlopen(f"{served}/v1/openapi.json", timeout=10) as response:
        expected = operations(json.load(response))
    browser.get(f"{served}/docs")
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
    assert loaded and all(url.startswith(f"{served}/") for url in loaded), loaded
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "docs.png"))
    assert (ARTIFACTS / "docs.png").stat().st_size > 10_000
