"""Shared pieces of the server-rendered apps (storefront, back office): one copy, imported by both."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, FileSystemLoader

HERE = Path(__file__).parent
SHARED_TEMPLATES = HERE / "templates"
SHARED_STATIC = HERE / "static"
# Where both apps serve SHARED_STATIC (the design tokens): under their own /static.
SHARED_STATIC_PATH = "/static/comune"


def app_templates(directory: Path) -> Jinja2Templates:
    """An app's templates, falling back to the shared ones (the form macros) by the same name."""
    templates = Jinja2Templates(directory=directory)
    templates.env.loader = ChoiceLoader([FileSystemLoader(directory),
                                         FileSystemLoader(SHARED_TEMPLATES)])
    return templates


def mount_static(app: FastAPI, directory: Path) -> None:
    """The shared files first (a mount matches by prefix, /static would swallow them), then the
    app's own."""
    app.mount(SHARED_STATIC_PATH, StaticFiles(directory=SHARED_STATIC), name="static-comune")
    app.mount("/static", StaticFiles(directory=directory), name="static")
