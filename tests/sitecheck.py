"""Test-side helpers for the course website (tools/site.py): build it, check its links, scan it.

The solution scan reads ``solutions/*/*.ipynb`` here, in the tests, never in the build.
"""
from __future__ import annotations

import importlib.util
import json
import re
import resource
import shutil
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from course import ROOT


def load_site_module():
    """tools/site.py as a module (tools/ is not a package)."""
    spec = importlib.util.spec_from_file_location("course_site", ROOT / "tools" / "site.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def course_subset(dest: Path) -> Path:
    """A copy of only what the website may read: the three inputs, the README and the licences."""
    dest.mkdir(parents=True)
    shutil.copy(ROOT / "START_HERE.ipynb", dest)
    for path in [ROOT / "README.md", *ROOT.glob("LICENSE*")]:
        if path.is_file():
            shutil.copy(path, dest)
    ignore = shutil.ignore_patterns(".ipynb_checkpoints")
    shutil.copytree(ROOT / "lessons", dest / "lessons", ignore=ignore)
    shutil.copytree(ROOT / "exercises", dest / "exercises", ignore=ignore)
    return dest


def _cpu_seconds() -> float:
    """CPU time of this process and of the child processes it has waited for (Sphinx runs as one)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def build_site(tmp: Path) -> tuple[Path, Path, float, float]:
    """Build the site from a course subset under ``tmp``; return (output, staged source, wall
    seconds, CPU seconds). CPU time is what the build costs whatever else the machine is doing."""
    site = load_site_module()
    out, src = tmp / "site", tmp / "site-src"
    subset = course_subset(tmp / "course")
    cpu = _cpu_seconds()
    wall = site.build(out=out, stage_dir=src, root=subset)
    return out, src, wall, _cpu_seconds() - cpu


# --- links -----------------------------------------------------------------------------------

class _Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.refs: list[tuple[str, str, str]] = []   # (tag, attribute, value)
        self.ids: set[str] = set()
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("name"):
            self.ids.add(attrs["name"])
        for key in ("href", "src"):
            if attrs.get(key) is not None:
                self.refs.append((tag, key, attrs[key]))

    def handle_data(self, data):
        self.text.append(data)


def parse_page(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    page.close()
    return page


def resolve(site: Path, page: Path, ref: str) -> tuple[Path | None, str]:
    """The file a relative href/src of ``page`` points to (None for an external one) and its anchor."""
    parts = urlsplit(ref)
    if parts.scheme or parts.netloc:
        return None, ""
    if not parts.path:
        return page, unquote(parts.fragment)
    target = (page.parent / unquote(parts.path)).resolve()
    if parts.path.endswith("/") or target.is_dir():
        target = target / "index.html"
    return target, unquote(parts.fragment)


def broken_links(site: Path) -> tuple[list[str], int]:
    """Every href/src of every HTML page that does not resolve (anchors included); and how many were checked."""
    site = site.resolve()
    # _static/ holds the theme's Jinja macro files (never served as pages), not pages of the site
    pages = {p: parse_page(p) for p in site.rglob("*.html") if "_static" not in p.relative_to(site).parts}
    broken, checked = [], 0
    for path, page in pages.items():
        for tag, key, ref in page.refs:
            if ref.startswith(("mailto:", "javascript:", "data:")):
                continue
            target, anchor = resolve(site, path, ref)
            if target is None:
                continue
            checked += 1
            where = f"{path.relative_to(site)}: <{tag} {key}={ref!r}>"
            if site not in target.parents or not target.is_file():
                broken.append(f"{where} -> missing {target}")
            elif anchor and target.suffix == ".html" and anchor not in (pages.get(target) or parse_page(target)).ids:
                broken.append(f"{where} -> no id {anchor!r} in {target.relative_to(site)}")
    return broken, checked


def external_assets(site: Path) -> list[str]:
    """Scripts, styles, images or fonts loaded from another host (the site must work offline)."""
    found = []
    for path in site.rglob("*.html"):
        for tag, key, ref in parse_page(path).refs:
            loaded = key == "src" or tag == "link"   # <a href> is a link to follow, not a resource
            if loaded and (urlsplit(ref).scheme or ref.startswith("//")):
                found.append(f"{path.relative_to(site)}: <{tag} {key}={ref!r}>")
    return found


# --- solution and hidden-test text --------------------------------------------------------------

MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
_BLOCK = re.compile(r"### BEGIN (SOLUTION|HIDDEN TESTS)\n(.*?)### END \1", re.S)


def normalize(text: str) -> str:
    return " ".join(text.split())


@dataclass(frozen=True)
class Secret:
    """One block of reference-answer or hidden-test code from a solution notebook."""

    where: str        # "solutions/04_initialization ex04_init_normal (SOLUTION)"
    text: str         # whitespace-normalized


def secrets(root: Path = ROOT) -> list[Secret]:
    """Every BEGIN/END SOLUTION and BEGIN/END HIDDEN TESTS body of ``solutions/*/*.ipynb``."""
    found = []
    for path in sorted(root.glob("solutions/*/*.ipynb")):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id", cell.get("id"))
            for kind, body in _BLOCK.findall(source):
                if normalize(body):
                    found.append(Secret(f"solutions/{path.parent.name} {grade_id} ({kind})", normalize(body)))
    return found


