#!/usr/bin/env python3
"""The web interface's page in a real browser (Debian's chromium,
chromium-driver and python3-selenium; headless), against a tracker pair and
a seeding client:
  the_page     log in through the token URL; add a .mtorrent through the
               page and watch its progress reach 100% as the client pushes
               it (the page says it is live); the detail view (the file, a
               peer, both trackers with one in use, the piece map drawn);
               the rate graph and the log; pause, resume, verify; search
               the seeder's published name and get it in one click; remove
               with the data deleted and without; a torrent whose name and
               file paths are HTML shows them as text, in the list and in
               the detail view. Saves a screenshot with the detail view
               (MT_WEB_SCREENSHOT, else in the work folder).
  refusals     the page without the token, under a foreign Host name (DNS
               rebinding), and a form on another origin posting to it.
Without the browser the suite is skipped, except under CI=true where that
is a failure."""
import http.server
import os
import shutil
import sys
import tempfile
import threading

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
HOSTILE_PATH = ["<script>alert(2)", "<img src=y onerror=alert(3)>.bin"]
REBOUND = "rebound.example"  # resolves to 127.0.0.1 in our browser only


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
              "--window-size=1280,1000", "--disable-dev-shm-usage",
              "--host-resolver-rules=MAP %s 127.0.0.1" % REBOUND):
        opts.add_argument(a)
    return webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=opts)


def hostile_mtorrent(src, dst):
    """A copy of src named HOSTILE, its one file at HOSTILE_PATH (no seeder
    has it)."""
    m = bdecode(open(src, "rb").read())
    info = m[b"info"]
    info[b"name"] = HOSTILE.encode()
    info[b"files"] = [{b"length": info.pop(b"length"), b"path": [p.encode() for p in HOSTILE_PATH]}]
    with open(dst, "wb") as f:
        f.write(bencode(m))


def by_css(driver, css):
    from selenium.webdriver.common.by import By
    return driver.find_elements(By.CSS_SELECTOR, css)


def text_of(driver, element_id):
    from selenium.webdriver.common.by import By
    return driver.find_element(By.ID, element_id).text


def click(driver, element_id):
    from selenium.webdriver.common.by import By
    driver.find_element(By.ID, element_id).click()


def row(driver, name):
    for tr in by_css(driver, "#rows tr"):
        if tr.find_element("css selector", "td.name").text == name:
            return tr
    return None


def cell(driver, name, css, prop=None):
    tr = row(driver, name)
    if tr is None:
        return None
    e = tr.find_element("css selector", css)
    return e.get_property(prop) if prop else e.text


def state_is(driver, name, state, timeout=30):
    return wait_until(lambda: cell(driver, name, "td.state").startswith(state), timeout, 0.2)


def no_markup_ran(driver):
    from selenium.common.exceptions import NoAlertPresentException
    assert not by_css(driver, "#rows script, #rows img, #detail script, #detail img, #log img"), \
        "a name became markup"
    try:
        driver.switch_to.alert
        raise AssertionError("an alert ran")
    except NoAlertPresentException:
        pass


def add_file(driver, path):
    from selenium.webdriver.common.by import By
    driver.find_element(By.ID, "file").send_keys(path)
    click(driver, "add-file")


def remove(driver, name, delete_data):
    row(driver, name).find_element("css selector", "button.remove").click()
    assert wait_until(lambda: by_css(driver, "#remove-dialog")[0].get_property("open"), 5, 0.1)
    assert text_of(driver, "rm-name") == name
    if delete_data:
        click(driver, "rm-data")
    click(driver, "rm-ok")
    assert wait_until(lambda: row(driver, name) is None, 15, 0.2), text_of(driver, "msg")


def tab_rows(driver, tab, css):
    by_css(driver, '#tabs .tab[data-tab="%s"]' % tab)[0].click()
    return by_css(driver, "#d-%s tbody tr %s" % (tab, css))


def pieces_drawn(driver):
    """(pieces, have, the RGBA of the map's middle pixel)."""
    return driver.execute_script(
        "const c = document.getElementById('pieces');"
        "const p = c.getContext('2d').getImageData(c.width >> 1, c.height >> 1, 1, 1).data;"
        "return [Number(c.dataset.count), Number(c.dataset.have), Array.from(p)];")


