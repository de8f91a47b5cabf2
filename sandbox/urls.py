from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from sandbox.views import accounts, designs, gallery, pages

urlpatterns = [
    path("", pages.home, name="home"),
    path("designs/", designs.design_list, name="design_list"),
    path("templates/", gallery.template_list, name="template_list"),
    path("gallery/", gallery.gallery, name="gallery"),
    path("accounts/signup/", accounts.signup, name="signup"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
]
