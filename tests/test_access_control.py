"""Who may open every route: anonymous visitors, the learner who owns the data, another
learner, an instructor and an administrator. A route missing from ACCESS fails the suite."""
from flask import url_for

from tests.factories import csrf_token, sign_in
from tests.routes import ROLES, build_world, routes

OK, TO_SIGN_IN, FORBIDDEN, NOT_FOUND, AWAY = 200, "sign-in", 403, 404, "redirect"

PUBLIC = dict.fromkeys(ROLES, OK)
SIGNED_IN = {"anonymous": TO_SIGN_IN, "owner": OK, "other_learner": OK, "instructor": OK, "admin": OK}
SIGNED_OUT_ONLY = {"anonymous": OK, "owner": AWAY, "other_learner": AWAY, "instructor": AWAY, "admin": AWAY}
INSTRUCTORS = {"anonymous": TO_SIGN_IN, "owner": FORBIDDEN, "other_learner": FORBIDDEN, "instructor": OK, "admin": OK}
ADMINS = {"anonymous": TO_SIGN_IN, "owner": FORBIDDEN, "other_learner": FORBIDDEN, "instructor": FORBIDDEN, "admin": OK}


def owner_only(others):
    return {"anonymous": TO_SIGN_IN, "owner": OK, "other_learner": others, "instructor": others, "admin": others}


# What a GET (or, for POST-only routes, an empty POST with a valid CSRF token) answers.
ACCESS = {
    "pages.index": PUBLIC,
    "pages.course_page": PUBLIC,
    "pages.references_page": PUBLIC,
    "pages.module_page": SIGNED_IN,
    "accounts.register": SIGNED_OUT_ONLY,
    "accounts.registered": PUBLIC,
    "accounts.sign_in": SIGNED_OUT_ONLY,
    "accounts.forgot_password": PUBLIC,
    "accounts.reset_password": PUBLIC,
    "accounts.sign_out": dict.fromkeys(ROLES, AWAY),
    "accounts.profile": SIGNED_IN,
    "accounts.change_password_page": SIGNED_IN,
    "quizzes.quiz_intro": owner_only(FORBIDDEN),  # others have not read the module
    "quizzes.attempt_page": owner_only(NOT_FOUND),
    "quizzes.submit": {**owner_only(NOT_FOUND), "owner": 422},  # an empty submission
    "quizzes.history": SIGNED_IN,
    "credits.evaluation": SIGNED_IN,  # others are told to complete the course first
    "credits.claim_page": SIGNED_IN,
    "credits.claim": {**owner_only(409), "owner": AWAY},
    "credits.certificate_page": owner_only(NOT_FOUND),
    "credits.certificate_download": owner_only(NOT_FOUND),
    "credits.transcript": SIGNED_IN,
    "credits.transcript_download": SIGNED_IN,
    "credits.verify": PUBLIC,
    "credits.badge_download": owner_only(NOT_FOUND),
    "credits.badge_image": owner_only(NOT_FOUND),
    "credits.badge_issuer": PUBLIC,
    "credits.badge_status_list": PUBLIC,
    "credits.verify_badge": PUBLIC,
    "credits.verify_lookup": PUBLIC,
    "instructor.content_status": INSTRUCTORS,
    "instructor.module_preview": INSTRUCTORS,
    "instructor.questions_preview": INSTRUCTORS,
    "instructor.item_analysis": INSTRUCTORS,
    "instructor.draft_status": INSTRUCTORS,
    # The world has no draft folder: nothing to preview, and publishing is refused back to the draft page.
    "instructor.draft_module_preview": {**INSTRUCTORS, "instructor": NOT_FOUND, "admin": NOT_FOUND},
    "instructor.draft_questions_preview": {**INSTRUCTORS, "instructor": NOT_FOUND, "admin": NOT_FOUND},
    "instructor.publish_draft": {**INSTRUCTORS, "instructor": AWAY, "admin": AWAY},
    "admin.dashboard": ADMINS,
    "admin.learners": ADMINS,
    "admin.learner": ADMINS,
    "admin.change_user_role": {**ADMINS, "admin": 422},  # an empty form: no role chosen
    "admin.certificate": ADMINS,
    "admin.revoke_certificate": {**ADMINS, "admin": 422},  # an empty form: no reason given
    "admin.reissue_certificate": {**ADMINS, "admin": AWAY},  # reissued: on to the new certificate's page
    "admin.completions": ADMINS,
    "admin.export_completions": ADMINS,
    "admin.reporting": ADMINS,
    "admin.make_report_batch": {**ADMINS, "admin": 409},  # nothing waits to be reported: no empty batch
    "admin.report_batch": ADMINS,
    "admin.report_batch_file": ADMINS,
    "admin.report_result_file": {**ADMINS, "admin": 422},  # an empty form: no file chosen
    "admin.report_accept_rest": {**ADMINS, "admin": 409},  # the batch is not uploaded yet
    "admin.report_submit": {**ADMINS, "admin": AWAY},  # marked uploaded: back to the batch page
    "admin.report_record": ADMINS,
    "admin.report_record_outcome": {**ADMINS, "admin": 422},  # an empty form: no outcome chosen
    "admin.report_record_corrected": {**ADMINS, "admin": 409},  # only a rejected record is corrected
    "admin.export_evaluations": ADMINS,
    "admin.audit": ADMINS,
    "admin.lti_platforms": ADMINS,
    "admin.register_lti_platform": {**ADMINS, "admin": 422},  # an empty form
    "lti.login": dict.fromkeys(ROLES, 400),  # no issuer or login hint
    "lti.launch": dict.fromkeys(ROLES, 400),  # no id_token
    "lti.jwks": PUBLIC,
    "lti.deep_link": {**dict.fromkeys(ROLES, 400), "anonymous": TO_SIGN_IN},  # no deep linking request pending
    # Learner support (staff/admin/support.py)
    "admin.edit_learner_profile": ADMINS,
    "admin.certificate_pdf": ADMINS,
    "admin.reinstate_certificate": {**ADMINS, "admin": 422},  # an empty form: no reason given
    "admin.correct_certificate_amount": {**ADMINS, "admin": 422},  # an empty form: no amount given
    "admin.change_quiz_attempts": {**ADMINS, "admin": 422},  # an empty form: no quiz chosen
    "admin.record_completion": {**ADMINS, "admin": 422},  # an empty form: no course chosen
    "admin.deactivate_account": {**ADMINS, "admin": 422},  # an empty form: no reason given
    "admin.reactivate_account": {**ADMINS, "admin": 422},
    "admin.delete_learner_account": {**ADMINS, "admin": 422},  # an empty form: no confirmation
    "admin.send_password_reset": {**ADMINS, "admin": AWAY},  # the form is only its token: sent, back to the page
}


