from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from oms import labels
from oms.access import Access, access, current_actor
from oms.blueprints.common import EmptyForm, get_or_404
from oms.blueprints.custom_fields import bp
from oms.blueprints.custom_fields.forms import CategoryForm, FieldForm
from oms.extensions import db
from oms.models import CustomField, CustomFieldCategory, FieldType
from oms.services import custom_field_definitions as definitions


def _index():
    return redirect(url_for("custom_fields.index"), 303)


@bp.route("/")
@access(Access.admin)
def index():
    """The custom fields and their categories."""
    return render_template("custom_fields/index.html", labels=labels,
                           fields=definitions.fields_in_order(db.session),
                           categories=definitions.categories(db.session),
                           confirm_form=EmptyForm(formdata=None))


def _spec(form: FieldForm) -> definitions.FieldSpec:
    return definitions.FieldSpec(
        name=form.name.data, field_type=FieldType(form.field_type.data),
        category_id=form.category_id.data, required=form.required.data,
        max_length=form.max_length.data, min_value=form.min_value.data,
        max_value=form.max_value.data, choices=(form.choices.data or "").splitlines(),
        position=form.position.data or 0)


def _field_page(form: FieldForm, target: CustomField | None):
    """Show the field form, or save it and go back to the list."""
    form.set_choices(labels, definitions.categories(db.session))
    if request.method == "POST" and form.validate():
        try:
            if target is None:
                definitions.create_field(db.session, _spec(form), current_actor())
            else:
                definitions.update_field(db.session, target, _spec(form), current_actor())
        except definitions.DefinitionError as error:
            for name, message in error.errors.items():
                form[name].errors = [message]
        else:
            flash(_("The custom field was saved."), "success")
            return _index()
    status = 422 if request.method == "POST" else 200
    return render_template("custom_fields/field_form.html", form=form, target=target,
                           labels=labels), status


@bp.route("/new", methods=["GET", "POST"])
@access(Access.admin)
def new_field():
    """Define a custom field."""
    form = FieldForm() if request.method == "POST" else FieldForm(formdata=None)
    return _field_page(form, None)


@bp.route("/<int:field_id>/edit", methods=["GET", "POST"])
@access(Access.admin)
def edit_field(field_id: int):
    """Change a custom field."""
    target = get_or_404(CustomField, field_id)
    if request.method == "POST":
        form = FieldForm()
    else:
        form = FieldForm(formdata=None, obj=target)
        form.field_type.data = target.field_type.value
        form.choices.data = "\n".join(target.choices)
    return _field_page(form, target)


@bp.post("/<int:field_id>/delete")
@access(Access.admin)
def delete_field(field_id: int):
    """Delete a custom field and every answer to it."""
    target = get_or_404(CustomField, field_id)
    if EmptyForm().validate():
        definitions.delete_field(db.session, target, current_actor())
        flash(_("The custom field was deleted."), "success")
    return _index()


def _category_page(form: CategoryForm, target: CustomFieldCategory | None):
    if request.method == "POST" and form.validate():
        try:
            definitions.save_category(db.session, target, form.name.data,
                                        form.multiple.data, form.position.data or 0,
                                        current_actor())
        except definitions.DefinitionError as error:
            form.name.errors = [error.errors["name"]]
        else:
            flash(_("The category was saved."), "success")
            return _index()
    status = 422 if request.method == "POST" else 200
    return render_template("custom_fields/category_form.html", form=form, target=target), status


@bp.route("/categories/new", methods=["GET", "POST"])
@access(Access.admin)
def new_category():
    """Define a category of custom fields."""
    form = CategoryForm() if request.method == "POST" else CategoryForm(formdata=None)
    return _category_page(form, None)


@bp.route("/categories/<int:category_id>/edit", methods=["GET", "POST"])
@access(Access.admin)
def edit_category(category_id: int):
    """Change a category."""
    target = get_or_404(CustomFieldCategory, category_id)
    form = CategoryForm() if request.method == "POST" else CategoryForm(formdata=None,
                                                                         obj=target)
    return _category_page(form, target)


@bp.post("/categories/<int:category_id>/delete")
@access(Access.admin)
def delete_category(category_id: int):
    """Delete an empty category."""
    target = get_or_404(CustomFieldCategory, category_id)
    if EmptyForm().validate():
        try:
            definitions.delete_category(db.session, target, current_actor())
        except definitions.DefinitionError as error:
            flash(error.errors["name"], "error")
        else:
            flash(_("The category was deleted."), "success")
    return _index()