def detail_view(driver, name):
    """Opens `name`'s details and checks the file, a peer, the trackers and
    the piece map."""
    row(driver, name).find_element("css selector", "td.name").click()
    assert wait_until(lambda: text_of(driver, "d-name") == name, 10, 0.1)
    assert wait_until(lambda: [td.text for td in tab_rows(driver, "files", "td.path")] == [name], 10, 0.2), \
        text_of(driver, "d-msg")
    assert wait_until(lambda: any(td.text.startswith("127.0.0.1:")
                                  for td in tab_rows(driver, "peers", "td.address")), 20, 0.3), \
        [tr.text for tr in by_css(driver, "#d-peers tbody tr")]
    urls = lambda: [td.text for td in tab_rows(driver, "trackers", "td.url")]  # noqa: E731
    assert wait_until(lambda: len(urls()) == 2, 10, 0.2), urls()
    in_use = lambda: len(by_css(driver, "#d-trackers td.in-use.yes"))  # noqa: E731
    assert wait_until(lambda: in_use() == 1, 20, 0.3), [tr.text for tr in by_css(driver, "#d-trackers tbody tr")]
    count, have, rgba = pieces_drawn(driver)
    assert count == 6 and have == 6, (count, have)
    assert rgba[1] > 150 and rgba[0] < 100 and rgba[3] == 255, rgba  # green: had
    tab_rows(driver, "files", "td.path")


def search_and_get(driver, d, name):
    from selenium.webdriver.common.by import By
    driver.find_element(By.ID, "search-q").send_keys(name.split()[0])
    click(driver, "search-go")
    hit = lambda: [tr for tr in by_css(driver, "#hit-rows tr")  # noqa: E731
                   if tr.find_element("css selector", "td.name").text == name]
    assert wait_until(lambda: hit(), 15, 0.2), text_of(driver, "search-msg")
    hit()[0].find_element("css selector", "button.get").click()
    assert wait_until(lambda: cell(driver, name, "progress", "value") == 1, 60, 0.2), text_of(driver, "msg")
    assert os.path.exists(os.path.join(d.downloads, name))


def seeder(suite, t1, t2):
    """A prompt client sharing (and so publishing) two files."""
    s = Client(suite, "seeder", t1, t2)
    paths = {}
    for name, size in (("holiday video.bin", 3 * MIB), ("sunset timelapse.bin", 2 * MIB)):
        data = os.path.join(s.dir, name)
        with open(data, "wb") as f:
            f.write(os.urandom(size))
        paths[name] = os.path.join(s.dir, name.split()[0] + ".mtorrent")
        s.expect('share "%s" "%s"' % (data, paths[name]))
    s.expect("limit up 1024")  # KiB/s: a download takes seconds, and shows on the graph
    return s, paths


