#!/usr/bin/env python3
"""The web interface's page in a real browser (Debian's chromium,
chromium-driver and python3-selenium; headless): log in through the token
URL, add a .mtorrent through the page, watch its progress bar reach 100%,
pause, resume, remove; a torrent named <img src=x onerror=alert(1)>
<script>alert(1) shows as text. Saves a screenshot (MT_WEB_SCREENSHOT, else in the work folder).
Without the browser the suite is skipped, except under CI=true where that
is a failure."""
import os
import shutil
import sys
import tempfile

sys.dont_write_bytecode = True  # leave no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
from mtlib import Suite, bdecode, bencode, tracker_pair, wait_until  # noqa: E402
from prompt_client import Client  # noqa: E402
from web_client import WebDaemon  # noqa: E402

MIB = 1 << 20
TRACKER_FLAGS = ["--interval", "2", "--min-interval", "1", "--peer-timeout", "30"]
# The metainfo parser refuses a '/' in a name, so no closing tag; an <img>
# with onerror runs as soon as it is parsed as HTML (innerHTML would).
HOSTILE = "<img src=x onerror=alert(1)><script>alert(1)"


def browser_missing():
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "python3-selenium is not installed"
    for exe in ("chromium", "chromedriver"):
        if not shutil.which(exe):
            return "%s is not installed" % exe
    return None


def open_browser(suite):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    opts = webdriver.ChromeOptions()
    opts.binary_location = shutil.which("chromium")
    profile = tempfile.mkdtemp(prefix="chromium-", dir=suite.work)
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--user-data-dir=" + profile,
              "--window-size=1280,720", "--disable-dev-shm-usage"):
        opts.add_argument(a)
    return webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=opts)


def hostile_mtorrent(src, dst):
    """A copy of src whose torrent is named HOSTILE (no seeder has it)."""
    m = bdecode(open(src, "rb").read())
    m[b"info"][b"name"] = HOSTILE.encode()
    with open(dst, "wb") as f:
        f.write(bencode(m))


def row(driver, name):
    from selenium.webdriver.common.by import By
    for tr in driver.find_elements(By.CSS_SELECTOR, "#rows tr"):
        if tr.find_element(By.CSS_SELECTOR, "td.name").text == name:
            return tr
    return None


def cell(driver, name, css, prop=None):
    from selenium.webdriver.common.by import By
    tr = row(driver, name)
    if tr is None:
        return None
    e = tr.find_element(By.CSS_SELECTOR, css)
    return e.get_property(prop) if prop else e.text


def the_page(suite):
    from selenium.webdriver.common.by import By
    from selenium.common.exceptions import NoAlertPresentException
    t1, t2 = tracker_pair(suite, extra=TRACKER_FLAGS)
    s = Client(suite, "seeder", t1, t2)
    data = os.path.join(s.dir, "holiday video.bin")
    with open(data, "wb") as f:
        f.write(os.urandom(3 * MIB))
    mt = os.path.join(s.dir, "holiday.mtorrent")
    s.expect('share "%s" "%s"' % (data, mt))
    evil = os.path.join(s.dir, "evil.mtorrent")
    hostile_mtorrent(mt, evil)
    d = WebDaemon(suite, "daemon", t1, t2)
    driver = open_browser(suite)
    try:
        driver.get(d.url)
        assert wait_until(lambda: driver.current_url.endswith(":%d/" % d.web_port), 10), driver.current_url
        assert "token" not in driver.current_url
        driver.find_element(By.ID, "file").send_keys(mt)
        driver.find_element(By.ID, "add-file").click()
        name = "holiday video.bin"
        assert wait_until(lambda: cell(driver, name, "progress", "value") == 1, 60, 0.2), \
            driver.find_element(By.ID, "msg").text
        assert wait_until(lambda: cell(driver, name, "td.state").startswith("seeding"), 10, 0.2)
        # A hostile name is text, and nothing ran.
        driver.find_element(By.ID, "file").send_keys(evil)
        driver.find_element(By.ID, "add-file").click()
        assert wait_until(lambda: row(driver, HOSTILE) is not None, 15, 0.2), \
            driver.find_element(By.ID, "msg").text
        assert not driver.find_elements(By.CSS_SELECTOR, "#rows script, #rows img")
        try:
            driver.switch_to.alert
            raise AssertionError("an alert ran")
        except NoAlertPresentException:
            pass
        row(driver, name).find_element(By.CSS_SELECTOR, "button.pause").click()
        assert wait_until(lambda: cell(driver, name, "td.state").startswith("paused"), 20, 0.2)
        shot = os.environ.get("MT_WEB_SCREENSHOT") or os.path.join(suite.work, "client-web.png")
        driver.save_screenshot(shot)
        row(driver, name).find_element(By.CSS_SELECTOR, "button.resume").click()
        assert wait_until(lambda: cell(driver, name, "td.state").startswith("seeding"), 30, 0.2)
        row(driver, name).find_element(By.CSS_SELECTOR, "button.remove").click()
        assert wait_until(lambda: row(driver, name) is None, 15, 0.2)
        assert row(driver, HOSTILE) is not None
    finally:
        driver.quit()
    d.stop()
    assert d.proc.returncode == 0, d.err()[-300:]
    s.stop()


def main():
    suite = Suite()
    why = browser_missing()
    if why:
        if os.environ.get("CI") == "true":
            print("web_browser: FAIL (%s; install chromium chromium-driver python3-selenium)" % why)
            return 1
        suite.skip("the_page", why)
        return suite.finish()
    return suite.run([the_page])


if __name__ == "__main__":
    sys.exit(main())