def outcome(response) -> object:
    if response.status_code in (302, 303):
        return TO_SIGN_IN if "/sign-in" in response.headers["Location"] else AWAY
    return response.status_code


def test_every_route_has_an_access_rule(app):
    missing = sorted({rule.endpoint for rule in routes(app)} - set(ACCESS))
    assert missing == [], f"add these endpoints to ACCESS in tests/test_access_control.py: {missing}"


def test_every_route_answers_each_role_as_the_table_says(app):
    app.config["SIGN_IN_RATE_LIMIT"] = "1000 per minute"  # this test signs in many times
    world = build_world(app)
    clients = {role: app.test_client() for role in ROLES}
    for role, email in world.users.items():
        sign_in(clients[role], email)
    tokens = {role: csrf_token(client, "/forgot-password") for role, client in clients.items()}
    mismatches = []
    for rule in routes(app):
        with app.test_request_context():
            url = url_for(rule.endpoint, **world.params(rule))
        for role in ROLES:
            client = clients[role]
            if "GET" in rule.methods:
                response = client.get(url)
            else:
                response = client.post(url, data={"csrf_token": tokens[role], f"{world.params(rule).get('approval_id')}-csrf_token": tokens[role]})
            expected = ACCESS.get(rule.endpoint, {}).get(role)
            if outcome(response) != expected:
                mismatches.append(f"{rule.endpoint} as {role}: got {outcome(response)}, expected {expected}")
            if rule.endpoint == "accounts.sign_out":  # sign back in, with a new session and token
                if role != "anonymous":
                    sign_in(client, world.users[role])
                tokens[role] = csrf_token(client, "/forgot-password")
    assert mismatches == [], "\n".join(mismatches)
