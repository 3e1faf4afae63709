"""Provisioning rows (app connections, jobs) arrive with the provisioning issue."""
