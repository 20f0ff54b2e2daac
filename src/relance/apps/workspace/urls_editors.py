"""Pages that edit scenarios and message templates (view, edit with preview, assign per debtor)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
