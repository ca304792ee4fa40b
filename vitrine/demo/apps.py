from django.apps import AppConfig


class DemoConfig(AppConfig):
    """`manage.py demo`; on top of every other app, which it drives the way production does."""

    name = "vitrine.demo"
    label = "demo"
    verbose_name = "Demo"
