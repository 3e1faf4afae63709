"""Notification events (reminders, account emails) and their delivery by email."""

from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "moorage.notifications"
    label = "notifications"
    verbose_name = "Notifications"
