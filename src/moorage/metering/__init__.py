"""Metered billing: usage samples collected from the panels, per-unit prices, and the usage lines of invoices."""
