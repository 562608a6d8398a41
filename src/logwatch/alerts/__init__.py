"""Alerts: rules (what to watch), the engine (when it fires and resolves), hooks (who to tell).

The core never imports textual or rich; the dashboard reads `AlertEngine.active()`,
`.history()`, `.status()` and `.rules`; headless writes `AlertEvent.to_json()` lines.
"""

from logwatch.alerts.engine import FIRING, RESOLVED, AlertEngine, AlertEvent, RuleStatus
from logwatch.alerts.hooks import HookResult, HookRunner
from logwatch.alerts.rules import DEFAULT_RULES, METRICS, AlertRule

__all__ = [
    "DEFAULT_RULES",
    "FIRING",
    "METRICS",
    "RESOLVED",
    "AlertEngine",
    "AlertEvent",
    "AlertRule",
    "HookResult",
    "HookRunner",
    "RuleStatus",
]
