"""`{% navigation_links as links %}`: the signed-in user's header links
(turnpoint/web/navigation.py)."""

from django import template

from turnpoint.web.navigation import navigation_for

register = template.Library()


@register.simple_tag(takes_context=True)
def navigation_links(context):
    request = context.get("request")
    if request is None:
        return []
    match = getattr(request, "resolver_match", None)
    return navigation_for(request.user, match.view_name if match else "")
