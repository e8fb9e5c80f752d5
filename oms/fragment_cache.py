"""Rendered fragments kept per process: `{% cached key %}…{% endcached %}` renders its body
once per key and shows the same markup again after. For a part of a page that costs more
to render than its inputs cost to name, and only where the key names every input of the
body (the order list's search form: its locale, the lists it offers and the search; the
page header: its locale, page and user). A key of none renders the body every time.

The one input a key cannot name is the request's CSRF token, which changes every second:
while a fragment is kept, `csrf_token()` leaves a hole in it, filled with the request's own
token each time the fragment is shown."""

from collections.abc import Callable, Hashable
from contextvars import ContextVar

from flask_wtf.csrf import generate_csrf
from jinja2 import Environment, nodes
from jinja2.ext import Extension
from jinja2.parser import Parser
from markupsafe import Markup

# Characters of the fragments kept per application (a worker), the oldest going first
# past it: some 16 MB, a hundred results of the order list's pages of fifty (80,000
# characters each) or two thousand of its search forms.
LIMIT = 8_000_000
# Markup that no escaped text can hold.
CSRF_HOLE = "<csrf-token>"
_HOLE = Markup(CSRF_HOLE)  # noqa: S704 (a constant)
_keeping: ContextVar[bool] = ContextVar("oms_keeping_fragment", default=False)


def csrf_token() -> str:
    """The templates' `csrf_token()`: the request's token, or a hole in a fragment being
    kept."""
    return _HOLE if _keeping.get() else generate_csrf()


def csrf_field() -> Markup:
    """The templates' `csrf_field()`: a form's hidden CSRF token. A global rather than a
    macro, as a macro must be imported on every render of each template that uses it."""
    return Markup('<input type="hidden" name="csrf_token" value="%s">') % csrf_token()


class FragmentCache(Extension):
    tags = frozenset({"cached"})

    def __init__(self, environment: Environment):
        super().__init__(environment)
        environment.extend(fragments={}, fragments_size=0)

    def parse(self, parser: Parser) -> nodes.Node:
        lineno = next(parser.stream).lineno
        key = parser.parse_expression()
        body = parser.parse_statements(("name:endcached",), drop_needle=True)
        return nodes.CallBlock(self.call_method("_render", [key]), [], [], body
                               ).set_lineno(lineno)

    def _render(self, key: Hashable | None, caller: Callable[[], Markup]) -> Markup:
        if key is None:
            return caller()
        kept = self.environment.fragments
        parts = kept.get(key)
        if parts is None:
            outermost = _keeping.set(True)
            try:
                # Kept split at its holes: joining the parts with a token costs a tenth
                # of finding and replacing the holes in the order list's 80,000
                # characters.
                parts = kept[key] = tuple(str.split(caller(), CSRF_HOLE))
            finally:
                _keeping.reset(outermost)
            env = self.environment
            env.fragments_size += _size(parts)
            while env.fragments_size > LIMIT:
                env.fragments_size -= _size(kept.pop(next(iter(kept))))
        if len(parts) == 1:
            return Markup(parts[0])  # noqa: S704 (kept markup)
        # A fragment within one being kept keeps its holes too.
        token = CSRF_HOLE if _keeping.get() else generate_csrf()
        return Markup(token.join(parts))  # noqa: S704 (kept markup)


def _size(parts: tuple[str, ...]) -> int:
    return sum(map(len, parts))
