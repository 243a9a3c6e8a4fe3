"""A mock LTI 1.3 platform for the tests: its own RSA keys, id_tokens it signs, and its JWKS, token and
score endpoints served through `responses`."""
import json
import time
import uuid
from urllib.parse import parse_qs, urlsplit

import jwt
import responses
from jwcrypto.jwk import JWK

from course.core.extensions import db
from lti.platforms import PlatformData, register_platform

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
ADMINISTRATOR = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator"
TOOL = "http://localhost"


def new_key() -> JWK:
    key = JWK.generate(kty="RSA", size=2048, kid=uuid.uuid4().hex)
    return key


class MockPlatform:
    def __init__(self, issuer: str = "https://lms.example.edu", client_id: str = "tool-client-1",
                 deployment_id: str = "deployment-1", origin: str | None = None):
        self.issuer, self.client_id, self.deployment_id = issuer, client_id, deployment_id
        self.origin = origin or issuer
        self.key = new_key()
        self.published = [self.key]
        self.lineitem = f"{issuer}/api/lti/courses/7/line_items/42"
        self.score_status = 200

    # --- registration and endpoints ---

    def register(self, **overrides):
        data = PlatformData(
            name="Example LMS", issuer=self.issuer, client_id=self.client_id,
            auth_login_url=f"{self.issuer}/auth", auth_token_url=f"{self.issuer}/token",
            key_set_url=f"{self.issuer}/jwks", deployment_ids=[self.deployment_id], frame_origins=[self.origin],
            **overrides)
        platform, _ = register_platform(db.session, data)
        db.session.commit()
        return platform

    def jwks(self) -> dict:
        return {"keys": [{**json.loads(k.export_public()), "alg": "RS256", "use": "sig"} for k in self.published]}

    def serve(self, mock: responses.RequestsMock) -> None:
        mock.add_callback(responses.GET, f"{self.issuer}/jwks",
                          callback=lambda request: (200, {}, json.dumps(self.jwks())))
        mock.add(responses.POST, f"{self.issuer}/token", json={"access_token": "platform-token", "expires_in": 3600})
        mock.add_callback(responses.POST, f"{self.lineitem}/scores",
                          callback=lambda request: (self.score_status, {}, ""))

    def score_calls(self, mock: responses.RequestsMock) -> list:
        return [call for call in mock.calls if call.request.url == f"{self.lineitem}/scores"]

    # --- messages ---

    def claims(self, nonce: str, *, sub: str = "lms-user-1", roles=(LEARNER,), message_type="LtiResourceLinkRequest",
               target: str = f"{TOOL}/courses/sample-course", **extra) -> dict:
        now = int(time.time())
        body = {
            "iss": self.issuer, "aud": self.client_id, "sub": sub, "nonce": nonce, "iat": now, "exp": now + 300,
            "given_name": "Lee", "family_name": "Okafor", "name": "Lee Okafor", "email": "lee@hospital.example",
            CLAIM + "message_type": message_type, CLAIM + "version": "1.3.0",
            CLAIM + "deployment_id": self.deployment_id, CLAIM + "target_link_uri": target,
            CLAIM + "roles": list(roles),
            CLAIM + "context": {"id": "course-7", "title": "Nursing CE"},
        }
        if message_type == "LtiResourceLinkRequest":
            body[CLAIM + "resource_link"] = {"id": "link-1"}
            body[AGS] = {"scope": [SCORE_SCOPE], "lineitem": self.lineitem}
        else:
            body[DL] = {"deep_link_return_url": f"{self.issuer}/deep_links", "accept_types": ["ltiResourceLink"],
                        "accept_presentation_document_targets": ["iframe", "window"], "data": "opaque-42"}
        body.update(extra)
        return {key: value for key, value in body.items() if value is not None}

    def sign(self, body: dict, key: JWK | None = None) -> str:
        key = key or self.key
        return jwt.encode(body, key.export_to_pem(private_key=True, password=None), algorithm="RS256",
                          headers={"kid": key.get("kid")})

    # --- the browser's side ---

    def login(self, client, target: str = f"{TOOL}/courses/sample-course", **kwargs) -> tuple[str, str]:
        """Start the OIDC login as the platform's page would; (state, nonce) from the redirect to its auth URL."""
        response = client.get("/lti/login", query_string={
            "iss": self.issuer, "login_hint": "hint-1", "target_link_uri": target, "client_id": self.client_id,
            "lti_message_hint": "message-hint-1", "lti_deployment_id": self.deployment_id}, **kwargs)
        assert response.status_code == 302, response.get_data(as_text=True)
        location = urlsplit(response.headers["Location"])
        assert f"{location.scheme}://{location.netloc}{location.path}" == f"{self.issuer}/auth"
        query = parse_qs(location.query)
        assert query["redirect_uri"][0].endswith("/lti/launch") and query["response_mode"] == ["form_post"]
        return query["state"][0], query["nonce"][0]

    def launch(self, client, state: str, token: str, **kwargs):
        return client.post("/lti/launch", data={"id_token": token, "state": state}, **kwargs)

    def login_and_launch(self, client, **claims):
        state, nonce = self.login(client)
        return self.launch(client, state, self.sign(self.claims(nonce, **claims)))
