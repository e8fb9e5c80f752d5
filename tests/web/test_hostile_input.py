"""No 500 on any input (issue 9, section 3).

Every route of the app, as an admin, with whole classes of hostile values: NUL and other
control characters, integers beyond the database's ranges, Unicode digits that
str.isdigit() accepts, "numbers" that Decimal and float accept (NaN, 1e999), dates at the
edges of the calendar, strings longer than any column, missing fields; in the query string,
in the path parameters, in every field of every form (found by reading the pages, as a
browser would) and in every upload (plus empty, over-large and binary files, and CSV cells
beyond the csv module's field limit). Every answer must be below 500, and nothing may
change in the database: a fingerprint of every table (row count and a digest of every row)
is taken before and after, leaving out only what a request may legitimately write (the
sign-in records of a refused sign-in).

A form whose every field is free text may legitimately take a value such as "１２３" or
"9999-12-31" (a memo may say that); those endpoints are listed in FREE_TEXT, and only for
the value classes that are valid text. The slow variant sends every form as its page fills
it with one field at a time hostile, so that a field refusing a value cannot hide another
field's failure.
"""

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from io import BytesIO
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import sqlalchemy as sa
from flask import Blueprint
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Rule
from werkzeug.routing.converters import NumberConverter

from oms import validation
from oms.access import Access, access
from oms.extensions import db
from oms.models import (
    AccountType,
    BankAccount,
    CustomFieldCategory,
    FieldType,
    LineStatus,
    MallKind,
    Media,
    Order,
    OrderLine,
    OrderStatus,
    PaymentKind,
    PaymentStatus,
    User,
)
from oms.services import marketplace_jobs
from tests import bulk_support
from tests.conftest import AuthActions, csrf_token, switch_to_english
from tests.web.routing import PUBLIC, World, make_world, rules

# One value per class of hostile input; each field of a form gets the same value.
HOSTILE: dict[str, str] = {
    "nul": "1\x00",
    "control": "1\x01\x08\x1b[2J\x7f",
    "int4_over": "2147483648",
    "int8_over": "9223372036854775808",
    "int_huge": "99999999999999999999",
    "int_huge_negative": "-99999999999999999999",
    "fullwidth_digits": "１２３",
    "arabic_digit": "٣",
    "superscript_digit": "²",
    "not_a_number": "NaN",
    "exponent": "1e999",
    "year_1": "0001-01-01",
    "year_9999": "9999-12-31",
    "date_zero": "0000-00-00",
    "long": "長" * 5000,
}
# The same classes as a datetime-local field sends them.
AS_DATETIME = {"year_1": "0001-01-01T00:00", "year_9999": "9999-12-31T23:59",
               "date_zero": "0000-00-00T00:00"}
# Classes that no field may take; the others are harmless text that a free-text field may
# store as it is.
NEVER_VALID = {"nul", "control", "long"}
VALID_TEXT = set(HOSTILE) - NEVER_VALID
# The classes tried one query parameter at a time (all of them are tried all at once).
PER_PARAMETER = ("nul", "int_huge", "fullwidth_digits", "superscript_digit", "not_a_number",
                 "year_1", "year_9999", "long")

# Endpoints whose every field is free text or a plain on/off choice, so that VALID_TEXT
# values (and an empty form, where nothing is required) are valid answers.
FREE_TEXT = {
    "orders.add_memo",
    "orders.edit_memo",
    "orders.save_preset",
    "orders.rename_preset",
    "orders.designate_blacklist",
    "orders.custom_fields_save",
    "custom_fields.new_category",
    "custom_fields.edit_category",
    # A list's row: names are free text and the position a number typed in any width.
    "masters.new",
    "masters.edit",
    # Each system mail's on/off is a checkbox: a form with none ticked turns them all off.
    "mail.system_mails",
    # A Rakuten shop's 楽天カード決済API switch is one checkbox: unticked turns it off.
    "shops.rakuten_card",
}
# What a refused sign-in may write (it counts towards the lock).
SIGN_IN_ACTIONS = ("login", "login_failed", "login_locked", "logout")
# Buttons of one row inside the order list's form: they act on their row whatever else
# the form holds (the checked rows and the search are the other buttons'), and check only
# its token.
ROW_BUTTONS = {"marketplaces.link_order", "marketplaces.refresh_order"}
# Buttons over "every order of the search": a form with nothing but its token is the
# empty search, every order, as on the unfiltered list (a job is recorded). They share
# the list's form with other buttons and read only these of its fields.
WHOLE_SEARCH = {
    "orders.export": {"scope", "search", "order_id", "encoding"},
    "marketplaces.refresh_all": {"scope", "search", "order_id"},
    "marketplaces.link_all": {"scope", "search", "order_id"},
}
# One-button forms that pages show only in some states (a finished job, a checked upload,
# a blacklisted customer, a mall shop): their path parameters are walked all the same.
SHOWN_SOMETIMES = {"bulk.undo", "marketplaces.inventory_apply", "notifications.cancel",
                   "orders.release_blacklist", "shops.poll", "orders.shipment_import_apply",
                   "shipping_export.run", "orders.report_order_again", "deferred.run",
                   "deferred.apply", "mail.run",
                   "mail.resend_failed"}
