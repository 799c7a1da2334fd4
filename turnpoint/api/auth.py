"""Bearer-token authentication: `Authorization: Bearer <token>` (`turnpoint tokens create USER`).

Only the token's SHA-256 digest is stored; a revoked token or an inactive user signs nobody in.
"""

from ninja.security import HttpBearer

from turnpoint.accounts.models import ApiToken, Role


class BearerToken(HttpBearer):
    def authenticate(self, request, token: str):
        if not token or len(token) > 200:
            return None
        found = ApiToken.objects.for_raw(token).select_related("user", "user__agency").first()
        if found is None or found.user.role == Role.PARTICIPANT:
            # The API is for staff and integrations; a participant has the portal.
            return None
        # The API acts as this user: the same policy function as the pages, the same audit rows.
        request.user = found.user
        return found.user
