"""One place decides whether a request gets a fragment or the whole page (STYLE.md 7)."""

from flask import render_template, request
from jinja2_fragments.flask import render_block


def wants_fragment(target: str) -> bool:
    """True for an htmx request, not boosted, aimed at the element with id `target`."""
    headers = request.headers
    return (
        headers.get("HX-Request") == "true"
        and headers.get("HX-Boosted") != "true"
        and headers.get("HX-Target") == target
    )


def render_page(template: str, block: str, target: str, **context) -> str:
    """Render `block` of `template` for htmx aimed at `target`, the full page otherwise."""
    if wants_fragment(target):
        return render_block(template, block, **context)
    return render_template(template, **context)


def vary_on_htmx(response):
    response.vary.add("HX-Request")
    return response