# Query parameters every page is tried with, besides those its own links and forms use.
COMMON_PARAMETERS = ("page", "per_page", "q", "tab", "sort", "state", "selection", "op",
                     "shop_id", "next", "preset", "accepted", "encoding", "select")
PAGES_PER_KIND = 3
HOSTILE_PATH_INTS = ("2147483648", "9223372036854775808", "99999999999999999999")
HOSTILE_PATH_TEXT = ("1%00", "%01%1b", "%EF%BC%91%EF%BC%92%EF%BC%93", "%C2%B2", "x" * 3000)


# ----------------------------------------------------------------------- reading pages

@dataclass
class Field:
    name: str
    kind: str  # input type, "select", "select-multiple", "textarea" or "submit"
    value: str | None  # what a browser sends untouched; None: nothing (unchecked)
    options: list[str] = field(default_factory=list)


@dataclass
class Form:
    method: str
    action: str
    fields: list[Field] = field(default_factory=list)
    formactions: list[str] = field(default_factory=list)

    def names(self) -> list[str]:
        seen = []
        for f in self.fields:
            if f.kind != "submit" and f.name != "csrf_token" and f.name not in seen:
                seen.append(f.name)
        return seen

    def files(self) -> list[str]:
        return [f.name for f in self.fields if f.kind == "file"]

    def variants(self) -> list[MultiDict]:
        """The defaults, and each choice of each radio group and select on its own."""
        out = [self.defaults()]
        for f in self.fields:
            if f.kind in ("radio", "select"):
                for option in f.options:
                    data = self.defaults()
                    data.setlist(f.name, [option])
                    out.append(data)
        return out

    def defaults(self) -> MultiDict:
        return MultiDict([(f.name, f.value) for f in self.fields
                          if f.value is not None and f.kind not in ("submit", "file")])


class Page(HTMLParser):
    """The forms and links of a page."""

    def __init__(self, url: str, html: str):
        super().__init__(convert_charrefs=True)
        self.url = url
        self.forms: list[Form] = []
        self.links: list[str] = []
        self._form: Form | None = None
        self._select: Field | None = None
        self._textarea: Field | None = None
        self.feed(html)
        self.close()

    def _resolve(self, target: str | None) -> str:
        if not target:
            return self.url
        if target.startswith("?"):
            return urlsplit(self.url).path + target
        return target

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "a" and a.get("href", "").startswith(("/", "?")):
            self.links.append(self._resolve(a["href"]))
        elif tag == "form":
            self._form = Form((a.get("method") or "get").lower(), self._resolve(a.get("action")))
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag in ("input", "button"):
            kind = a.get("type", "text" if tag == "input" else "submit").lower()
            if kind in ("submit", "image") and a.get("formaction"):
                self._form.formactions.append(self._resolve(a["formaction"]))
            if not a.get("name") or kind in ("reset", "button", "image"):
                return
            value = a.get("value", "on" if kind in ("checkbox", "radio") else "")
            if kind == "radio":  # one field per group, its values as options
                group = next((f for f in self._form.fields
                              if f.kind == "radio" and f.name == a["name"]), None)
                if group is None:
                    group = Field(a["name"], "radio", None)
                    self._form.fields.append(group)
                group.options.append(value)
                if "checked" in a:
                    group.value = value
                return
            if kind == "checkbox" and "checked" not in a:
                value = None
            self._form.fields.append(Field(a["name"], kind, value))
        elif tag == "select" and a.get("name"):
            kind = "select-multiple" if "multiple" in a else "select"
            self._select = Field(a["name"], kind, None)
            self._form.fields.append(self._select)
        elif tag == "option" and self._select is not None:
            value = a.get("value", "")
            self._select.options.append(value)
            if "selected" in a or (self._select.value is None and self._select.kind == "select"):
                self._select.value = value
        elif tag == "textarea" and a.get("name"):
            self._textarea = Field(a["name"], "textarea", "")
            self._form.fields.append(self._textarea)

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea.value += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            if self._textarea is not None and self._textarea.value.startswith("\n"):
                self._textarea.value = self._textarea.value[1:]
            self._textarea = None

    def all_forms(self) -> list[Form]:
        """Each form once per action it can be sent to (its formaction buttons too)."""
        out = []
        for form in self.forms:
            out.append(form)
            out += [Form("post", target, form.fields) for target in form.formactions]
        return out


