"""Reading admin pages the way a browser would: the form a page renders, its messages, its buttons; and, in a real
browser, the steps of a role's day with the check that every page reached is sound."""

from __future__ import annotations

import html
import os
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

import pytest
from django.http import HttpResponse
from django.test import Client

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


# In a real browser (Playwright's sync API): the steps a person takes, each followed by the check that the page
# reached is sound: not an error page (403, 404, 500) and every field staff fill in looks like a field.

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
# The marks of a Chromium test module (``pytestmark = BROWSER_TEST``): a live server over a real database.
BROWSER_TEST = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(not Path(CHROMIUM).exists() and not os.environ.get("CI"),
                       reason="needs Debian's chromium (apt-get install chromium); CI installs it"),
]
SCREENSHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"
PASSWORD = "browser-test-pw"

_ERROR_PAGES: WeakKeyDictionary[Any, list[str]] = WeakKeyDictionary()


def watch_error_pages(context: Any) -> list[str]:
    """Records every page a browser context navigates to (any tab, main frame only) that answers 400 or more, as
    "<status> <url>"; ``assert_page_sound`` fails on the first one. Returns the (live) list."""
    failures: list[str] = []

    def seen(response: Any) -> None:
        request = response.request
        if response.status >= 400 and request.is_navigation_request() and request.frame.parent_frame is None:
            failures.append(f"{response.status} {response.url}")

    context.on("response", seen)
    _ERROR_PAGES[context] = failures
    return failures


# For every input, select and textarea a person can see: is it drawn as a field? It is when it has a border
# (any side, at least 1 px) whose colour differs from its own background, or a background distinct from the page
# around it; a box drawn tight around the field (a search box with its icon), or the panel a list box sits in
# (Django's two-pane selector), counts when bordered all round.
# Native checkboxes and radios (``appearance`` not ``none``) are drawn by the browser. Colours are read through a
# 1-pixel canvas, so any CSS colour syntax (oklch, color-mix) compares as the pixels shown.
_INVISIBLE_INPUTS_JS = """
() => {
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 1;
  const ctx = canvas.getContext("2d", {willReadFrequently: true});
  const rgba = (colour) => {
    ctx.clearRect(0, 0, 1, 1);
    ctx.fillStyle = "rgba(0, 0, 0, 0)";
    ctx.fillStyle = colour;
    ctx.fillRect(0, 0, 1, 1);
    const [r, g, b, a] = ctx.getImageData(0, 0, 1, 1).data;
    return [r, g, b, a / 255];
  };
  const over = (top, under) => top.slice(0, 3).map((c, i) => c * top[3] + under[i] * (1 - top[3]));
  const backgroundOf = (element) => {  // what is drawn behind and on the element, composed from the page down
    const layers = [];
    for (let node = element; node && node.nodeType === 1; node = node.parentElement) {
      layers.push(rgba(getComputedStyle(node).backgroundColor));
    }
    return layers.reverse().reduce((under, layer) => over(layer, under), [255, 255, 255]);
  };
  const differ = (a, b) => Math.max(...a.map((c, i) => Math.abs(c - b[i]))) > 8;
  const name = (el) => el.id ? "#" + el.id : `${el.tagName.toLowerCase()}[name=${el.name || "?"}]`;
  const invisible = [];
  for (const input of document.querySelectorAll("input:not([type=hidden]), select, textarea")) {
    // An autocomplete's select is hidden on purpose: the box select2 draws in its place is the field.
    const drawn = input.classList.contains("select2-hidden-accessible") && input.nextElementSibling;
    const el = drawn ? drawn.querySelector(".select2-selection") : input;
    if (!el) continue;
    // A multiple autocomplete's search field sits inside that box (checked through its select above).
    if (!drawn && input.closest(".select2-selection")) continue;
    const box = el.getBoundingClientRect();
    if (box.width <= 2 || box.height <= 2) continue;  // hidden on purpose
    if (!el.checkVisibility({opacityProperty: true, visibilityProperty: true})) continue;
    const style = getComputedStyle(el);
    if (["checkbox", "radio"].includes(el.type) && style.appearance !== "none") continue;
    // The field's frame: the field itself (a border on any side), or a box drawn tight around it (a search box
    // with its icon: a border all round), never a table's cell or row (their rules separate rows, not fields).
    const frames = [el];
    for (let node = el.parentElement, i = 0; node && i < 3; node = node.parentElement, i++) {
      const around = node.getBoundingClientRect();
      const tight = around.height <= box.height + 24 || input.multiple;  // a list box sits in a titled panel
      if (!tight || getComputedStyle(node).display.startsWith("table")) break;
      frames.push(node);
    }
    const framed = (frame) => {
      const look = getComputedStyle(frame);
      const own = backgroundOf(frame);
      const around = frame.parentElement ? backgroundOf(frame.parentElement) : [255, 255, 255];
      const bordered = ["Top", "Right", "Bottom", "Left"][frame === el ? "some" : "every"]((side) => {
        const width = parseFloat(look[`border${side}Width`]);
        const kind = look[`border${side}Style`];
        const colour = rgba(look[`border${side}Color`]);
        return width >= 1 && kind !== "none" && kind !== "hidden" && colour[3] > 0 && differ(over(colour, own), own);
      });
      return bordered || differ(own, around);
    };
    if (!frames.some(framed)) {
      invisible.push(`${name(input)} (border ${style.borderWidth} ${style.borderColor}, ` +
                     `background ${style.backgroundColor})`);
    }
  }
  return invisible;
}
"""


