"""URLs of the benchmark's Django project: django-helpdesk's own (its mails link to them)."""

from django.urls import include, path

urlpatterns = [path("helpdesk/", include("helpdesk.urls", namespace="helpdesk"))]