# ----------------------------------------------------------------------- the database

def fingerprint(session) -> dict[str, tuple[int, str]]:
    """Row count and a digest of every table, but what a request may write anyway."""
    session.rollback()
    out = {}
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.c if not (table.name == "users" and c.name == "last_login_at")]
        query = sa.select(*columns).order_by(*(list(table.primary_key.columns) or columns))
        if table.name == "audit_events":
            query = query.where(table.c.action.not_in(SIGN_IN_ACTIONS))
        if table.name == "order_status_counts":  # folded on read: compare the sums
            query = (sa.select(table.c.status, sa.func.sum(table.c.n))
                     .group_by(table.c.status).order_by(table.c.status))
        rows = session.execute(query).all()
        out[table.name] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())
    session.rollback()
    return out


def changed(before: dict, after: dict) -> list[str]:
    return sorted(name for name in before if before[name] != after[name])


# ----------------------------------------------------------------------- the walk

@dataclass
class Walk:
    """An admin's client over a world of real rows, and what a crawl of it found."""

    app: object
    client: object
    session: object
    world: World
    pages: dict[str, Page] = field(default_factory=dict)

    def endpoint(self, url: str) -> str | None:
        try:
            return self.app.url_map.bind("localhost").match(
                urlsplit(url).path, method="GET")[0]
        except HTTPException:
            return None

    def post_endpoint(self, url: str) -> tuple[str, dict] | None:
        try:
            return self.app.url_map.bind("localhost").match(urlsplit(url).path, method="POST")
        except HTTPException:
            return None

    def crawl(self, starts: list[str], limit: int = 300) -> None:
        """Breadth first over links and GET forms (as they are, and with each choice of
        their radios and selects): a page per path and set of query parameters, at most
        PAGES_PER_KIND per endpoint, bulk operation (whose options differ) and status tab
        (whose controls differ)."""
        queue, seen, per_kind = list(starts), set(), Counter()
        while queue and len(self.pages) < limit:
            url = queue.pop(0)
            endpoint = self.endpoint(url)
            if endpoint is None or endpoint in ("static", "auth.login"):
                continue
            parts = urlsplit(url)
            query = dict(parse_qsl(parts.query))
            kind = (endpoint, query.get("op"), query.get("tab"))
            signature = (parts.path, frozenset(query), kind)
            if signature in seen or per_kind[kind] >= PAGES_PER_KIND:
                continue
            seen.add(signature)
            per_kind[kind] += 1
            response = self.client.get(url)
            if response.status_code != 200 or response.mimetype != "text/html":
                response.close()
                continue
            page = Page(url, response.text)
            self.pages[url] = page
            queue += page.links
            for form in page.forms:
                if form.method == "get":
                    path = urlsplit(form.action).path
                    queue += [path + "?" + urlencode(list(data.items(multi=True)))
                              for data in form.variants()]

    def page_kinds(self) -> dict[str, list[str]]:
        """One page per endpoint (and bulk operation), with the query parameters that any
        page of that kind was seen with."""
        kinds: dict[tuple, tuple[str, list[str]]] = {}
        for url in self.pages:
            query = parse_qsl(urlsplit(url).query)
            kind = (self.endpoint(url), dict(query).get("op"))
            _first, names = kinds.setdefault(kind, (url, []))
            names += [k for k, _v in query if k not in names]
        for page in self.pages.values():  # and the fields of the GET forms aimed at it
            for form in page.forms:
                if form.method != "get":
                    continue
                kind = (self.endpoint(form.action), form.defaults().get("op"))
                if kind in kinds:
                    names = kinds[kind][1]
                    names += [k for k in form.names() if k not in names]
        return dict(kinds.values())

    def post_forms(self) -> dict[str, list[Form]]:
        """The POST forms found, by endpoint; each distinct set of fields once."""
        found: dict[str, list[Form]] = {}
        keys = set()
        for page in self.pages.values():
            for form in page.all_forms():
                match = self.post_endpoint(form.action) if form.method == "post" else None
                if match is None:
                    continue
                key = (match[0], tuple(sorted(form.names())))
                if key not in keys:
                    keys.add(key)
                    found.setdefault(match[0], []).append(form)
        return found

    def token(self) -> str:
        return csrf_token(self.client)

    def signed_in(self) -> bool:
        response = self.client.get("/orders/?per_page=25")
        response.close()
        return response.status_code == 200


