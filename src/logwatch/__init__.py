"""logwatch: watch web-server access logs; humans, bots, assets and probes counted apart."""

__version__ = "0.1.0"
