"""OIDC login initiation: check the platform is registered, remember the login, send the browser on."""
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

from pylti1p3.contrib.flask import FlaskOIDCLogin
from pylti1p3.exception import LtiException, OIDCException
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from .launch import LaunchRefused
from .models import LtiLoginState
from .platforms import DatabaseToolConf

LOGIN_PARAMS = ("iss", "login_hint", "target_link_uri", "lti_message_hint", "lti_deployment_id", "client_id")
STATE_LIFETIME = timedelta(minutes=5)  # as long as the library's state cookie
MESSAGES = {
    "Could not find issuer": "The learning system did not say who it is (iss).",
    "Could not find login hint": "The learning system sent no login hint (login_hint).",
    "Could not find registration details": "This learning system (issuer and client id) is not registered with "
                                           "this site. Ask an administrator to register it.",
}


def start_login(request, session: Session, config, *, launch_url: str, base_url: str, now: datetime):
    """The redirect to the platform's authorisation endpoint (with the state cookie), or LaunchRefused."""
    target = request.get_param("target_link_uri") or ""
    if target and not target.startswith(base_url + "/"):
        raise LaunchRefused(f"The link to open ({target}) is not on this site ({base_url}).")
    login = FlaskOIDCLogin(request, DatabaseToolConf(session, config))
    try:
        redirect = login.get_redirect_object(launch_url)
    except (OIDCException, LtiException) as error:
        raise LaunchRefused(MESSAGES.get(str(error), f"The login could not start: {error}")) from error
    state = parse_qs(urlsplit(redirect.get_redirect_url()).query)["state"][0]
    session.execute(delete(LtiLoginState).where(LtiLoginState.expires_at < now))
    params = {name: request.get_param(name) for name in LOGIN_PARAMS if request.get_param(name)}
    session.add(LtiLoginState(state=state, params=params, expires_at=now + STATE_LIFETIME))
    session.flush()
    return redirect.do_redirect()


def new_window_url(session: Session, state: str, login_url: str, now: datetime) -> str | None:
    """The same login, to open in a new window (where cookies work), if the login is recent enough."""
    row = session.scalar(select(LtiLoginState).where(LtiLoginState.state == state))
    if row is None or row.expires_at.replace(tzinfo=row.expires_at.tzinfo or now.tzinfo) < now:
        return None
    return login_url + "?" + urlencode({**row.params, "lti1p3_new_window": "1"})
