"""Webhooks' pure rules: which URLs a hub may post to, the retry schedule, the filters."""

from __future__ import annotations

import pytest

from cloud_hub.webhooks.model import (
    DEFAULT_MAX_ATTEMPTS,
    Filter,
    UrlRefused,
    after_failure,
    backoff_s,
    check_url,
)

PUBLIC = {"erp.example.com": ["93.184.216.34"], "v6.example.com": ["2606:4700::6810:84e5"]}


def fake_dns(table: dict[str, list[str]]):  # type: ignore[no-untyped-def]
    def resolve(host: str) -> list[str]:
        if host not in table:
            raise OSError("Name or service not known")
        return table[host]
    return resolve


@pytest.mark.parametrize("url", ["https://erp.example.com/hooks", "http://erp.example.com:8080/x",
                                 "https://v6.example.com/", "https://93.184.216.34/in"])
def test_public_targets_are_allowed(url: str) -> None:
    assert check_url(url, fake_dns({**PUBLIC, "93.184.216.34": ["93.184.216.34"]})) == url


@pytest.mark.parametrize(
    ("url", "dns", "why"),
    [
        ("http://127.0.0.1:9000/", {"127.0.0.1": ["127.0.0.1"]}, "loopback"),
        ("http://localhost/", {"localhost": ["127.0.0.1", "::1"]}, "loopback"),
        ("http://db.internal/", {"db.internal": ["10.0.4.7"]}, "private"),
        ("http://router/", {"router": ["192.168.1.1"]}, "private"),
        ("http://meta/", {"meta": ["169.254.169.254"]}, "private"),  # cloud metadata
        ("http://v6local/", {"v6local": ["fd00::1"]}, "private"),
        ("http://mapped/", {"mapped": ["::ffff:10.1.2.3"]}, "private"),
        ("http://zero/", {"zero": ["0.0.0.0"]}, "private"),
        ("http://mcast/", {"mcast": ["224.0.0.1"]}, "private"),
        ("http://rebind/", {"rebind": ["93.184.216.34", "127.0.0.1"]}, "loopback"),
        ("ftp://erp.example.com/", PUBLIC, "http:// or https://"),
        ("file:///etc/passwd", PUBLIC, "http:// or https://"),
        ("https://user:pw@erp.example.com/", PUBLIC, "credentials"),
        ("https://nowhere.example/", PUBLIC, "does not resolve"),
        ("https:///path", PUBLIC, "no host"),
        ("https://erp.example.com:99999/", PUBLIC, "not a URL"),
        ("https://erp.example.com/" + "a" * 3000, PUBLIC, "more than"),
    ],
)
def test_refused_targets_say_why(url: str, dns: dict[str, list[str]], why: str) -> None:
    with pytest.raises(UrlRefused, match=why):
        check_url(url, fake_dns(dns))


def test_an_admin_may_allow_a_private_target() -> None:
    assert check_url("http://127.0.0.1:9000/in", fake_dns({}), allow_private=True)
    with pytest.raises(UrlRefused):  # the scheme is still checked
        check_url("gopher://127.0.0.1/", fake_dns({}), allow_private=True)


def test_backoff_doubles_to_five_minutes_and_outlasts_an_hour_down() -> None:
    assert [backoff_s(n) for n in (1, 2, 3, 4)] == [1, 2, 4, 8]
    assert backoff_s(50) == 300
    waits = [after_failure(n, DEFAULT_MAX_ATTEMPTS)[1] for n in range(1, DEFAULT_MAX_ATTEMPTS)]
    assert sum(waits) > 3600, "a receiver down for an hour must not lose its messages"
    assert after_failure(DEFAULT_MAX_ATTEMPTS, DEFAULT_MAX_ATTEMPTS) == ("dead", 0.0)
    assert after_failure(3, 5)[0] == "pending"


@pytest.mark.parametrize(
    ("flt", "where", "want"),
    [
        (Filter(), ("WH1", "S1", ("A01", None)), True),
        (Filter(warehouse="WH2"), ("WH1", "S1", ("A01",)), False),
        (Filter(sku="S1"), ("WH1", "S1", ()), True),
        (Filter(sku="S1"), ("WH1", None, ()), False),
        (Filter(location_prefix="DOCK"), ("WH1", "S1", (None, "DOCK-2")), True),
        (Filter(location_prefix="DOCK"), ("WH1", "S1", ("A01", "B02")), False),
    ],
)
def test_filters(flt: Filter, where: tuple, want: bool) -> None:  # type: ignore[type-arg]
    assert flt.matches(*where) is want


def test_a_host_name_that_cannot_be_encoded_is_refused_not_a_crash() -> None:
    from cloud_hub.webhooks.notify.sender import resolve
    with pytest.raises(UrlRefused, match="does not resolve"):
        check_url("https://" + "a" * 70 + ".example/", resolve)  # label > 63: IDNA refuses
