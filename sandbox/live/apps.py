from __future__ import annotations

from django.apps import AppConfig


class LiveConfig(AppConfig):
    name = "sandbox.live"
    label = "live"
    verbose_name = "Live runs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from sandbox.live.shutdown import install_in_daphne

        install_in_daphne()
