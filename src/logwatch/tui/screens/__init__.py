"""Screens of the dashboard: main, drill-downs, help, alerts."""