def _notebook_text(nb: dict) -> str:
    parts = []
    for cell in nb.get("cells", []):
        src = cell.get("source", "")
        parts.append(src if isinstance(src, str) else "".join(src))
        for output in cell.get("outputs", []):
            for value in [output.get("text", "")] + list(output.get("data", {}).values()):
                if isinstance(value, (list, str)) and not str(value).startswith("iVBOR"):
                    parts.append(value if isinstance(value, str) else "".join(map(str, value)))
    return "\n".join(parts)


TEXT_SUFFIXES = {".html", ".js", ".css", ".txt", ".json", ".ipynb", ".md", ".py", ".xml", ".svg", ".yml"}


def site_text(site: Path) -> dict[Path, str]:
    """What each text file of the site says: an HTML page's text, a notebook's cells, else the file."""
    texts = {}
    for path in sorted(p for p in site.rglob("*") if p.is_file() and p.suffix in TEXT_SUFFIXES):
        raw = path.read_text(encoding="utf-8", errors="replace")
        if path.suffix == ".html":
            texts[path] = "".join(parse_page(path).text) + "\n" + raw
        elif path.suffix == ".ipynb":
            texts[path] = _notebook_text(json.loads(raw)) + "\n" + raw
        else:
            texts[path] = raw
    return texts


def inputs_text(notebooks: list[Path]) -> str:
    """The learner-facing notebooks' own text (whatever they show on purpose is not a leak of the build)."""
    return normalize("\n".join(_notebook_text(json.loads(p.read_text(encoding="utf-8"))) for p in notebooks))


@dataclass
class Scan:
    leaks: list[str] = field(default_factory=list)
    shown_by_inputs: list[str] = field(default_factory=list)   # secrets the committed notebooks show themselves
    checked: int = 0


def scan(site: Path, secret_list: list[Secret], published: str) -> Scan:
    """Markers anywhere in the site; every secret found in the site that the inputs do not show."""
    result = Scan()
    texts = {path: (text, normalize(text)) for path, text in site_text(site).items()}
    for path, (text, flat) in texts.items():
        for marker in MARKERS:
            if marker in text:
                result.leaks.append(f"{path.relative_to(site)}: {marker!r}")
    for secret in secret_list:
        if secret.text in published:
            result.shown_by_inputs.append(secret.where)
            continue
        result.checked += 1
        for path, (_, flat) in texts.items():
            if secret.text in flat:
                result.leaks.append(f"{path.relative_to(site)}: the code of {secret.where}")
    return result