@pytest.fixture
def walk(app, client, users, factory, session, tmp_path) -> Walk:
    world = make_world(session, factory, users["admin"], tmp_path / "exports")
    _richer_world(session, factory, world)
    assert AuthActions(client).login("admin").status_code == 303
    walk = Walk(app, client, session, world)
    # A bulk selection, so that the wizard's steps (one per operation) can be crawled.
    response = client.post("/bulk/start", data={"csrf_token": walk.token(),
                                                "order_id": str(world.order.id)})
    assert response.status_code == 303, response.text[:300]
    starts = [world.url(rule) for rule in rules(app, "GET") if rule.endpoint not in PUBLIC]
    bulk_job, mall_job = world.more["bulk_job"], world.more["mall_job"]
    bank = session.get(Order, world.more["bank_order"]).order_number
    starts[:0] = [f"/bulk/jobs/{bulk_job}", f"/bulk/jobs/{bulk_job}/items",
               f"/bulk/jobs/{bulk_job}/undo", f"/marketplaces/jobs/{mall_job}",
               f"/orders/{bank}"]
    walk.crawl([response.headers["Location"], *starts])
    return walk


def _richer_world(session, factory, world: World) -> None:
    """Every kind of custom field (so the order's custom field form has number, date and
    choice inputs), a category that repeats, and orders in other tabs."""
    category = CustomFieldCategory(name="hostile-multi", multiple=True)
    session.add(category)
    session.flush()
    for kind in FieldType:
        choices = ["a", "b"] if kind.has_choices else []
        factory.custom_field(kind, name=f"hostile-{kind.value}", choices=choices,
                             category_id=category.id if kind is FieldType.text else None)
    other = factory.order(status=OrderStatus.shipping)
    factory.order(status=OrderStatus.cancelled)
    factory.order(shop=factory.shop(MallKind.rakuten), status=OrderStatus.new)
    # A bank transfer waiting for its money: the detail page's 入金確認 and 決済銀行変更.
    session.add(BankAccount(bank_name="walk", branch_name="walk", account_number="1",
                            account_type=AccountType.ordinary, holder_kana="ウォーク"))
    bank = factory.order(
        payment_method=factory.payment_method(PaymentKind.prepaid_bank),
        status=OrderStatus.awaiting_payment, payment_status=PaymentStatus.unpaid,
        lines=[OrderLine(line_no=1, mall_product_code="P-1", product_name="walk", quantity=1,
                         unit_price=1, status=LineStatus.awaiting_payment)])
    world.more["bank_order"] = bank.id
    session.commit()
    # A bulk job and a mall job (queued; no worker runs them), for their pages.
    owner = session.get(User, world.notification.user_id)
    bulk_job = bulk_support.start(session, owner, [other], "shipping_hold", {"hold": "on"})
    mall_job = marketplace_jobs.start_refresh(session, owner, "", "ja")
    session.commit()
    world.more.update(bulk_job=bulk_job.id, mall_job=mall_job.id)


def _value(cls: str, kind: str) -> str:
    return AS_DATETIME.get(cls, HOSTILE[cls]) if kind == "datetime-local" else HOSTILE[cls]


def _check(response, what, wrong: list) -> None:
    """No answer >= 500, and no value that only the database refused (its refusal page
    is the last line of defence: a form or service must have refused it first)."""
    refused_by_database = b'data-refused-by="database"' in response.get_data()
    response.close()
    if response.status_code >= 500 or refused_by_database:
        wrong.append((what, response.status_code))


