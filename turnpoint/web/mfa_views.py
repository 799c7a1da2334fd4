"""The second sign-in step: set up an authenticator app, or enter a security code (SEC-25).

turnpoint.accounts.middleware sends every signed-in but unverified session here; the rules live
in turnpoint.accounts.mfa. Both pages send a session that is already verified on to where it was
going, so neither can be used to skip or repeat a step.
"""

import math

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from turnpoint.accounts import totp
from turnpoint.accounts.backends import account_wait
from turnpoint.accounts.mfa import (
    CodeRefused,
    mfa_verify,
    session_is_verified,
    session_mark_verified,
    totp_device_confirm,
    totp_device_confirmed,
    totp_device_for_enrolment,
)
from turnpoint.sharing.audit import audit_write

from .forms import GovukForm

_WRONG_CODE = (
    "Security code is not right or has already been used. Enter the newest code from your "
    "authenticator app"
)


class SecurityCodeForm(GovukForm):
    code = forms.CharField(
        label="Security code",
        max_length=40,
        error_messages={
            "required": "Enter the security code",
            "max_length": "Security code must be 40 characters or fewer",
        },
    )


def _next_url(request) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _locked_out(request):
    """Too many wrong passwords and codes: sign out; the lockout (SEC-26) does the rest."""
    user = request.user
    audit_write(
        acting_user=user, action="denied", detail={"username": user.username, "reason": "locked"}
    )
    minutes = max(1, math.ceil(account_wait(user.username) / 60))
    logout(request)
    messages.error(
        request,
        "Too many wrong passwords or security codes. You have been signed out. "
        f"Try again in {minutes} minute{'' if minutes == 1 else 's'}, or ask your administrator "
        "for help.",
    )
    return redirect("login")


def _qr_svg(uri: str) -> str:
    svg = segno.make(uri, error="m").svg_inline(scale=4, light="#fff")
    return svg.replace(
        "<svg ", '<svg role="img" aria-label="QR code to scan with your authenticator app" ', 1
    )


@login_required
@require_http_methods(["GET", "POST"])
def mfa_enrol(request):
    """Show the new secret (QR code and text); a first code confirms it and the recovery codes
    are shown once, in the response to that POST, and never stored in readable form."""
    user = request.user
    if session_is_verified(request.session, user):
        return redirect(_next_url(request))
    if totp_device_confirmed(user):
        return redirect("web:mfa_verify")
    form = SecurityCodeForm(request.POST or None)
    if request.method == "POST" and account_wait(user.username):
        return _locked_out(request)
    if request.method == "POST" and form.is_valid():
        try:
            codes = totp_device_confirm(user=user, code=form.cleaned_data["code"])
        except CodeRefused:
            if account_wait(user.username):
                return _locked_out(request)
            form.add_error("code", _WRONG_CODE)
        else:
            session_mark_verified(request, user)
            return render(
                request,
                "web/mfa/recovery_codes.html",
                {"codes": codes, "next": _next_url(request)},
            )
    device = totp_device_for_enrolment(user=user)
    issuer = settings.TURNPOINT_SERVICE_NAME
    uri = totp.provisioning_uri(device.secret, account=user.username, issuer=issuer)
    errors = form.error_list() if form.is_bound else []
    context = {
        "form": form,
        "errors": errors,
        "secret": totp.secret_grouped(device.secret),
        "uri": uri,
        "qr_svg": _qr_svg(uri),
        "next": request.POST.get("next") or request.GET.get("next", ""),
    }
    return render(request, "web/mfa/enrol.html", context, status=400 if errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def mfa_verify_page(request):
    user = request.user
    if session_is_verified(request.session, user):
        return redirect(_next_url(request))
    if not totp_device_confirmed(user):
        return redirect("web:mfa_enrol")
    form = SecurityCodeForm(request.POST or None)
    if request.method == "POST" and account_wait(user.username):
        return _locked_out(request)
    if request.method == "POST" and form.is_valid():
        try:
            result = mfa_verify(user=user, code=form.cleaned_data["code"])
        except CodeRefused:
            if account_wait(user.username):
                return _locked_out(request)
            form.add_error("code", _WRONG_CODE + ", or one of your recovery codes")
        else:
            session_mark_verified(request, user)
            if result["method"] == "recovery_code":
                left = result["remaining"]
                messages.warning(
                    request,
                    f"You used a recovery code. You have {left} left. Ask your administrator to "
                    "reset your authenticator app if you no longer have it.",
                )
            return redirect(_next_url(request))
    errors = form.error_list() if form.is_bound else []
    context = {
        "form": form,
        "errors": errors,
        "next": request.POST.get("next") or request.GET.get("next", ""),
    }
    return render(request, "web/mfa/verify.html", context, status=400 if errors else 200)
