"""The prioritization and cadence engine: pure Python, no SimPy, numpy, pandas or Optuna.

Import the public API from here::

    from leadsim.engine import Engine, EngineConfig, FloorCalendar, NewLead, RepView, AttemptResult
"""

from leadsim.engine.calendar import FloorCalendar
from leadsim.engine.config import CadenceRules, EngineConfig
from leadsim.engine.core import Engine, EngineError
from leadsim.engine.types import AttemptResult, Dial, LeadClosed, NewLead, RepView, StepSent

__all__ = [
    "AttemptResult",
    "CadenceRules",
    "Dial",
    "Engine",
    "EngineConfig",
    "EngineError",
    "FloorCalendar",
    "LeadClosed",
    "NewLead",
    "RepView",
    "StepSent",
]