def invisible_inputs(page: Any, settle_ms: int = 3000) -> list[str]:
    """The inputs, selects and textareas shown on the page that do not look like fields (see above).

    A page still being drawn (a tab just shown, an autocomplete's box being built by select2 on a loaded machine)
    can look unfinished for a moment, so a field is reported only if it still looks wrong after ``settle_ms``; a
    field drawn wrong stays wrong and is reported all the same."""
    waited = 0
    while True:
        invisible = list(page.evaluate(_INVISIBLE_INPUTS_JS))
        if not invisible or waited >= settle_ms:
            return invisible
        page.wait_for_timeout(250)
        waited += 250


def assert_page_sound(page: Any) -> None:
    """The page reached is no error page (nor was any page before it) and every field on it is visible."""
    failures = _ERROR_PAGES.get(page.context)
    assert failures is not None, "watch_error_pages(context) was not called (use the browser_page fixture)"
    assert not failures, f"reached an error page: {failures}"
    invisible = invisible_inputs(page)
    if invisible:
        shot(page, "invisible-inputs")
    assert not invisible, f"inputs that do not look like inputs on {page.url}: {invisible}"


def shot(page: Any, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def sign_in(page: Any, live_server: Any, username: str) -> None:
    """The only typed URL: the sign-in page, bookmarked; signing in lands on the admin index (the dashboard)."""
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit], input[type=submit]")
    try:
        page.wait_for_selector("[data-dashboard]", state="attached")
    except Exception:
        shot(page, f"sign-in-failed-{username}")
        raise
    assert_page_sound(page)


def sidebar(page: Any, title: str) -> None:
    page.locator("#nav-sidebar-inner a", has_text=title).first.click()
    page.wait_for_load_state()
    assert_page_sound(page)


def open_row(page: Any, text: str) -> None:
    page.locator("#result_list a", has_text=text).first.click()
    page.wait_for_load_state()
    assert_page_sound(page)


def press(page: Any, selector: str) -> None:
    page.locator(selector).first.click()
    page.wait_for_load_state()
    assert_page_sound(page)


def tab(page: Any, title: str) -> None:
    """Open a tab of the page (Lines, History…): shown in place, so its fields are checked once shown."""
    page.locator("#tabs-items a", has_text=title).first.click()
    assert_page_sound(page)


def message(page: Any, level: str) -> str:
    return page.locator(f".messagelist li.{level}").first.inner_text()


def pick(page: Any, select_id: str, text: str) -> None:
    """Choose ``text`` in an autocomplete (select2) field, as a person does: open, type, click the option."""
    page.locator(f"#{select_id} + .select2 .select2-selection").click()
    page.locator(".select2-container--open .select2-search__field").fill(text)
    page.locator(".select2-results__option", has_text=text).first.click()


def figures(response: Any) -> dict[str, tuple[str, str]]:
    """The dashboard's figures: label -> (value, link)."""
    page = response.content.decode()
    found = {}
    for href, label, body in re.findall(r'<a href="([^"]+)" data-figure="([^"]+)">(.*?)</a>', page, re.S):
        value = re.search(r'<span class="figure-value">(.*?)</span>', body, re.S)
        found[html.unescape(label)] = (html.unescape(value.group(1)).strip(), html.unescape(href))
    return found


def listed(client: Client, link: str) -> set[str]:
    response = client.get(link)
    assert response.status_code == 200, link
    return {str(obj.pk) for obj in response.context["cl"].result_list}
