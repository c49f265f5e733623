"""Check that the built site works as a folder handed out on a USB stick: offline, with no server.

    mkdocs build --strict && python docs/check_offline.py            # checks site/
    python docs/check_offline.py --site /tmp/site-build --screenshots shots/

Two checks, on the HTML that ``mkdocs build`` wrote:

1. **Links are files.** Every relative link of every page (``href`` and ``src``) names a file
   that exists in the built folder. A link to a directory (``autodiff/``) works behind a web
   server, which answers with its ``index.html``, but from ``file://`` a browser shows a
   directory listing: ``use_directory_urls: false`` in mkdocs.yml is what makes them files.
2. **The maths renders with no network.** Every page holding maths (arithmatex's
   ``class="arithmatex"`` spans) is opened from ``file://`` in headless Chromium with the network
   cut (its own network namespace where ``unshare -n`` is allowed, and in any case every host
   name made unresolvable and every request sent to a closed proxy). After MathJax has run, each
   maths span must hold a ``mjx-container`` (MathJax's output), none may hold an ``mjx-merror``
   (TeX it could not parse), and the page's visible text must hold no ``\\(`` or ``\\[``: the TeX
   source a reader would see if MathJax were fetched from a CDN that cannot be reached.

Chromium is Debian's ``chromium`` package (``apt-get install -y chromium``); without it, check 2
is skipped with a message, or fails under ``--require-browser`` (as in CI). The exit status is 1
when a check fails, each failure printed on one line.
"""
import argparse
import html.parser
import pathlib
import shutil
import subprocess
import sys
import tempfile
import urllib.parse

ROOT = pathlib.Path(__file__).resolve().parent.parent
CHROMIUM = ("chromium", "chromium-browser", "google-chrome")
# Chromium, headless, with everything that would reach a network turned off or pointed nowhere.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9",
         "--virtual-time-budget=10000"]


class _Page(html.parser.HTMLParser):
    """A page's relative links, the visible text outside MathJax's output, and its maths spans.

    ``maths`` counts arithmatex spans; ``rendered`` those that hold an ``mjx-container``;
    ``errors`` the ``mjx-merror`` elements; ``text`` is what a reader sees as text: everything
    but scripts, styles and MathJax's containers (whose assistive MathML holds no TeX)."""

    SKIP = {"script", "style", "mjx-container"}
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self):
        super().__init__()
        self.links, self.text = [], []
        self.maths = self.rendered = self.errors = 0
        self._skip = 0            # depth inside script/style/mjx-container
        self._maths_depth = []    # for each open arithmatex span: the depth of tags inside it
        self._rendered_here = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in ("href", "src"):
            if attrs.get(name):
                self.links.append(attrs[name])
        if tag == "mjx-merror":
            self.errors += 1
        if tag in self.VOID:       # no end tag follows: it opens nothing
            return
        if self._maths_depth:
            self._maths_depth[-1] += 1
            if tag == "mjx-container":
                self._rendered_here[-1] = True
        if tag in ("span", "div") and "arithmatex" in (attrs.get("class") or "").split():
            self.maths += 1
            self._maths_depth.append(0)
            self._rendered_here.append(False)
        if tag in self.SKIP:
            self._skip += 1

    def handle_startendtag(self, tag, attrs):   # <path ... />: opens and closes at once
        self.handle_starttag(tag, attrs)
        if tag not in self.VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        if tag in self.SKIP and self._skip:
            self._skip -= 1
        if self._maths_depth:
            if self._maths_depth[-1] == 0:
                self._maths_depth.pop()
                self.rendered += self._rendered_here.pop()
            else:
                self._maths_depth[-1] -= 1

    def handle_data(self, data):
        if not self._skip:
            self.text.append(data)


def parse(html_text):
    page = _Page()
    page.feed(html_text)
    page.close()
    return page


def broken_links(site, page_path):
    """The relative links of one built page that do not name an existing file, as 'page: link (why)'."""
    problems = []
    for link in parse(page_path.read_text(encoding="utf-8")).links:
        url = urllib.parse.urlsplit(link)
        if url.scheme or url.netloc or not url.path:      # another site, mailto:, or #anchor on this page
            continue
        target = (page_path.parent / urllib.parse.unquote(url.path)).resolve()
        where = f"{page_path.relative_to(site)}: {link}"
        if target.is_dir():
            problems.append(f"{where} (a directory: from file:// a browser lists it instead of opening a page)")
        elif not target.is_file():
            problems.append(f"{where} (no such file)")
    return problems


