"""Client area views."""

from django.http import HttpResponse


def dashboard(request):  # noqa: ANN001, ANN201
    return HttpResponse("Moorage")
