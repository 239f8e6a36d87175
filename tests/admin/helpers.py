"""Reading admin pages the way a browser would: the form a page renders, its messages, its buttons."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

from django.http import HttpResponse

_SKIPPED_INPUTS = {"submit", "button", "reset", "image", "file"}


class _FormReader(HTMLParser):
    """Collects what submitting ``<form id=...>`` would send: inputs (checked boxes only), the selected option
    of each select, textareas. Submit buttons are left out: the caller names the one it presses."""

    def __init__(self, form_id: str) -> None:
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.data: dict[str, str] = {}
        self.select: str | None = None
        self.textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = attr.get("id") == self.form_id
        elif not self.inside:
            return
        elif tag == "option" and self.select:
            if "selected" in attr:
                self.data[self.select] = attr.get("value", "")
        elif "name" not in attr:
            return
        elif tag == "input":
            kind = attr.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in attr:
                    self.data[attr["name"]] = attr.get("value", "on")
            elif kind not in _SKIPPED_INPUTS:
                self.data[attr["name"]] = attr.get("value", "")
        elif tag == "select":
            self.select = attr["name"]
            self.data.setdefault(self.select, "")
        elif tag == "textarea":
            self.textarea = attr["name"]
            self.data[self.textarea] = ""

    def handle_data(self, data: str) -> None:
        if self.textarea:
            self.data[self.textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None


def page_form(response: HttpResponse, form_id: str) -> dict[str, str]:
    """The data a browser would post from the page's form ``form_id`` (empty inline templates left out)."""
    assert response.status_code == 200, response.status_code
    reader = _FormReader(form_id)
    reader.feed(response.content.decode())
    return {k: v for k, v in reader.data.items() if "__prefix__" not in k and k != "csrfmiddlewaretoken"}


def management(prefix: str, total: int = 0, initial: int = 0) -> dict[str, str]:
    """An inline's management form: every inline on an admin page needs one in a POST."""
    return {f"{prefix}-TOTAL_FORMS": str(total), f"{prefix}-INITIAL_FORMS": str(initial),
            f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000"}


_MESSAGES = re.compile(r'<ul class="messagelist[^"]*"[^>]*>(.*?)</ul><!-- /messagelist -->', re.S)
_ITEM = re.compile(r'<li class="([^"]*)">(.*?)</li>\s*(?=<li class=|$)', re.S)


def page_messages(response: HttpResponse) -> list[tuple[str, str]]:
    """The admin messages shown on the page, as (level, text)."""
    found = _MESSAGES.search(response.content.decode())
    if not found:
        return []
    return [(level or "", html.unescape(re.sub(r"<[^>]+>", "", text)).strip())
            for level, text in _ITEM.findall(found.group(1))]


def messages_text(response: HttpResponse, level: str | None = None) -> str:
    """The page's messages (only those of ``level`` if given: success, warning, error) joined by " | "."""
    return " | ".join(text for lvl, text in page_messages(response) if level is None or level in lvl.split())


def data_attrs(response: HttpResponse, attr: str) -> set[str]:
    """The values of ``data-<attr>`` on the page: ``data_attrs(r, "action")`` for the invoice buttons."""
    return set(re.findall(rf'data-{attr}="([^"]+)"', response.content.decode()))


def move_buttons(response: HttpResponse) -> set[str]:
    """The transition buttons (``data-move``) of an order page, leaving out hold and release-hold."""
    return data_attrs(response, "move") - {"hold", "release-hold"}


def form_errors(response: HttpResponse) -> str:
    """The text of every error shown on the page (form, formset and field errors, as Unfold draws them: error lists,
    error notes and the red error lines under fields) joined by " | "."""
    page = response.content.decode()
    found = re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', page, re.S)
    found += re.findall(r'<div class="errornote[^"]*">(.*?)</div>', page, re.S)
    found += re.findall(r'<div class="mt-2 text-red-600 text-xs dark:text-red-500">(.*?)</div>', page, re.S)
    return " | ".join(" ".join(html.unescape(re.sub(r"<[^>]+>", " ", item)).split()) for item in found)


_BUTTONS = {"release-hold": ("move", "release-hold"), "invoice-issue": ("action", "issue")}


def button_link(response: HttpResponse, attr: str, value: str) -> str:
    """The URL of the page's button (an Unfold action link) marked ``data-<attr>="<value>"``."""
    page = response.content.decode()
    for tag in re.findall(r"<a\b[^>]*>", page, re.S):
        if f'data-{attr}="{value}"' in tag:
            found = re.search(r'href="([^"]+)"', tag)
            assert found, tag
            return html.unescape(found.group(1))
    raise AssertionError(f"no button data-{attr}={value!r} on the page")


def hidden_form(response: HttpResponse, form_id: str) -> tuple[str, dict[str, str]]:
    """What pressing a state-changing button (``data-post``: confirm, mark delivered, release hold, issue) sends:
    a POST to the button's URL with the page's CSRF token (the back-office's script does this in a browser).
    ``form_id`` names the button as the page's old forms did: ``move-<status>``, ``release-hold``,
    ``invoice-issue``."""
    attr, value = _BUTTONS.get(form_id) or ("move", form_id.removeprefix("move-"))
    page = response.content.decode()
    url = button_link(response, attr, value)
    assert re.search(rf'data-{attr}="{re.escape(value)}"[^>]*data-post', page) or \
        re.search(rf'data-post[^>]*data-{attr}="{re.escape(value)}"', page), f"{form_id} is not a POST button"
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token, "no CSRF token on the page"
    return url, {"csrfmiddlewaretoken": token.group(1)}
