from datetime import datetime
from functools import cache
from zoneinfo import ZoneInfo

from flask import abort, current_app, flash, redirect, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from oms.access import Access, access, current_actor
from oms.blueprints.common import or_404
from oms.blueprints.orders import bp
from oms.blueprints.orders.controls import back_to_list, chosen
from oms.blueprints.orders.forms import ExportForm, PresetForm, SelectionForm
from oms.blueprints.orders.rows import fixed_texts, row_kit
from oms.extensions import db
from oms.htmx import render_page
from oms.models import (
    TABS,
    MallKind,
    PaymentStatus,
)
from oms.services import (
    action_results,
    allocation_job,
    list_cache,
    list_controls,
    order_search,
    presets,
)
from oms.services import jobs as job_service
from oms.templating import fragment_key
from oms.transactions import read_only


def _tz() -> ZoneInfo:
    return ZoneInfo(current_app.config["OMS_TZ"])


def _choices(found: order_search.FilterChoices, texts: dict[str, dict]
             ) -> dict[str, list[tuple[object, str]]]:
    """(value, label) options of the search form's selects."""
    return {
        "shops": found.shops,
        "payment_methods": found.payment_methods,
        "handling_statuses": found.handling_statuses,
        "tags": found.tags,
        "malls": [(m.value, texts["mall"][m]) for m in MallKind],
        "payment_statuses": [(s.value, texts["payment_status"][s]) for s in PaymentStatus],
        "allocation_states": [(s.value, text) for s, text in texts["allocation_state"].items()],
        "tracking_reports": list(texts["report_progress"].items()),
    }


@cache
def _encodings(locale: str) -> tuple[Markup, list[tuple[Markup, Markup]]]:
    """The export's encoding choice as shown (legend, then each radio and its label): never
    bound to a request's data, so the same on every page in a locale, where building the
    form loaded WTForms' catalog each time. Markup, as the lazy labels render."""
    field = ExportForm(formdata=None).encoding
    return Markup(field.label.text), [  # noqa: S704 (our catalog's text)
        (choice(), Markup(choice.label.text)) for choice in field]  # noqa: S704


def _search_form_key(query: str, errors: dict[str, str]) -> tuple | None:
    """Everything the list's search form shows depends on, for the fragment cache: the
    lists its selects offer (their token) and the search (`query`, its query string). A
    search with errors shows what was typed: never kept."""
    if errors:
        return None
    return fragment_key("orders.search_form", list_cache.token(db.session), query)


def _presets_key(query: str, mine: list) -> tuple:
    """Everything the presets depend on, for the fragment cache: the search they would
    save and the user's own presets (id, name, query)."""
    return fragment_key("orders.presets", query, tuple(mine))


def _tabs_key(query: str, counts: order_search.TabCounts) -> tuple:
    """Everything the tabs depend on, for the fragment cache: the search their links keep
    (with the tab and status they mark) and the counts they show."""
    return fragment_key("orders.tabs", query, frozenset(counts.by_status.items()))


def _pager_key(query: str, result: order_search.ResultPage) -> tuple:
    """Everything the pager depends on, for the fragment cache: the search its links keep,
    the page and the number of pages."""
    return fragment_key("orders.pager", query, result.page, result.total)


def _selection_key(search: order_search.OrderSearch, select: str | None,
                   result: order_search.ResultPage) -> tuple:
    """Everything the selection's state depends on, for the fragment cache: the search its
    links keep (with the page), what is selected and how many orders the search found."""
    return fragment_key("orders.selection", search.query_string(), select, result.total)


def _results_key(keys: dict[str, tuple | None], select: str | None,
                 result: order_search.ResultPage) -> tuple | None:
    """Everything the list's results show, for the fragment cache: what its fragments
    show (their keys), the selection and the page's rows; a tab reloaded with nothing
    changed shows the same results. Never kept while one of its fragments is not (a
    search with errors shows what was typed)."""
    if None in keys.values():
        return None
    return fragment_key("orders.results", *keys.values(), select, tuple(result.rows))


def _tab_controls_key(search: order_search.OrderSearch) -> tuple:
    """Everything the tab's buttons depend on, for the fragment cache."""
    return fragment_key("orders.tab_controls", search.tab)


