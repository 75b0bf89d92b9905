"""Heading anchors as JupyterLab makes them, so that a notebook's links to `other.ipynb#Some-heading`
resolve on the website exactly as they do in JupyterLab: the heading's text, spaces made hyphens."""


def slugify(title: str) -> str:
    return title.replace(" ", "-")
