"""Rendered fragments kept per process: `{% cached key %}…{% endcached %}` renders its body
once per key and shows the same markup again after. For a part of a page that costs more
to render than its inputs cost to name, and only where the key names every input of the
body (the order list's search form: its locale, the lists it offers and the search). A key
of none renders the body every time."""

from collections.abc import Callable, Hashable

from jinja2 import Environment, nodes
from jinja2.ext import Extension
from jinja2.parser import Parser
from markupsafe import Markup

# Fragments kept per application (a worker), the oldest going first: the order list's
# search form is about 7 KB, so some 7 MB at most.
LIMIT = 1000


class FragmentCache(Extension):
    tags = frozenset({"cached"})

    def __init__(self, environment: Environment):
        super().__init__(environment)
        environment.extend(fragments={})

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
        markup = kept.get(key)
        if markup is None:
            markup = kept[key] = caller()
            if len(kept) > LIMIT:
                kept.pop(next(iter(kept)), None)
        return markup
