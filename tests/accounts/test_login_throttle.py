"""One throttle for every way to log in, kept in the database, keyed by an address clients
cannot choose; an account slows down guessing without being easy to lock out."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.db.models import Sum
from django.test import Client
from rest_framework.test import APIClient

from tests.accounts.helpers import age_failures, let_the_pause_pass
from tests.factories import make_user

pytestmark = pytest.mark.django_db

GUESSER = "198.51.100.66"


def _page(client, username, password, **extra):
    return client.post("/accounts/login/", {"username": username, "password": password}, **extra)


def _admin(client, username, password, **extra):
    data = {"username": username, "password": password, "next": "/admin/"}
    return client.post("/admin/login/", data, **extra)


def _token(username, password, **extra):
    return APIClient().post("/api/token/", {"username": username, "password": password}, **extra)


def _logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def _recorded_failures() -> int:
    return AccessAttempt.objects.aggregate(n=Sum("failures_since_start"))["n"] or 0


def test_it_shares_one_count_between_the_page_the_token_and_the_admin(charlie, settings):
    client = Client()
    assert _page(client, "charlie", "guess-1").status_code == 200
    assert _page(client, "charlie", "guess-2").status_code == 200
    assert _token("charlie", "guess-3").status_code == 400
    assert _token("charlie", "guess-4").status_code == 400
    assert _admin(client, "charlie", "guess-5").status_code == 200
    # Five failures, whichever door they came through: every door is shut, right password or not.
    admin = _admin(client, "charlie", "pw-charlie")
    assert admin.status_code == 429 and "Too many failed log-ins" in admin.content.decode()
    assert not _logged_in(client)
    assert _page(client, "charlie", "pw-charlie").status_code == 429
    token = _token("charlie", "pw-charlie")
    assert token.status_code == 429 and int(token["Retry-After"]) > 0
    assert token.json()["error"]["code"] == "throttled"
    assert _recorded_failures() == 5  # the refused tries are not counted
    let_the_pause_pass(settings)
    assert _admin(client, "charlie", "pw-charlie").status_code == 302 and _logged_in(client)


def test_it_throttles_guessing_a_staff_password_on_the_admin_alone(charlie, settings):
    client = Client(REMOTE_ADDR=GUESSER)
    for i in range(settings.LOGIN_ATTEMPTS):
        assert _admin(client, "charlie", f"guess-{i}").status_code == 200
    locked = _admin(client, "charlie", "pw-charlie")
    assert locked.status_code == 429 and not _logged_in(client)
    assert "Please wait 15 minutes" in locked.content.decode()
    assert int(locked["Retry-After"]) == settings.LOGIN_LOCKOUT_SECONDS


def test_it_counts_failures_from_separate_clients_together(alice, settings):
    """Two clients stand for two web processes: the counts live in the shared database."""
    first, second = Client(), Client()
    for i in range(3):
        assert _page(first, "alice", f"guess-a{i}").status_code == 200
    for i in range(2):
        assert _page(second, "alice", f"guess-b{i}").status_code == 200
    assert _page(first, "alice", "pw-alice").status_code == 429
    assert _page(second, "alice", "pw-alice").status_code == 429


def test_it_locks_the_guessing_address_but_only_delays_the_account(alice, settings):
    guesser = Client(REMOTE_ADDR=GUESSER)
    for i in range(settings.LOGIN_ATTEMPTS):
        _page(guesser, "alice", f"guess-{i}")
    owner = Client(REMOTE_ADDR="203.0.113.7")  # an address Alice has never used
    delayed = _page(owner, "alice", "pw-alice")
    assert delayed.status_code == 429
    assert 0 < int(delayed["Retry-After"]) <= settings.LOGIN_ACCOUNT_DELAY_SECONDS
    assert "seconds" in delayed.content.decode()
    age_failures(settings.LOGIN_ACCOUNT_DELAY_SECONDS + 1)
    assert _page(owner, "alice", "pw-alice").status_code == 302 and _logged_in(owner)
    # The guesser's own address stays shut for the whole pause, whoever it tries next.
    bob = make_user("bob")
    assert _page(guesser, bob.username, "pw-bob").status_code == 429


def test_it_doubles_the_accounts_wait_with_each_further_failure(alice, settings):
    delay = settings.LOGIN_ACCOUNT_DELAY_SECONDS
    for i in range(settings.LOGIN_ATTEMPTS):
        _page(Client(REMOTE_ADDR=f"198.51.100.{i + 1}"), "alice", f"guess-{i}")
    waits = []
    for round_ in range(3):
        probe = _page(Client(REMOTE_ADDR="203.0.113.50"), "alice", "still-guessing")
        assert probe.status_code == 429
        waits.append(int(probe["Retry-After"]))
        age_failures(waits[-1] + 1)
        # One more guess from a fresh address gets in (and fails), and doubles the next wait.
        assert _page(Client(REMOTE_ADDR=f"192.0.2.{round_ + 1}"), "alice", "x").status_code == 200
    assert waits[0] <= delay and delay < waits[1] <= 2 * delay and 2 * delay < waits[2] <= 4 * delay
    assert _recorded_failures() == settings.LOGIN_ATTEMPTS + 3


def test_it_never_delays_the_owner_on_an_address_they_logged_in_from(alice, settings):
    home = Client(REMOTE_ADDR="203.0.113.20")
    assert _page(home, "alice", "pw-alice").status_code == 302
    for i in range(settings.LOGIN_ATTEMPTS + 3):
        _page(Client(REMOTE_ADDR=f"198.51.100.{i + 1}"), "alice", f"guess-{i}")
    assert _page(Client(REMOTE_ADDR="203.0.113.21"), "alice", "pw-alice").status_code == 429
    home = Client(REMOTE_ADDR="203.0.113.20")
    assert _page(home, "alice", "pw-alice").status_code == 302 and _logged_in(home)


def test_it_does_not_extend_a_lock_for_tries_made_while_locked(alice, settings):
    guesser = Client(REMOTE_ADDR=GUESSER)
    for i in range(settings.LOGIN_ATTEMPTS + 20):
        _page(guesser, "alice", f"guess-{i}")
    assert _recorded_failures() == settings.LOGIN_ATTEMPTS
    let_the_pause_pass(settings)
    assert _page(guesser, "alice", "pw-alice").status_code == 302


def test_it_forgets_only_the_accounts_own_failures_on_success(alice, settings):
    """Logging in to one's own account must not wipe one's guesses at another's."""
    make_user("mallory")
    client = Client(REMOTE_ADDR=GUESSER)
    for i in range(settings.LOGIN_ATTEMPTS - 1):
        assert _page(client, "alice", f"guess-{i}").status_code == 200
    assert _page(client, "mallory", "typo").status_code == 200  # the fifth failure
    client = Client(REMOTE_ADDR=GUESSER)
    assert _page(client, "mallory", "pw-mallory").status_code == 429
    let_the_pause_pass(settings)
    for i in range(settings.LOGIN_ATTEMPTS - 1):
        _page(client, "alice", f"guess-again-{i}")
    assert _page(client, "mallory", "pw-mallory").status_code == 302
    assert _recorded_failures() == settings.LOGIN_ATTEMPTS - 1
    client = Client(REMOTE_ADDR=GUESSER)
    assert _page(client, "alice", "one-more").status_code == 200
    assert _page(client, "alice", "and-another").status_code == 429


