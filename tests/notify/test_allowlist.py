"""The SSRF guard on push endpoints: only the allowed push services."""

from __future__ import annotations

import pytest

from chatserver.notify.allowlist import DEFAULT_PUSH_HOSTS, PushAllowlist, endpoint_allowed

DEFAULT = PushAllowlist.parse(DEFAULT_PUSH_HOSTS)


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://fcm.googleapis.com/fcm/send/abc:APA91b",
        "https://fcm.googleapis.com:443/fcm/send/abc",
        "https://updates.push.services.mozilla.com/wpush/v2/gAAAA",
        "https://wns2-db5p.notify.windows.com/w/?token=BQYAAA",
        "https://web.push.apple.com/QGuQyavXutnMq",
    ],
)
def test_browser_push_services_are_allowed(endpoint: str) -> None:
    """The real endpoints of Chrome, Firefox, Edge and Safari pass the default list."""
    assert endpoint_allowed(endpoint, DEFAULT) is True


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://fcm.googleapis.com/fcm/send/abc",  # not https
        "https://fcm.googleapis.com:8443/fcm/send/abc",  # another port
        "https://evil.example/fcm.googleapis.com",  # host elsewhere
        "https://fcm.googleapis.com.evil.example/x",  # allowed name as a prefix
        "https://evilfcm.googleapis.com/x",  # not a label boundary
        "https://notify.windows.com/x",  # *.domain needs a label more
        "https://fcm.googleapis.com@evil.example/x",  # userinfo
        "https://user:pw@fcm.googleapis.com/x",  # userinfo before an allowed host
        "https://evil.example\\@fcm.googleapis.com/x",  # backslash trick
        "https://fcm.googleapis.com./x",  # trailing dot
        "https://FCM.googleapis.com/x",  # not as the list writes it
        "https://fcm%2egoogleapis.com/x",  # percent-escape in the host
        "https://127.0.0.1/x",  # IP literal
        "https://[::1]/x",  # IPv6 literal
        "https://2130706433/x",  # decimal IP
        "https://localhost/x",  # single label
        "https://fcm.googleapis.com:99999/x",  # bad port
        "https://fcm.googleapis.com/x#frag",  # fragment
        "https://fcm.googleapis.com/x y",  # space
        "https://fcm.googleapis.\u0441om/x",  # Cyrillic look-alike
        "file:///etc/passwd",
        "fcm.googleapis.com/fcm/send/abc",  # not absolute
        "",
        "https://fcm.googleapis.com/" + "a" * 2100,  # too long
    ],
)
def test_tricky_endpoints_are_refused(endpoint: str) -> None:
    """Scheme, port, userinfo, IP and look-alike tricks never pass."""
    assert endpoint_allowed(endpoint, DEFAULT) is False


def test_origin_entry_allows_exactly_that_origin() -> None:
    """An origin entry opens plain http on loopback for that port only."""
    allow = PushAllowlist.parse(["http://127.0.0.1:8123"])
    assert endpoint_allowed("http://127.0.0.1:8123/push/1", allow) is True
    assert endpoint_allowed("http://127.0.0.1:8124/push/1", allow) is False
    assert endpoint_allowed("https://127.0.0.1:8123/push/1", allow) is False
    assert endpoint_allowed("http://u@127.0.0.1:8123/push/1", allow) is False
    assert endpoint_allowed("https://fcm.googleapis.com/x", allow) is False


def test_suffix_entry_matches_subdomains_only() -> None:
    """``*.domain`` matches deeper names, not the domain itself."""
    allow = PushAllowlist.parse(["*.push.example.org", "one.example.net"])
    assert allow.suffixes == (".push.example.org",)
    assert allow.hosts == frozenset({"one.example.net"})
    assert endpoint_allowed("https://a.b.push.example.org/x", allow) is True
    assert endpoint_allowed("https://push.example.org/x", allow) is False
    assert endpoint_allowed("https://two.example.net/x", allow) is False


@pytest.mark.parametrize("entry", ["*.", "http://", "ftp://host:1", "bad host", "*.x y", "1.2.3"])
def test_bad_entries_stop_the_start(entry: str) -> None:
    """A malformed allowlist entry is a configuration error, not a silent hole."""
    with pytest.raises(ValueError, match="push allowlist entry"):
        PushAllowlist.parse([entry])
