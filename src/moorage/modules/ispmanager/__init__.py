"""The ispmanager provisioning module."""
