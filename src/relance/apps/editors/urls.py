"""Routes of the scenario and template editors, inside the workspace's namespace."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
