"""The cookie jar's RFC 6265 rules: which downstream cookies it keeps, which calls get them, what the client gets."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from journeys.definitions.cookie_spec import CookieSpec
from journeys.engine.cookie_jar import CookieJar

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def _jar(*domains: str, mode: str = "allFromAllowedDomains", names: frozenset[str] = frozenset()) -> CookieJar:
    return CookieJar(CookieSpec(domains, mode, names, (re.compile("^x-app-"),)))  # type: ignore[arg-type]


def test_only_cookies_of_allowed_domains_are_kept() -> None:
    jar = _jar(".example.com")
    jar.absorb(
        "https://api.example.com/login",
        (
            "session=s1; Path=/",  # host-only api.example.com: a subdomain of example.com
            "wide=w1; Domain=example.com; Path=/",  # example.com itself is not ".example.com"
            "foreign=f1; Domain=other.test",  # a host may not set another domain's cookie
            "broken",  # no name=value
        ),
        NOW,
    )

    assert jar.cookie_header("https://api.example.com/profile", NOW) == "session=s1"
    assert jar.cookie_header("https://www.example.com/profile", NOW) is None  # host-only: not sent elsewhere


def test_domain_path_secure_and_expiry_decide_which_calls_get_a_cookie() -> None:
    jar = _jar("api.example.com", ".shop.test")
    jar.absorb("https://api.example.com/v1/login", ("a=1", "b=2; Path=/v1/orders", "s=3; Secure; Path=/"), NOW)
    jar.absorb("https://eu.shop.test/", ("d=4; Domain=shop.test; Max-Age=60",), NOW)

    assert jar.cookie_header("https://api.example.com/v1/orders/7", NOW) == "b=2; a=1; s=3"  # longest path first
    assert jar.cookie_header("https://api.example.com/v1x", NOW) == "s=3"  # /v1 is the default path of a=1
    assert jar.cookie_header("http://api.example.com/v1/x", NOW) == "a=1"  # Secure only over https
    assert jar.cookie_header("https://us.shop.test/", NOW) is None  # Domain=shop.test is not allowed (.shop.test)
    assert jar.cookie_header("https://api.example.com/", NOW + timedelta(days=1)) == "s=3"


def test_a_later_cookie_replaces_one_and_an_expired_one_deletes_it() -> None:
    jar = _jar("api.example.com")
    jar.absorb("https://api.example.com/", ("t=old; Path=/", "gone=1; Path=/"), NOW)
    jar.absorb(
        "https://api.example.com/",
        ("t=new; Path=/; HttpOnly", "gone=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT"),
        NOW,
    )

    assert jar.cookie_header("https://api.example.com/", NOW) == "t=new"
    assert jar.returned() == ["t=new; Path=/; HttpOnly", "gone=; Path=/; Max-Age=0"]


def test_filtered_returns_only_selected_names() -> None:
    jar = _jar("api.example.com", mode="filtered", names=frozenset({"session"}))
    jar.absorb("https://api.example.com/", ("session=s; Path=/", "x-app-theme=dark", "other=o"), NOW)

    assert jar.returned() == ["session=s; Path=/", "x-app-theme=dark; Path=/"]
    assert _jar("api.example.com", mode="none").returned() == []