# ----------------------------------------------------------------------- the tests

def test_the_crawl_found_every_route(app, walk):
    """The walk below proves something only if it reached every page and every form."""
    got = {walk.endpoint(url) for url in walk.pages}
    missing = {r.endpoint for r in rules(app, "GET")} - got - PUBLIC - {
        "notifications.download", "bulk.items_csv", "main.index",  # not HTML / a redirect
        "shipping_export.yupri_filter",  # a CSV
        # Opened by the list's POST for a selection; its bad settings are in its own tests.
        "shipping_export.settings", "deferred.preview", "mail.compose"}
    assert not missing, f"pages the crawl never reached: {sorted(missing)}"
    forms = walk.post_forms()
    missing = {r.endpoint for r in rules(app, "POST")} - set(forms) - PUBLIC - SHOWN_SOMETIMES
    assert not missing, f"POST routes without a form on any page: {sorted(missing)}"


def test_hostile_query_strings(walk):
    """Every kind of page with hostile query parameters: all of them (its own and the
    common ones) at once for every class, then each of its own, one at a time, for the
    classes in PER_PARAMETER."""
    wrong, changes = [], []
    before = fingerprint(walk.session)
    for url, seen in walk.page_kinds().items():
        parts = urlsplit(url)
        base = parse_qsl(parts.query, keep_blank_values=True)
        names = list(dict.fromkeys([*seen, *COMMON_PARAMETERS]))
        for cls, value in HOSTILE.items():
            query = urlencode([(name, value) for name in names])
            _check(walk.client.get(f"{parts.path}?{query}"), (url, "all", cls), wrong)
        for name in seen:
            for cls in PER_PARAMETER:
                query = urlencode([(k, v) for k, v in base if k != name] + [(name, HOSTILE[cls])])
                _check(walk.client.get(f"{parts.path}?{query}"), (url, name, cls), wrong)
        after = fingerprint(walk.session)
        if after != before:
            changes.append((url, changed(before, after)))
            before = after
    assert walk.signed_in()
    assert not wrong, f"{len(wrong)} answers >= 500: {wrong[:40]}"
    assert not changes, f"GET requests changed rows: {changes}"


def _hostile_urls(walk: Walk, rule: Rule) -> list[str]:
    urls = []
    for name, converter in rule._converters.items():
        values = walk.world.values(rule)
        numeric = isinstance(converter, NumberConverter)
        sentinel = 987654321 if numeric else "SENTINEL"
        url = rule.build({**values, name: sentinel}, append_unknown=False)[1]
        for sample in HOSTILE_PATH_INTS if numeric else HOSTILE_PATH_TEXT:
            urls.append(url.replace(str(sentinel), sample))
    return urls


def test_hostile_path_parameters(app, walk):
    """Every route with a path parameter, that parameter out of range or hostile: a 404
    (or a refusal), never a 500, and nothing changed, for GET and for POST."""
    wrong, changes = [], []
    before = fingerprint(walk.session)
    forms = walk.post_forms()
    for rule in app.url_map.iter_rules():
        if not rule.arguments or rule.endpoint == "static":
            continue
        for url in _hostile_urls(walk, rule):
            if "GET" in rule.methods:
                _check(walk.client.get(url), ("GET", url), wrong)
            if "POST" in rule.methods:
                data = MultiDict(forms[rule.endpoint][0].defaults() if rule.endpoint in forms
                                 else {})
                data["csrf_token"] = walk.token()
                response = walk.client.post(url, data=data)
                _check(response, ("POST", url), wrong)
                if response.status_code < 400:
                    wrong.append((url, response.status_code, "accepted"))
            after = fingerprint(walk.session)
            if after != before:
                changes.append((url, changed(before, after)))
                before = after
    assert walk.signed_in()
    assert not wrong, wrong
    assert not changes, changes


def _hostile_data(form: Form, cls: str, token: str) -> MultiDict:
    data = MultiDict([("csrf_token", token)])
    for f in form.fields:
        if f.kind in ("submit", "file") or f.name == "csrf_token":
            continue
        if cls != "missing":
            data.add(f.name, _value(cls, f.kind))
    for name in form.files():
        data.add(name, (BytesIO(f"注文番号\r\n{HOSTILE.get(cls, '')}\r\n".encode()), "h.csv"))
    return data


