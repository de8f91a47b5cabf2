from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from sandbox.views import (
    accounts,
    api,
    designs,
    editor,
    gallery,
    history,
    pages,
    sharing,
    transfer,
    workspace,
)

urlpatterns = [
    path("", pages.home, name="home"),
    # My designs
    path("designs/", designs.design_list, name="design_list"),
    path("designs/new/", designs.design_create, name="design_create"),
    path("designs/import/", transfer.design_import, name="design_import"),
    path("designs/<int:pk>/", workspace.design_detail, name="design_detail"),
    path("designs/<int:pk>/row/", designs.design_row, name="design_row"),
    path("designs/<int:pk>/rename/", designs.design_rename, name="design_rename"),
    path("designs/<int:pk>/settings/", designs.design_settings, name="design_settings"),
    path("designs/<int:pk>/duplicate/", designs.design_duplicate, name="design_duplicate"),
    path("designs/<int:pk>/delete/", designs.design_delete, name="design_delete"),
    path("designs/<int:pk>/export/", transfer.design_export, name="design_export"),
    path("designs/<int:pk>/fork/", sharing.design_fork, name="design_fork"),
    path("designs/<int:pk>/share/", sharing.share_create, name="share_create"),
    path("designs/<int:pk>/share/revoke/", sharing.share_revoke, name="share_revoke"),
    path("designs/<int:pk>/history/", history.design_history, name="design_history"),
    path(
        "designs/<int:pk>/history/<int:number>/restore/",
        history.revision_restore,
        name="revision_restore",
    ),
    # Share links
    path("s/<str:token>/", workspace.shared_design, name="shared_design"),
    path("s/<str:token>/fork/", sharing.shared_fork, name="shared_fork"),
    path("s/<str:token>/export/", transfer.shared_export, name="shared_export"),
    # Galleries
    path("templates/", gallery.template_list, name="template_list"),
    path("templates/<slug:slug>/use/", gallery.template_use, name="template_use"),
    path("gallery/", gallery.gallery, name="gallery"),
    # The editor's properties panel
    path("editor/properties/", editor.properties, name="editor_properties"),
    # JSON API (docs/api.md)
    path("api/catalog", api.catalog, name="api_catalog"),
    path("api/validate", api.validate, name="api_validate"),
    path("api/designs/<int:pk>/document", api.document, name="api_document"),
    path("api/s/<str:token>/document", api.shared_document, name="api_shared_document"),
    # Accounts
    path("accounts/signup/", accounts.signup, name="signup"),
    path("accounts/login/", accounts.login_view, name="login"),
    path("accounts/password_reset/", accounts.password_reset, name="password_reset"),
    path(
        "accounts/reset/<uidb64>/<token>/",
        accounts.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("sandbox.live.urls")),
    # Before the admin's own URLs, so that its login form is rate-limited too.
    path("admin/login/", accounts.admin_login),
    path("admin/", admin.site.urls),
]