def the_page(suite):
    t1, t2 = tracker_pair(suite, extra=TRACKER_FLAGS)
    s, mts = seeder(suite, t1, t2)
    evil = os.path.join(s.dir, "evil.mtorrent")
    hostile_mtorrent(mts["holiday video.bin"], evil)
    d = WebDaemon(suite, "daemon", t1, t2)
    driver = open_browser(suite)
    try:
        driver.get(d.url)
        assert wait_until(lambda: driver.current_url.endswith(":%d/" % d.web_port), 10), driver.current_url
        assert "token" not in driver.current_url
        assert wait_until(lambda: text_of(driver, "conn") == "live", 10, 0.1), text_of(driver, "conn")
        name = "holiday video.bin"
        add_file(driver, mts[name])
        assert wait_until(lambda: cell(driver, name, "progress", "value") == 1, 60, 0.2), text_of(driver, "msg")
        assert state_is(driver, name, "seeding", 10)
        assert text_of(driver, "conn") == "live", "the page fell back to polling"
        detail_view(driver, name)
        # The rate graph saw the download (a sample above its 1 KiB/s floor),
        # the log tail has what the client said.
        rates_max = lambda: float(by_css(driver, "#rates")[0].get_attribute("data-max") or 0)  # noqa: E731
        assert wait_until(lambda: rates_max() > 1024, 15, 0.3), rates_max()
        assert wait_until(lambda: "web interface" in text_of(driver, "log"), 15, 0.3), text_of(driver, "log")[-300:]
        row(driver, name).find_element("css selector", "button.pause").click()
        assert state_is(driver, name, "paused", 20)
        row(driver, name).find_element("css selector", "button.resume").click()
        assert state_is(driver, name, "seeding", 30)
        row(driver, name).find_element("css selector", "button.verify").click()
        assert wait_until(lambda: text_of(driver, "msg") and "error" not in
                          (by_css(driver, "#msg")[0].get_attribute("class") or ""), 10, 0.2), text_of(driver, "msg")
        assert state_is(driver, name, "seeding", 30)
        other = "sunset timelapse.bin"
        search_and_get(driver, d, other)
        # The picture in the README: two transfers, a search, the details.
        assert wait_until(lambda: int(by_css(driver, "#rates")[0].get_attribute("data-samples") or 0) >= 8, 15, 0.3)
        tab_rows(driver, "trackers", "td.url")
        driver.set_window_size(1280, 1120)
        shot = os.environ.get("MT_WEB_SCREENSHOT") or os.path.join(suite.work, "client-web.png")
        driver.save_screenshot(shot)
        driver.set_window_size(1280, 1000)
        remove(driver, other, delete_data=True)
        assert wait_until(lambda: not os.path.exists(os.path.join(d.downloads, other)), 10, 0.2), \
            "remove with the data deleted left the file"
        remove(driver, name, delete_data=False)
        assert os.path.exists(os.path.join(d.downloads, name)), "remove without deleting lost the file"
        # Hostile names and paths are text, in the list and in the details.
        add_file(driver, evil)
        assert wait_until(lambda: row(driver, HOSTILE) is not None, 15, 0.2), text_of(driver, "msg")
        row(driver, HOSTILE).find_element("css selector", "td.name").click()
        assert wait_until(lambda: text_of(driver, "d-name") == HOSTILE, 10, 0.1)
        want = "/".join(HOSTILE_PATH)
        assert wait_until(lambda: [td.text for td in tab_rows(driver, "files", "td.path")] == [want], 10, 0.2), \
            [td.text for td in by_css(driver, "#d-files td.path")]
        no_markup_ran(driver)
    finally:
        driver.quit()
    d.stop()
    assert d.proc.returncode == 0, d.err()[-300:]
    s.stop()


class AttackPage(http.server.BaseHTTPRequestHandler):
    """Another origin's page: a form that posts to the client by itself."""
    target = ""

    def do_GET(self):
        body = ('<!DOCTYPE html><form id="f" method="POST" action="%s">'
                '<input name="id" value="x"></form><script>document.getElementById("f").submit()</script>'
                % self.target).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def refusals(suite):
    t1, t2 = tracker_pair(suite, extra=TRACKER_FLAGS)
    d = WebDaemon(suite, "guarded", t1, t2)
    base = "http://127.0.0.1:%d/" % d.web_port
    AttackPage.target = base + "api/pause"
    attacker = http.server.HTTPServer(("127.0.0.1", 0), AttackPage)
    serving = threading.Thread(target=attacker.serve_forever)
    serving.start()
    driver = open_browser(suite)
    try:
        driver.get(base)  # no token, no cookie
        assert "Not logged in" in driver.page_source and not by_css(driver, "#rows"), driver.page_source[:300]
        # A name that resolves to us is not us, even with the token.
        driver.get("http://%s:%d/?token=%s" % (REBOUND, d.web_port, d.token))
        assert "BAD_HOST" in driver.page_source, driver.page_source[:300]
        # Logged in, then a page of another origin posts a form to us: the
        # cookie goes along (same site), the Origin check refuses it.
        driver.get(d.url)
        assert wait_until(lambda: text_of(driver, "conn") == "live", 10, 0.1)
        driver.get("http://127.0.0.1:%d/" % attacker.server_address[1])
        assert wait_until(lambda: "BAD_ORIGIN" in driver.page_source, 10, 0.1), driver.page_source[:300]
    finally:
        driver.quit()
        attacker.shutdown()
        serving.join()
        attacker.server_close()
    d.stop()
    assert d.proc.returncode == 0, d.err()[-300:]


def main():
    suite = Suite()
    why = browser_missing()
    if why:
        if os.environ.get("CI") == "true":
            print("web_browser: FAIL (%s; install chromium chromium-driver python3-selenium)" % why)
            return 1
        for case in ("the_page", "refusals"):
            suite.skip(case, why)
        return suite.finish()
    return suite.run([the_page, refusals])


if __name__ == "__main__":
    sys.exit(main())
