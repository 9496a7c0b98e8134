"""Calibration: historical logs -> validated tables -> fitted parameters -> a scenario YAML.

Modules, in the order data flows through them:

* :mod:`canonical` -- the three canonical log schemas (leads, activities, inbound calls);
* :mod:`colmap` -- column maps (YAML) and the shipped presets that translate an export;
* :mod:`reader` -- streaming, validating readers; bad rows go to quarantine with a reason;
* :mod:`fits_arrivals`, :mod:`fits_handle`, :mod:`fits_contact`, :mod:`fits_conversion`,
  :mod:`fits_practice`, :mod:`fits_inbound` -- the fits, each with intervals and n;
* :mod:`writer` -- the calibrated scenario YAML (with a comment per fitted value);
* :mod:`command` -- what ``leadsim calibrate`` runs.

Dependencies: calibration -> scenarios, simulator (never planner or cli).
"""
