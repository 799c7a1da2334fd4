"""Your sessions: sign out everywhere else (security.md SEC-27)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from turnpoint.accounts.sessions import sessions_end_others


@login_required
@require_http_methods(["GET", "POST"])
def sessions(request):
    if request.method == "POST":
        ended = sessions_end_others(request)
        if ended:
            messages.success(request, f"You were signed out of {ended} other "
                             f"session{'s' if ended != 1 else ''}.")  # fmt: skip
        else:
            messages.success(request, "You had no other sessions. This one stays signed in.")
        return redirect("web:account_sessions")
    return render(request, "web/account/sessions.html")
