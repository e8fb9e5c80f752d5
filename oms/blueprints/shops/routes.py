from dataclasses import asdict

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from oms import labels, validation
from oms.access import Access, access, current_actor
from oms.blueprints.common import EmptyForm, get_or_404
from oms.blueprints.shops import bp
from oms.blueprints.shops.forms import MappingForm, MappingImportForm, RakutenCardForm, ShopForm
from oms.csvfiles import UploadError
from oms.extensions import db
from oms.htmx import render_page, wants_fragment
from oms.integrations.malls import ADAPTERS
from oms.models import MallKind, MallSyncFailure, OrderStatus, Shop, ShopSync, Sku, SkuMapping
from oms.queue import get_queue, get_redis
from oms.services import item_links, mall_schedule, malls, shop_settings, shop_shipping
from oms.services.paging import Page
from oms.services.payments import rules as payment_rules
from oms.services.payments import settings as payment_settings

MAPPINGS_PER_PAGE = 100
RAKUTEN_CARD = "rakuten-card"  # the section htmx swaps after its switch is saved


def _shop(shop_id: int) -> Shop:
    return get_or_404(Shop, shop_id)


@bp.route("/")
@access(Access.admin)
def index():
    """Shops: each mall account, its connection and how its imports go."""
    shops = db.session.scalars(sa.select(Shop).order_by(Shop.id)).all()
    syncs = {s.shop_id: s for s in db.session.scalars(sa.select(ShopSync))}
    secret = current_app.config["SECRET_KEY"]
    return render_template("shops/index.html", shops=shops, syncs=syncs, labels=labels,
                           masked={s.id: malls.masked_credentials(s, secret) for s in shops},
                           connectable=set(ADAPTERS))


@bp.route("/<int:shop_id>", methods=["GET", "POST"])
@access(Access.admin)
def edit(shop_id: int):
    """One shop's mall settings: endpoint, credentials, auto-confirm, polling, statuses."""
    shop = _shop(shop_id)
    settings = shop.settings or {}
    form = ShopForm(obj=None if request.method == "POST" else shop,
                    rate_per_second=settings.get("rate_per_second"),
                    lookback_days=settings.get("lookback_days"),
                    **asdict(shop_shipping.for_shop(shop)))
    if not form.validate_on_submit():
        return _edit_page(shop, form, {}, 422 if request.method == "POST" else 200)
    try:
        shop_settings.update_shop(db.session, shop, _change(form, shop), current_actor(),
                                  current_app.config["SECRET_KEY"])
    except shop_settings.StatusMapRefused as refused:
        return _edit_page(shop, form, refused.errors, 422)
    except shop_shipping.ShippingRefused as refused:
        for name, message in refused.errors.items():
            form[name].errors = [*form[name].errors, message]
        return _edit_page(shop, form, {}, 422)
    flash(_("The shop settings were saved."), "success")
    return redirect(url_for(".edit", shop_id=shop.id), 303)


def _change(form: ShopForm, shop: Shop) -> shop_settings.ShopChange:
    return shop_settings.ShopChange(
        api_endpoint=form.api_endpoint.data, auto_confirm=form.auto_confirm.data,
        active=form.active.data, poll_minutes=form.poll_minutes.data or 0,
        rate_per_second=form.rate_per_second.data, lookback_days=form.lookback_days.data,
        credentials=form.credentials.data, clear_credentials=form.clear_credentials.data,
        status_map={key.removeprefix("map-"): value for key, value in request.form.items()
                    if key.startswith("map-")},
        shipping=form.shipping(shop_shipping.for_shop(shop)))


def _edit_page(shop: Shop, form: ShopForm, mapping_errors: dict[str, str], status: int):
    adapter = ADAPTERS.get(shop.kind.value)
    card_settings = payment_settings.read(db.session)
    return render_page(
        "shops/edit.html", "rakuten_card", RAKUTEN_CARD, shop=shop, form=form,
        adapter=adapter, labels=labels,
        card_form=RakutenCardForm(formdata=None,
                                  rakuten_card_api=payment_rules.uses_rakuten_card(shop)),
        card_api_ready=bool(card_settings.rakuten_card_endpoint
                            and card_settings.rakuten_card_api_key),
        card_fragment=wants_fragment(RAKUTEN_CARD),
        mapping=malls.status_map(shop) if adapter else {}, mapping_errors=mapping_errors,
        statuses=list(OrderStatus), sync=db.session.get(ShopSync, shop.id),
        masked=malls.masked_credentials(shop, current_app.config["SECRET_KEY"]),
        failures=db.session.scalars(
            sa.select(MallSyncFailure).where(MallSyncFailure.shop_id == shop.id)
            .order_by(MallSyncFailure.id.desc()).limit(50)).all(),
        poll_form=EmptyForm(formdata=None)), status


