from __future__ import annotations

from django.contrib import admin

from sandbox.live.models import Run


@admin.register(Run)
class RunAdmin(admin.ModelAdmin):
    list_display = ("id", "revision", "owner", "scenario_name", "status", "ticks", "created_at")
    list_filter = ("status",)
    search_fields = ("owner__username", "revision__design__name", "scenario_name")
    readonly_fields = ("id", "created_at", "started_at", "ended_at", "heartbeat_at")
    raw_id_fields = ("revision", "owner")