def _post_client(walk: Walk, endpoint: str):
    """Sign-in, sign-out and language go through a client of their own, so that the walk's
    client stays signed in."""
    if endpoint not in ("auth.login", "auth.logout", "auth.language"):
        return walk.client
    client = walk.app.test_client()
    if endpoint == "auth.logout":
        AuthActions(client).login("admin")
    return client


def test_hostile_form_fields(walk):
    """Every form, every field (hidden ones too) holding the same hostile value, and the
    form sent with nothing but its token ("missing")."""
    wrong, changes = [], []
    before = fingerprint(walk.session)
    classes = [*HOSTILE, "missing"]
    for endpoint, forms in sorted(walk.post_forms().items()):
        for form in forms:
            if not form.names():
                continue  # a one-button form: see test_hostile_path_parameters
            for cls in classes:
                client = _post_client(walk, endpoint)
                data = _hostile_data(form, cls, csrf_token(client))
                response = client.post(form.action, data=data)
                _check(response, (endpoint, form.action, cls), wrong)
                after = fingerprint(walk.session)
                if after != before:
                    allowed = ((endpoint in FREE_TEXT and cls in {*VALID_TEXT, "missing"})
                               or endpoint in ROW_BUTTONS
                               or (endpoint in WHOLE_SEARCH and cls == "missing"))
                    if not allowed:
                        changes.append((endpoint, form.action, cls, response.status_code,
                                        changed(before, after)))
                    before = after
    assert walk.signed_in()
    assert not wrong, f"{len(wrong)} answers >= 500: {wrong}"
    assert not changes, f"{len(changes)} hostile posts changed rows: {changes}"


# ----------------------------------------------------------------------- uploads

# The header row of each upload, so that the hostile rows below it are read as data.
UPLOAD_HEADERS = {
    "bulk.csv_upload": "注文番号",
    "marketplaces.inventory_upload": "sku,location,stock",
    "orders.shipment_import_upload": "注文番号,配送伝票番号,配送業者,出荷日",
    "deferred.import_credit": ("shop_transaction_id,np_transaction_id,authori_result,"
                               "authori_ng,authori_hold"),
    "deferred.import_ship": "np_transaction_id,result,message",
    "shops.import_mappings": "shop,product_code,option,sku",
}
BIG_CELL = "9" * 140_000  # beyond the csv module's field limit (131,072)
# Uploads stay below 500 kB, beyond which the test client spools them to files.
UPLOAD_LIMIT = 400 * 1024  # the walk lowers the upload limit to this


