"""leadsim: a discrete-event simulator and capacity planner for sales lead response."""

__version__ = "0.1.0"
