"""The dashboard: a browser UI served beside the REST API, built only on that public API."""

from nanoping.dashboard.site import DashboardSite, dashboard_url, exposed_beyond_loopback

__all__ = ["DashboardSite", "dashboard_url", "exposed_beyond_loopback"]