@bp.post("/<int:shop_id>/rakuten-card")
@access(Access.admin)
def rakuten_card(shop_id: int):
    """Whether a Rakuten shop's card orders go through 楽天カード決済API."""
    shop = _shop(shop_id)
    if shop.kind is not MallKind.rakuten:
        abort(404)
    form = RakutenCardForm()
    if not form.validate():
        abort(400)
    if shop_settings.set_rakuten_card(db.session, shop, form.rakuten_card_api.data,
                                      current_actor()):
        flash(_("Card orders of this shop now go through the Rakuten card payment API.")
              if form.rakuten_card_api.data else
              _("Card orders of this shop no longer go through the Rakuten card payment "
                "API."), "success")
    else:
        flash(_("Nothing was changed."), "info")
    return redirect(url_for(".edit", shop_id=shop.id), 303)


@bp.post("/<int:shop_id>/poll")
@access(Access.admin)
def poll(shop_id: int):
    """Import from the shop's mall now, instead of waiting for its interval."""
    shop = _shop(shop_id)
    if not EmptyForm().validate():
        abort(400)
    if mall_schedule.enqueue_poll(get_queue(), get_redis(), shop.id):
        flash(_("The import from the mall has been queued."), "info")
    else:
        flash(_("An import from this mall is already waiting or running."), "info")
    return redirect(url_for(".edit", shop_id=shop.id), 303)


# --- SKU mappings (アイテム紐づけの設定) ------------------------------------------------

@bp.route("/mappings")
@access(Access.admin)
def mappings():
    """Which of our SKUs each mall product code stands for; add, delete, import by CSV."""
    return _mappings_page(MappingForm(formdata=None), None, 200)


def _mappings_page(form: MappingForm, errors, status: int):
    shop_id = validation.arg_id(request.args, "shop_id")
    q = (request.args.get("q") or "").strip()[:64]
    page = validation.page(request.args)
    query = (sa.select(SkuMapping, Shop.name, Sku.code).join(Shop, Shop.id == SkuMapping.shop_id)
             .join(Sku, Sku.id == SkuMapping.sku_id))
    if shop_id:
        query = query.where(SkuMapping.shop_id == shop_id)
    if q:
        query = query.where(SkuMapping.product_code.startswith(q, autoescape=True))
    rows = db.session.execute(query.order_by(SkuMapping.shop_id, SkuMapping.product_code,
                                             SkuMapping.option)
                              .offset((page - 1) * MAPPINGS_PER_PAGE)
                              .limit(MAPPINGS_PER_PAGE + 1)).all()
    shops = db.session.scalars(sa.select(Shop).order_by(Shop.id)).all()
    return render_template(
        "shops/mappings.html", rows=rows[:MAPPINGS_PER_PAGE],
        page=Page(rows[:MAPPINGS_PER_PAGE], page, len(rows) > MAPPINGS_PER_PAGE), shops=shops,
        shop_id=shop_id, q=q, form=form,
        import_form=MappingImportForm(formdata=None), delete_form=EmptyForm(formdata=None),
        errors=errors, columns=",".join(item_links.csv_header())), status


@bp.post("/mappings")
@access(Access.admin)
def add_mapping():
    """Add or change one mapping."""
    form = MappingForm()
    if form.validate():
        try:
            item_links.save_mapping(db.session, form.shop_id.data, form.product_code.data,
                                    form.option.data, form.sku_code.data,
                                    actor=current_actor())
        except item_links.MappingError as error:
            form.sku_code.errors = [*form.sku_code.errors, str(error)]
        else:
            flash(_("The mapping was saved. Link the FAIL orders again to apply it."),
                  "success")
            return redirect(url_for(".mappings"), 303)
    db.session.rollback()
    return _mappings_page(form, None, 422)


@bp.post("/mappings/<int:mapping_id>/delete")
@access(Access.admin)
def delete_mapping(mapping_id: int):
    """Delete one mapping."""
    mapping = get_or_404(SkuMapping, mapping_id)
    if not EmptyForm().validate():
        abort(400)
    item_links.delete_mapping(db.session, mapping, current_actor())
    flash(_("The mapping was deleted."), "info")
    return redirect(url_for(".mappings"), 303)


@bp.post("/mappings/import")
@access(Access.admin)
def import_mappings():
    """Mappings from a CSV: every bad row is listed by line, and then none is saved."""
    form = MappingImportForm()
    if not form.validate():
        return _mappings_page(MappingForm(formdata=None),
                              [(0, _("Choose a CSV file."))], 422)
    try:
        result = item_links.import_mappings(db.session, form.file.data.read(), current_actor())
    except UploadError as error:
        db.session.rollback()
        return _mappings_page(MappingForm(formdata=None), [(0, str(error))], 422)
    if result.errors:
        db.session.rollback()
        return _mappings_page(MappingForm(formdata=None), result.errors, 422)
    flash(_("%(n)d mappings were saved.", n=result.saved), "success")
    return redirect(url_for(".mappings"), 303)
