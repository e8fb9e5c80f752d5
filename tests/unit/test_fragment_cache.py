"""`{% cached key %}`: the body is rendered once per key, every time without a key, and
the markup is the same as without the tag."""

from flask_wtf.csrf import generate_csrf
from jinja2 import DictLoader, Environment

from oms import fragment_cache
from oms.fragment_cache import FragmentCache

TEMPLATE = "<p>{% cached key -%}\n  {{ text }} & {{ count() }}\n{%- endcached %}</p>"


def environment() -> Environment:
    return Environment(loader=DictLoader({"t": TEMPLATE}), autoescape=True,
                       extensions=[FragmentCache])


def counter():
    calls = []
    return calls, lambda: calls.append(1) or len(calls)


def test_a_key_renders_its_body_once():
    env, (calls, count) = environment(), counter()
    template = env.get_template("t")
    first = template.render(key=("a", 1), text="<b>", count=count)
    assert first == "<p>&lt;b&gt; & 1</p>"  # escaped as without the tag
    assert template.render(key=("a", 1), text="other", count=count) == first
    assert template.render(key=("a", 2), text="other", count=count) == "<p>other & 2</p>"
    assert len(calls) == 2


def test_no_key_renders_every_time():
    env, (_, count) = environment(), counter()
    template = env.get_template("t")
    assert [template.render(key=None, text=t, count=count) for t in "xy"] == [
        "<p>x & 1</p>", "<p>y & 2</p>"]


def test_the_oldest_fragment_goes_first(monkeypatch):
    monkeypatch.setattr(fragment_cache, "LIMIT", 8)  # characters: two of these fragments
    env, (calls, count) = environment(), counter()
    template = env.get_template("t")
    for key in (1, 2, 3):
        template.render(key=key, text="", count=count)
    assert list(env.fragments) == [2, 3]
    template.render(key=1, text="", count=count)  # rendered again
    assert len(calls) == 4


def test_a_kept_fragment_shows_each_request_its_own_csrf_token(app):
    """The token changes with every session (and every second): a kept fragment holds a
    hole for it, filled with the request's own token each time it is shown, a fragment
    kept within another too."""
    template = app.jinja_env.from_string(
        '{% cached "outer" %}<input value="{{ csrf_token() }}">'
        '{% cached "inner" %}<b>{{ csrf_token() }}</b>{% endcached %}{% endcached %}')
    shown = []
    for _ in range(2):
        with app.test_request_context():  # a new session: a new token
            shown.append((template.render(), generate_csrf()))
    (first, token), (second, other_token) = shown
    assert token != other_token
    assert first == f'<input value="{token}"><b>{token}</b>'
    assert second == f'<input value="{other_token}"><b>{other_token}</b>'
    kept = {key: fragment_cache.CSRF_HOLE.join(parts)
            for key, parts in app.jinja_env.fragments.items()}
    assert kept["outer"].count(fragment_cache.CSRF_HOLE) == 2
    assert token not in kept["outer"] and token not in kept["inner"]
