"""The prioritization and cadence engine: pure Python, no SimPy, numpy, pandas, Optuna or pydantic.

It imports only the standard library and :mod:`leadsim.vocabulary`, so a live
floor can run it without the scenario language. Import the public API from here::

    from leadsim.engine import Engine, EngineConfig, FloorCalendar, NewLead, RepView, AttemptResult

A scenario becomes an :class:`EngineConfig` through the simulator's adapter,
:func:`leadsim.simulator.engine_config.engine_config`.
"""

from leadsim.engine.calendar import FloorCalendar
from leadsim.engine.config import (
    CadenceRules,
    CallRules,
    DistributionRules,
    EngineConfig,
    OutcomeRules,
)
from leadsim.engine.core import Engine, EngineError, GapProvider
from leadsim.engine.state import LeadState
from leadsim.engine.types import (
    CALL_OUTCOMES,
    CLOSE_STATUSES,
    AttemptResult,
    Dial,
    LeadClosed,
    NewLead,
    RepView,
    StepSent,
)

__all__ = [
    "CALL_OUTCOMES",
    "CLOSE_STATUSES",
    "AttemptResult",
    "CadenceRules",
    "CallRules",
    "Dial",
    "DistributionRules",
    "Engine",
    "EngineConfig",
    "EngineError",
    "FloorCalendar",
    "GapProvider",
    "LeadClosed",
    "LeadState",
    "NewLead",
    "OutcomeRules",
    "RepView",
    "StepSent",
]
