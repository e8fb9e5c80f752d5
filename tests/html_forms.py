"""What a browser sends when a form of a page is submitted as it stands.

The HTML standard's "constructing the entry list", so a test posts exactly what an operator
who changed nothing would post: unchecked boxes and disabled controls are left out, a select
with nothing selected sends its first option, a datetime-local value is normalised (":00"
seconds dropped), a textarea loses the newline after its start tag and sends CRLF line ends.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime
from html.parser import HTMLParser

from werkzeug.datastructures import MultiDict

_SKIPPED_INPUTS = {"submit", "reset", "button", "image", "file"}
_LOCAL_DATETIME = re.compile(r"(\d{4,}-\d\d-\d\dT\d\d:\d\d)(?::(\d\d)(?:\.(\d{1,3}))?)?")


@dataclass
class _Select:
    name: str | None
    multiple: bool
    disabled: bool
    options: list[tuple[str, bool, bool]] = field(default_factory=list)  # value, selected, disabled


class _FormParser(HTMLParser):
    def __init__(self, action: str):
        super().__init__(convert_charrefs=True)
        self.action = action
        self.depth = 0  # > 0 while inside the form we want
        self.found = False
        self.entries: list[tuple[str, str]] = []
        self.disabled_fieldsets = 0
        self.fieldsets: list[bool] = []
        self.select: _Select | None = None
        self.option: dict | None = None
        self.textarea: dict | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            if self.depth:
                self.depth += 1
            elif a.get("action") == self.action and not self.found:
                self.depth, self.found = 1, True
            return
        if not self.depth:
            return
        disabled = "disabled" in a or self.disabled_fieldsets > 0
        if tag == "fieldset":
            self.fieldsets.append("disabled" in a)
            self.disabled_fieldsets += "disabled" in a
        elif tag == "input":
            self._input(a, disabled)
        elif tag == "select":
            self.select = _Select(a.get("name"), "multiple" in a, disabled)
        elif tag == "option" and self.select is not None:
            self.option = {"value": a.get("value"), "selected": "selected" in a,
                           "disabled": "disabled" in a, "text": ""}
        elif tag == "textarea":
            self.textarea = {"name": a.get("name"), "disabled": disabled, "text": ""}

    def handle_endtag(self, tag):
        if tag == "form" and self.depth:
            self.depth -= 1
            return
        if not self.depth:
            return
        if tag == "fieldset" and self.fieldsets:
            self.disabled_fieldsets -= self.fieldsets.pop()
        elif tag == "option":
            self._end_option()
        elif tag == "select" and self.select is not None:
            self._end_option()
            self._select_entries(self.select)
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            text = self.textarea["text"].replace("\r\n", "\n").replace("\r", "\n")
            text = text.removeprefix("\n")  # the parser drops one newline after the start tag
            if self.textarea["name"] and not self.textarea["disabled"]:
                self.entries.append((self.textarea["name"], text.replace("\n", "\r\n")))
            self.textarea = None

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea["text"] += data
        elif self.option is not None:
            self.option["text"] += data

    def _end_option(self):
        if self.option is None:
            return
        value = self.option["value"]
        if value is None:
            value = " ".join(self.option["text"].split())
        self.select.options.append((value, self.option["selected"], self.option["disabled"]))
        self.option = None

    def _select_entries(self, select: _Select):
        if not select.name or select.disabled:
            return
        chosen = [value for value, selected, _ in select.options if selected]
        if not select.multiple:
            if chosen:
                chosen = chosen[-1:]  # the last selected one wins in a single select
            else:  # nothing selected: the browser selects the first enabled option
                chosen = [value for value, _, disabled in select.options if not disabled][:1]
        self.entries.extend((select.name, value) for value in chosen)

    def _input(self, a: dict, disabled: bool):
        name, kind = a.get("name"), a.get("type", "text").lower()
        if not name or disabled or kind in _SKIPPED_INPUTS:
            return
        if kind in ("checkbox", "radio"):
            if "checked" in a:
                self.entries.append((name, a.get("value", "on")))
            return
        value = a.get("value", "")
        value = value.replace("\r", "").replace("\n", "")
        if kind == "email":
            value = value.strip()
        elif kind == "datetime-local":
            value = normalised_local_datetime(value)
        elif kind == "date":
            value = value if _valid_date(value) else ""
        elif kind == "number":
            value = value if re.fullmatch(r"-?\d+(\.\d+)?([eE][-+]?\d+)?", value) else ""
        self.entries.append((name, value))


def _valid_date(value: str) -> bool:
    try:
        datetime.strptime(value, "%Y-%m-%d")
    except ValueError:
        return False
    return True


def normalised_local_datetime(value: str) -> str:
    """The value sanitisation of <input type=datetime-local>: a valid value becomes its
    shortest form (no seconds when they are zero), anything else becomes empty."""
    match = _LOCAL_DATETIME.fullmatch(value)
    if not match:
        return ""
    try:
        datetime.strptime(match.group(1), "%Y-%m-%dT%H:%M")
    except ValueError:
        return ""
    minutes, seconds, fraction = match.groups()
    fraction = (fraction or "").rstrip("0")
    if fraction:
        return f"{minutes}:{seconds}.{fraction}"
    if seconds and seconds != "00":
        return f"{minutes}:{seconds}"
    return minutes


def submitted(page: str, action: str) -> MultiDict:
    """The entries a browser posts for the form of `page` whose action is `action`."""
    parser = _FormParser(action)
    parser.feed(page)
    parser.close()
    assert parser.found, f"no form with action {action!r} on the page"
    return MultiDict(parser.entries)
