from django.apps import AppConfig
from django.db.backends.signals import connection_created


class SharingConfig(AppConfig):
    name = "turnpoint.sharing"
    label = "sharing"

    def ready(self):
        from .append_only import register_sqlite_function

        connection_created.connect(
            register_sqlite_function, dispatch_uid="turnpoint_audit_clearing"
        )
