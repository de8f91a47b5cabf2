from __future__ import annotations

from django.apps import AppConfig


class LiveConfig(AppConfig):
    name = "sandbox.live"
    label = "live"
    verbose_name = "Live runs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from sandbox.live.revocation import close_what_the_link_opened
        from sandbox.live.shutdown import install_in_daphne
        from sandbox.models import share_link_revoked

        share_link_revoked.connect(close_what_the_link_opened, dispatch_uid="live-revocation")
        install_in_daphne()
