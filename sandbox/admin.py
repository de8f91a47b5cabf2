from __future__ import annotations

from django.contrib import admin

from sandbox.models import Design, Revision, ShareLink, Template


class RevisionInline(admin.TabularInline):
    model = Revision
    fields = ("number", "author", "message", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    ordering = ("-number",)


class ShareLinkInline(admin.TabularInline):
    model = ShareLink
    fields = ("token", "created_at", "revoked_at")
    readonly_fields = ("token", "created_at")
    extra = 0


@admin.register(Design)
class DesignAdmin(admin.ModelAdmin):
    list_display = ("name", "owner", "visibility", "head", "updated_at")
    list_filter = ("visibility",)
    search_fields = ("name", "description", "owner__username")
    raw_id_fields = ("owner", "forked_from")
    readonly_fields = ("head", "created_at", "updated_at")
    inlines = [ShareLinkInline, RevisionInline]


@admin.register(Revision)
class RevisionAdmin(admin.ModelAdmin):
    # Revisions are history: readable here, never edited in place.
    list_display = ("design", "number", "author", "message", "created_at")
    search_fields = ("design__name", "message")
    readonly_fields = ("design", "number", "author", "message", "created_at", "document")

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(ShareLink)
class ShareLinkAdmin(admin.ModelAdmin):
    list_display = ("design", "token", "created_at", "revoked_at")
    list_filter = ("revoked_at",)
    raw_id_fields = ("design",)


@admin.register(Template)
class TemplateAdmin(admin.ModelAdmin):
    list_display = ("title", "slug", "position")
    search_fields = ("title", "slug", "lesson")
