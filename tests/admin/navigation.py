"""Clicking through the admin as staff do: from the index, by a link's text, to a page (never by typing a URL)."""

from __future__ import annotations

import html
import re
from typing import Any

from django.test import Client


def text_of(fragment: str) -> str:
    """An HTML fragment as the text a reader sees (tags dropped, entities decoded, spaces collapsed)."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()


def link(response: Any, text: str) -> str:
    """The href of the link on the page that reads ``text`` (sidebar, table or message), else of the first one
    whose text contains it (icons and badges around it)."""
    page = response.content.decode()
    links = [(html.unescape(href), text_of(body))
             for href, body in re.findall(r'<a[^>]+href="([^"]+)"[^>]*>(.*?)</a>', page, re.S)]
    for href, shown in links:
        if shown == text or shown.endswith(f" {text}"):
            return href
    for href, shown in links:
        if text in shown:
            return href
    raise AssertionError(f"no link {text!r}")


def click(client: Client, response: Any, text: str) -> Any:
    """Follow the link ``text`` on the page; the page it leads to must open (200)."""
    page = client.get(link(response, text))
    assert page.status_code == 200, (text, page.status_code)
    return page


def open_from_index(client: Client, sidebar: str, row: str) -> Any:
    """Admin index → ``sidebar`` (a sidebar entry) → the row whose link reads ``row``."""
    return click(client, click(client, client.get("/admin/"), sidebar), row)


def readonly_fields(response: Any) -> dict[str, str]:
    """A change page's read-only fields as staff read them: label → text."""
    page = response.content.decode()
    pairs = re.findall(r'<label[^>]*>(.*?)</label>\s*</div>\s*<div[^>]*>\s*<div class="readonly[^"]*"[^>]*>(.*?)</div>',
                       page, re.S)
    return {text_of(label).rstrip(":"): text_of(value) for label, value in pairs}


def history_details(response: Any) -> list[str]:
    """The "details" cells of the page's history rows, as text, one per row."""
    page = response.content.decode()
    return [text_of(cell) for cell in re.findall(r'<td class="[^"]*field-details[^"]*"[^>]*>(.*?)</td>', page, re.S)]


def sidebar_link(response: object, title: str) -> str:
    """The href of the link whose text ends with ``title`` (a sidebar entry with its icon before it)."""
    page = response.content.decode()  # type: ignore[attr-defined]
    for href, text in re.findall(r'<a[^>]+href="([^"]+)"[^>]*>(.*?)</a>', page, re.S):
        if re.sub(r"<[^>]+>|\s+", " ", html.unescape(text)).strip().endswith(title):
            return html.unescape(href)
    raise AssertionError(f"no sidebar link {title!r}")


def object_link(response: object, text: str) -> str:
    """The href of the first link whose text (tags dropped) contains ``text``."""
    page = response.content.decode()  # type: ignore[attr-defined]
    for href, body in re.findall(r'<a[^>]+href="([^"]+)"[^>]*>(.*?)</a>', page, re.S):
        if text in html.unescape(re.sub(r"<[^>]+>", "", body)):
            return html.unescape(href)
    raise AssertionError(f"no link {text!r}")
