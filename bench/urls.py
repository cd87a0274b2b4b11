"""The app's URLs plus the benchmark's floor page, served only by the benchmark's gunicorn
(bench/settings.py): never part of config.urls."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import include, path

from config.urls import handler400, handler403, handler404, handler500  # noqa: F401
from core.models import Municipality

FLOOR_TEMPLATE = engines["django"].from_string(
    "<!doctype html><title>floor</title><p>{{ user.username }}: {{ code }} {{ name }}</p>"
)


@login_required
def floor(request: HttpRequest) -> HttpResponse:
    """The stack's own floor: the same middleware (session, user, CSRF, the app's own), one
    query and a tiny template. What a page of this app cannot be cheaper than."""
    code, name = Municipality.objects.order_by("pk").values_list("code", "name_ja").first() or (
        "",
        "",
    )
    return HttpResponse(FLOOR_TEMPLATE.render({"user": request.user, "code": code, "name": name}))


urlpatterns = [
    path("bench/floor/", floor, name="bench_floor"),
    path("", include("config.urls")),
]
