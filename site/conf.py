"""Sphinx configuration of the course website.

tools/site.py copies this folder into a scratch source tree (build/site-src/) next to the staged
notebooks and runs Sphinx there; site_context.json is written by that staging step.
"""
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))  # jupyterlab_slugs

_context = json.loads((Path(__file__).parent / "site_context.json").read_text(encoding="utf-8"))
_repo = _context.get("repository_url")

project = "nn.Module from the inside"
html_title = project
language = "en"

extensions = ["myst_nb", "sphinx_external_toc"]
external_toc_path = "_toc.yml"
templates_path = ["_templates"]
exclude_patterns = ["_extra", "_*.md", "**/.ipynb_checkpoints", "site_context.json"]

# The notebooks are shown with the outputs stored in them; nothing is executed.
nb_execution_mode = "off"
nb_merge_streams = True
myst_heading_anchors = 6
myst_heading_slug_func = "jupyterlab_slugs.slugify"  # links written for JupyterLab resolve here too

html_theme = "sphinx_book_theme"
html_static_path = ["_static"]
html_css_files = ["site.css"]
html_extra_path = ["_extra"]        # the exercise notebooks to download, the licence
html_copy_source = False            # no modified copies of the notebooks for download
html_show_sourcelink = False
html_show_copyright = False
html_last_updated_fmt = None
html_context = {"repository_url": _repo, "has_license": _context.get("license", False)}

html_theme_options = {
    "home_page_in_toc": True,
    "show_navbar_depth": 1,
    "show_toc_level": 2,
    "use_download_button": False,   # the exercise pages have their own download box
    "use_fullscreen_button": False,
    "use_repository_button": bool(_repo),
    "repository_url": _repo or "",
    "repository_branch": "main",
    "footer_content_items": ["course-footer.html"],
    # Work around pydata-sphinx-theme issue #2451 (0.17+ with sphinx-book-theme): unless
    # navbar_persistent is set, the theme renders a hidden header bar with a second
    # `.primary-toggle` button before the book theme's own, its script wires only the first, and
    # the menu button that a phone shows does nothing. With it empty, no header bar and no
    # duplicate: the book theme's buttons (menu, search, page contents) work at every width.
    "navbar_persistent": [],
}