def test_it_ignores_a_forwarded_address_from_anyone_but_a_trusted_proxy(alice, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    direct = Client(REMOTE_ADDR=GUESSER)
    for i in range(settings.LOGIN_ATTEMPTS):
        assert (
            _page(direct, "alice", f"guess-{i}", HTTP_X_FORWARDED_FOR=f"192.0.2.{i}").status_code
            == 200
        )
    assert _page(direct, "alice", "x", HTTP_X_FORWARDED_FOR="192.0.2.200").status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {GUESSER}


def test_it_reads_the_client_address_that_a_trusted_proxy_appended(alice, bob, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    proxy = Client(REMOTE_ADDR="10.0.0.5")
    for i in range(settings.LOGIN_ATTEMPTS):
        # The client writes a fresh address of its own each time; the proxy appends the real one.
        spoofed = f"192.0.2.{i}, {GUESSER}"
        assert _page(proxy, "alice", f"guess-{i}", HTTP_X_FORWARDED_FOR=spoofed).status_code == 200
    assert _page(proxy, "bob", "x", HTTP_X_FORWARDED_FOR=f"1.2.3.4, {GUESSER}").status_code == 429
    # Someone else behind the same proxy has a count of their own.
    other = _page(proxy, "bob", "pw-bob", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert other.status_code == 302
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {GUESSER}


def test_it_forgets_the_owners_typos_once_they_log_in(alice, settings):
    client = Client()
    for round_ in range(2):
        for i in range(settings.LOGIN_ATTEMPTS - 1):
            assert _page(client, "alice", f"typo-{round_}-{i}").status_code == 200
        assert _page(client, "alice", "pw-alice").status_code == 302
        client.post("/accounts/logout/")
    assert _recorded_failures() == 0
