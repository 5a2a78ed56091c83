"""Installing Jeeves in a Slack workspace (OAuth v2): the install pages, their one-time state,
and the exchange of Slack's code for an installation."""

from jeeves_frontend.install.views import mount_install

__all__ = ["mount_install"]