@bp.route("/")
@access(Access.operator)
@read_only
def index():
    """The order list: status tabs with counts, search, presets, selection and paging."""
    if preset := request.args.get("preset"):
        query = presets.builtin_query(preset, datetime.now(_tz()).date())
        if query is None:
            abort(404)
        return redirect(url_for("orders.index") + "?" + query)
    found = order_search.filter_choices(db.session)
    parsed = order_search.parse(db.session, request.args, found)
    search = parsed.search
    counts = order_search.tab_counts(db.session, search, _tz())
    total = counts.status(search.status) if search.status else counts.tab(search.tab)
    result = order_search.fetch_page(db.session, search, total, _tz())
    select = request.args.get("select")
    select = select if select in ("page", "all") else None
    status = 422 if parsed.errors else 200
    texts = fixed_texts(str(get_locale()))
    query = search.query_string(page=1)
    mine = presets.list_for(db.session, current_user)
    keys = {"search_form_key": _search_form_key(query, parsed.errors),
            "presets_key": _presets_key(query, mine), "tabs_key": _tabs_key(query, counts),
            "pager_key": _pager_key(query, result), "tab_controls_key": _tab_controls_key(search),
            "thead_key": fragment_key("orders.thead"),
            "selection_key": _selection_key(search, select, result)}
    return render_page(
        "orders/index.html", "results", "order-results",
        search=search, query=query, errors=parsed.errors, counts=counts, result=result,
        tabs=TABS, **keys, results_key=_results_key(keys, select, result),
        row_kit=row_kit(), select=select,
        texts=texts, choices=_choices(found, texts), date_bases=texts["date_basis"],
        sorts=texts["sort"], per_page_choices=order_search.PER_PAGE_CHOICES,
        builtin_presets=presets.BUILTIN, my_presets=mine,
        controls=list_controls.for_tab(search.tab), encodings=_encodings(str(get_locale())),
    ), status


@bp.post("/export")
@access(Access.operator)
def export():
    """Start the order information download for the checked orders, else the whole search."""
    form = ExportForm()
    target = chosen("export", form)
    note = job_service.start(
        db.session, "order_export", current_user,
        {"search": target.search, "order_ids": None if target.whole_search else target.order_ids,
         "encoding": form.encoding.data, "locale": str(get_locale())},
    )
    flash(_("The order information download has started."), "info")
    return redirect(url_for("notifications.show", notification_id=note.id), 303)


@bp.post("/confirm")
@access(Access.operator)
def confirm():
    """注文確認: move the chosen New orders on to processing, then tell their malls; the
    result is a page of its own (Post/Redirect/Get)."""
    target = chosen("confirm", SelectionForm())
    note = action_results.confirm(db.session, target, current_actor(), current_user,
                                  str(get_locale()))
    return redirect(url_for("notifications.show", notification_id=note.id), 303)


@bp.post("/allocate")
@access(Access.operator)
def allocate():
    """在庫引当 (seed 001 §3): allocate stock to the chosen orders and show each order's
    outcome on a page of its own (Post/Redirect/Get); a search larger than a request may
    take is allocated by a job, followed in the notification log."""
    target = chosen("allocate", SelectionForm())
    if target.order_ids is None:
        note = allocation_job.start(db.session, current_user, target.search,
                                    request.remote_addr, str(get_locale()))
        flash(_("Stock is being allocated to the %(n)s orders of the search.",
                n=f"{target.count:,}"), "info")
    else:
        note = action_results.allocate(db.session, target, current_actor(), current_user)
    return redirect(url_for("notifications.show", notification_id=note.id), 303)


@bp.post("/presets")
@access(Access.operator)
def save_preset():
    """Save the current search as a personal preset."""
    form = PresetForm()
    query = presets.clean_query(form.query.data or "")
    if form.validate():
        try:
            presets.save(db.session, current_user, form.name.data, query)
            flash(_("The preset was saved."), "info")
        except presets.PresetError as error:
            flash(str(error), "error")
    else:
        flash(_("Give the preset a name of 1 to 64 characters."), "error")
    return back_to_list(query)


def _own_preset(preset_id: int):
    return or_404(presets.get_own(db.session, current_user, preset_id))


@bp.post("/presets/<int:preset_id>/rename")
@access(Access.operator)
def rename_preset(preset_id: int):
    """Rename one of my presets."""
    preset = _own_preset(preset_id)
    try:
        presets.rename(db.session, preset, request.form.get("name", ""))
        flash(_("The preset was renamed."), "info")
    except presets.PresetError as error:
        flash(str(error), "error")
    return back_to_list(preset.query)


@bp.post("/presets/<int:preset_id>/delete")
@access(Access.operator)
def delete_preset(preset_id: int):
    """Delete one of my presets."""
    presets.delete(db.session, _own_preset(preset_id))
    flash(_("The preset was deleted."), "info")
    return redirect(url_for("orders.index"), 303)