def _upload_files(header: str) -> dict[str, tuple[bytes, str]]:
    """Hostile files: every cell of a row holding one class's value, and whole files that
    are empty, binary, oversized or not CSV at all."""
    width = header.count(",") + 1
    files = {cls: (f"{header}\r\n{','.join([value] * width)}\r\n".encode(), "h.csv")
             for cls, value in HOSTILE.items()}
    half = BIG_CELL[:len(BIG_CELL) // 2]
    files |= {
        "big_cell": (f"{header}\r\n{BIG_CELL}{',x' * (width - 1)}\r\n".encode(), "h.csv"),
        "big_quoted_cell": (f'{header}\r\n"{half}\r\n{half}"\r\n'.encode(), "h.csv"),
        "empty": (b"", "h.csv"),
        "header_only": (f"{header}\r\n".encode(), "h.csv"),
        "binary": (bytes(range(256)) * 64, "h.csv"),
        "not_text": (b"\x89PNG\r\n\x1a\n" + bytes(1000), "h.png"),
        "cp932_broken": (header.encode("cp932") + b"\r\n\x82\r\n", "h.csv"),
        "nul_file_name": (f"{header}\r\n".encode(), "h\x00.csv"),
        "too_large": (b"x" * (UPLOAD_LIMIT + 1), "h.csv"),
    }
    return files


def test_hostile_uploads(app, walk):
    """Every upload form with hostile files: a readable refusal, never a 500, and nothing
    stored (not even a checked upload that could never be applied)."""
    forms = {endpoint: fs for endpoint, fs in walk.post_forms().items()
             if any(f.files() for f in fs)}
    assert set(forms) == set(UPLOAD_HEADERS), "a new upload: give its header above"
    wrong, changes = [], []
    before = fingerprint(walk.session)
    limit = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = UPLOAD_LIMIT
    try:
        for endpoint, (form, *_others) in sorted(forms.items()):
            for cls, (content, name) in _upload_files(UPLOAD_HEADERS[endpoint]).items():
                data = MultiDict([("csrf_token", walk.token())])
                data.add(form.files()[0], (BytesIO(content), name))
                response = walk.client.post(form.action, data=data)
                _check(response, (endpoint, cls), wrong)
                if response.status_code < 400:
                    wrong.append((endpoint, cls, response.status_code, "accepted"))
                after = fingerprint(walk.session)
                if after != before:
                    changes.append((endpoint, cls, changed(before, after)))
                    before = after
    finally:
        app.config["MAX_CONTENT_LENGTH"] = limit
    assert not wrong, wrong
    assert not changes, changes


def test_an_over_large_cell_is_one_bad_line(walk, factory, session):
    """A cell beyond the csv module's field limit is reported on its line, and the lines
    after it are read: in the order-number CSV and in the stock CSV."""
    second = factory.order()
    session.commit()
    body = f"注文番号\r\n{walk.world.order.order_number}\r\n{BIG_CELL}\r\n{second.order_number}\r\n"
    response = walk.client.post("/bulk/csv", data={
        "csrf_token": walk.token(), "file": (BytesIO(body.encode()), "numbers.csv")})
    assert response.status_code == 303, response.text[:500]  # its result page (PRG)
    page = walk.client.get(response.location).text
    assert 'data-csv-found="2"' in page and 'data-csv-line="3"' in page
    assert "131,072" in page

    body = f"sku,location,stock\r\nWALK-1,main,5\r\nWALK-1,{BIG_CELL},1\r\nWALK-1,sub,2\r\n"
    response = walk.client.post("/marketplaces/inventory/upload", data={
        "csrf_token": walk.token(), "file": (BytesIO(body.encode()), "stock.csv")})
    assert response.status_code == 303
    page = walk.client.get(response.location).text
    assert 'data-good-rows="2"' in page and 'data-bad-rows="1"' in page
    assert "131,072" in page


# ----------------------------------------------------------------------- searches for jobs

BAD_SEARCHES = ("date_from=0001-01-01", "date_to=9999-12-31", "date_from=0000-00-00",
                "shop_id=99999999999999999999", "shop_id=%C2%B2", "tag_id=%EF%BC%91",
                "per_page=%D9%A3", "page=99999999999999999999", "tab=nope",
                "tab=new&status=shipped")
SEARCH_ACTIONS = ("/orders/export", "/orders/confirm", "/bulk/start", "/marketplaces/refresh",
                  "/marketplaces/link", "/marketplaces/shipping-info",
                  "/marketplaces/inventory/download", "/orders/allocate")


def test_a_bad_search_is_refused_before_any_job(walk):
    """全注文更新, download, link, bulk select-all and the other actions over "every order
    of the search" refuse a search they cannot run as asked, with the reason, instead of
    dropping the bad condition (which would widen the search) or failing in the worker."""
    switch_to_english(walk.client)
    before = fingerprint(walk.session)
    for action in SEARCH_ACTIONS:
        for search in BAD_SEARCHES:
            response = walk.client.post(action, data={
                "csrf_token": walk.token(), "scope": "search", "search": search,
                "encoding": "utf8"})
            assert response.status_code == 303, (action, search, response.status_code)
            page = walk.client.get(response.location).text
            assert "The search cannot be used:" in page, (action, search)
    assert fingerprint(walk.session) == before


def test_path_ids_match_their_columns(app):
    """<int:...> matches the ids of an integer column, <bigid:...> those of a bigint one;
    PostgreSQL refuses (a 500) a larger id compared with a smaller column."""
    from oms.models import (
        BankAccount,
        Carrier,
        CarrierService,
        CustomField,
        DeferredImport,
        Inquiry,
        MailTemplate,
        Notification,
        Order,
        OrderMemo,
        PaymentMethod,
        SentMail,
        ShipmentImport,
        Shop,
        SkuMapping,
        StockUpload,
    )
    from oms.models.orders import SearchPreset

    columns = {"order_id": Order, "memo_id": OrderMemo, "inquiry_id": Inquiry,
               "notification_id": Notification, "preset_id": SearchPreset,
               "field_id": CustomField, "category_id": CustomFieldCategory, "shop_id": Shop,
               "mapping_id": SkuMapping, "upload_id": StockUpload, "account_id": BankAccount,
               "import_id": ShipmentImport, "carrier_id": Carrier,
               "row_id": CarrierService,  # a service or a time slot: both Integer ids
               "method_id": PaymentMethod, "deferred_import_id": DeferredImport,
               "item_id": Media,  # a row of any list of 設定: all Integer ids
               "mail_id": SentMail, "template_id": MailTemplate}

    wrong = []
    for rule in app.url_map.iter_rules():
        for name, converter in rule._converters.items():
            if not isinstance(converter, NumberConverter):
                continue
            assert name in columns, f"{rule.rule}: add {name} to the table above"
            big = isinstance(columns[name].__table__.c.id.type, sa.BigInteger)
            if converter.max != (validation.BIGID_MAX if big else validation.ID_MAX):
                wrong.append((rule.rule, name))
    assert not wrong


# ----------------------------------------------------------------------- the last defence

def test_database_errors_never_show_sql(test_env, app, users):
    """A value only the database refuses is a 422 with a plain message, any other database
    error a plain 500: neither page shows the statement or its parameters."""
    from oms import create_app

    other = create_app({"TESTING": True})
    throwaway = Blueprint("throwaway", __name__)
    statement, params = "SELECT secret FROM vault WHERE pin = %(pin)s", {"pin": "4711-secret"}

    @throwaway.route("/throwaway/<kind>")
    @access(Access.operator)
    def fail(kind):
        error = sa.exc.DataError if kind == "data" else sa.exc.ProgrammingError
        raise error(statement, params, Exception("value too long for 4711-secret"))

    other.register_blueprint(throwaway)
    try:
        client = other.test_client()
        assert AuthActions(client).login("admin").status_code == 303
        for kind, status in (("data", 422), ("other", 500)):
            response = client.get(f"/throwaway/{kind}")
            assert response.status_code == status
            assert f'data-error="{status}"' in response.text
            assert "4711" not in response.text and "SELECT" not in response.text
    finally:
        with other.app_context():
            db.engine.dispose()


def _must_refuse(kind: str, cls: str) -> bool:
    """Whether a field of this kind must refuse a class, rather than take it as a value."""
    if cls in ("nul", "control"):
        return True
    if kind == "checkbox":
        return False  # any value means ticked
    if kind in ("date", "datetime-local", "select", "select-multiple", "radio"):
        return True
    if kind == "number":  # typed full-width digits count; some columns are bigint
        return cls not in ("fullwidth_digits", "int4_over")
    if kind == "textarea" and cls == "long":
        return False  # some hold up to 10,000 characters (a custom field's choices)
    return cls in NEVER_VALID  # free text (and hidden fields, which carry text too)


@pytest.mark.slow
def test_hostile_single_fields(walk):
    """Every form as its page fills it, one field at a time hostile, for every class: no
    answer >= 500, and no change unless the field may take the value (free text may hold
    "１２３"; a date field may not hold year 9999, nor a select a value it does not offer)."""
    wrong, changes = [], []
    before = fingerprint(walk.session)
    for endpoint, forms in sorted(walk.post_forms().items()):
        if endpoint in ROW_BUTTONS or endpoint.startswith("auth."):
            continue
        for form in forms:
            kinds = {f.name: f.kind for f in form.fields}
            for name in form.names():
                if kinds[name] == "file" or name not in WHOLE_SEARCH.get(endpoint, {name}):
                    continue  # a field of the list's form that this button does not read
                for cls in HOSTILE:
                    data = form.defaults()
                    data.setlist(name, [_value(cls, kinds[name])])
                    data["csrf_token"] = walk.token()
                    for upload in form.files():
                        header = UPLOAD_HEADERS[endpoint]
                        data.add(upload, (BytesIO(f"{header}\r\n".encode()), "h.csv"))
                    response = walk.client.post(form.action, data=data)
                    _check(response, (endpoint, name, cls), wrong)
                    after = fingerprint(walk.session)
                    if after != before:
                        if _must_refuse(kinds[name], cls):
                            changes.append((endpoint, name, cls, changed(before, after)))
                        before = after
    assert walk.signed_in()
    assert not wrong, f"{len(wrong)} answers >= 500: {wrong}"
    assert not changes, f"{len(changes)} hostile fields changed rows: {changes}"