def maths_pages(site):
    return sorted(p for p in site.rglob("*.html") if 'class="arithmatex"' in p.read_text(encoding="utf-8"))


def find_chromium():
    return next((shutil.which(name) for name in CHROMIUM if shutil.which(name)), None)


def _offline_prefix():
    """``unshare -n`` (a network namespace with no interface but loopback, which is down) where allowed."""
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, "-n", "true"], capture_output=True).returncode == 0:
        return [unshare, "-n"]
    return []


def render(chromium, page_path, screenshot=None, prefix=()):
    """The DOM of ``page_path`` after its scripts ran in offline Chromium (and a PNG if asked)."""
    with tempfile.TemporaryDirectory() as profile:
        command = [*prefix, chromium, *FLAGS, f"--user-data-dir={profile}"]
        url = page_path.resolve().as_uri()
        if screenshot:
            subprocess.run([*command, "--window-size=1280,1600", f"--screenshot={screenshot}", url],
                           capture_output=True, timeout=120, check=True)
        done = subprocess.run([*command, "--dump-dom", url], capture_output=True, timeout=120, check=True)
    return done.stdout.decode("utf-8")


def maths_problems(chromium, site, page_path, screenshot=None, prefix=()):
    """What is wrong with one page's maths after offline rendering, as lines (none when it is right)."""
    page = parse(render(chromium, page_path, screenshot, prefix))
    name = page_path.relative_to(site)
    problems = []
    if page.maths == 0:
        problems.append(f"{name}: no maths spans after rendering (did the page load?)")
    if page.rendered < page.maths:
        problems.append(f"{name}: {page.maths - page.rendered} of {page.maths} formulas not rendered by MathJax")
    if page.errors:
        problems.append(f"{name}: {page.errors} MathJax errors (mjx-merror)")
    text = " ".join(page.text)
    for delimiter in ("\\(", "\\["):
        at = text.find(delimiter)
        if at >= 0:
            problems.append(f"{name}: TeX source in the visible text: {text[at:at + 60]!r}")
    return problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--site", default=str(ROOT / "site"), help="the folder mkdocs build wrote")
    parser.add_argument("--pages", nargs="*", help="maths pages to open, relative to SITE; if not given, every one")
    parser.add_argument("--screenshots", help="folder for PNGs of the home page and the first maths page")
    parser.add_argument("--require-browser", action="store_true", help="fail, not skip, when Chromium is absent")
    args = parser.parse_args(argv)
    site = pathlib.Path(args.site).resolve()
    if not (site / "index.html").is_file():
        sys.exit(f"check_offline: no built site in {site} (run `mkdocs build --strict` first)")

    # 404.html is what a web server answers for a missing page, its links from the server's root:
    # not a page of the folder
    pages = [page for page in sorted(site.rglob("*.html")) if page.relative_to(site) != pathlib.Path("404.html")]
    problems = [problem for page in pages for problem in broken_links(site, page)]
    print(f"links: {len(problems)} broken in {len(pages)} pages")

    chromium = find_chromium()
    if chromium is None:
        message = "check_offline: no Chromium found (apt-get install -y chromium): the maths was not checked"
        if args.require_browser:
            problems.append(message)
        else:
            print(message)
    else:
        prefix = _offline_prefix()
        pages = [site / p for p in args.pages] if args.pages else maths_pages(site)
        shots = pathlib.Path(args.screenshots) if args.screenshots else None
        if shots:
            shots.mkdir(parents=True, exist_ok=True)
            render(chromium, site / "index.html", shots / "home.png", prefix)
        for i, page in enumerate(pages):
            shot = shots / (page.stem + ".png") if shots and i == 0 else None
            problems += maths_problems(chromium, site, page, shot, prefix)
        print(f"maths: {len(pages)} pages opened offline from file:// "
              f"({'unshare -n, ' if prefix else ''}no DNS, closed proxy)")
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
