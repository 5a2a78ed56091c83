"""Property tests: token-request parsing never fails with anything but an OAuth error."""

from __future__ import annotations

import base64

from hypothesis import given
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from jeeves_shared.auth import basic_authorization
from tokendealer.credentials import Credentials, parse_basic, parse_token_request, read_scopes
from tokendealer.errors import OAuthError

FIELDS = ["grant_type", "client_id", "client_secret", "audience", "resource", "scope", "other"]
vschar = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=60)
scope_token = st.text(
    st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters='"\\'), min_size=1
)
forms = st.lists(
    st.tuples(
        st.sampled_from(FIELDS),
        st.one_of(st.text(max_size=80), st.just("client_credentials"), vschar),
    ),
    max_size=8,
)
headers = st.one_of(
    st.none(),
    st.text(max_size=80),
    st.builds(lambda raw: "Basic " + base64.b64encode(raw).decode(), st.binary(max_size=60)),
    st.builds(basic_authorization, st.text(max_size=30), st.text(max_size=30)),
)


@given(forms, headers)
def test_any_input_parses_or_raises_an_oauth_error(
    pairs: list[tuple[str, str]], authorization: str | None
) -> None:
    try:
        parse_token_request(MultiDict(pairs), authorization)
    except OAuthError as exc:
        assert exc.status in (400, 401)
        assert exc.code in {
            "invalid_request",
            "invalid_client",
            "unsupported_grant_type",
            "invalid_scope",
            "invalid_target",
        }


@given(vschar, vschar)
def test_basic_credentials_round_trip(client_id: str, secret: str) -> None:
    assert parse_basic(basic_authorization(client_id, secret)) == Credentials(client_id, secret)


@given(st.lists(scope_token, min_size=1, max_size=6))
def test_scopes_round_trip(scopes: list[str]) -> None:
    assert read_scopes(" ".join(scopes)) == frozenset(scopes)


@given(vschar, vschar, st.lists(scope_token, max_size=4))
def test_well_formed_form_is_accepted(client_id: str, secret: str, scopes: list[str]) -> None:
    form = MultiDict(
        {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": secret,
            "scope": " ".join(scopes),
            "audience": "dataservice",
        }
    )
    request = parse_token_request(form, None)
    assert request.credentials == Credentials(client_id, secret)
    assert request.scopes == (frozenset(scopes) or None)
