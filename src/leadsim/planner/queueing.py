"""Closed-form M/M/c (Erlang C) queueing formulas.

These are the yardstick the simulator is validated against: in the degenerate
``scenarios/erlang_c.yaml`` case (Poisson arrivals, ``c`` reps on duty around
the clock, exponential handle time, one attempt per lead, first come first
served) the time from a lead's arrival to its first attempt is exactly the
M/M/c waiting time ``Wq``. They are also the first approximation for staffing
(:func:`mmc_min_servers`).

Notation (as in Gross & Harris, *Fundamentals of Queueing Theory*, ch. 2):

* ``lambda`` -- arrival rate, ``mu`` -- service rate per server (any time
  unit, as long as both use the same one; leadsim uses minutes);
* ``a = lambda / mu`` -- offered load in Erlangs;
* ``rho = a / c`` -- utilisation per server; the queue is stable iff ``a < c``.

Pure math: only :mod:`math` is used, so the module is cheap to import.
"""

from __future__ import annotations

import math

__all__ = [
    "erlang_b",
    "erlang_c",
    "mmc_mean_queue_length",
    "mmc_mean_wait",
    "mmc_min_servers",
    "mmc_wait_cdf",
]


def _check_servers(c: int) -> None:
    """Reject a server count that is not a positive integer.

    Args:
        c: Number of servers.

    Raises:
        ValueError: If ``c`` is not an integer >= 1.
    """
    # bool is an int subclass; True as "one server" is almost surely a bug.
    if isinstance(c, bool) or not isinstance(c, int):
        raise ValueError(f"number of servers c must be an integer >= 1, got {c!r}")
    if c < 1:
        raise ValueError(f"number of servers c must be >= 1, got {c}")


def _check_positive(name: str, value: float) -> None:
    """Reject a rate or load that is not a finite positive number.

    Args:
        name: Parameter name used in the error message.
        value: The value to check.

    Raises:
        ValueError: If ``value`` is not finite and > 0.
    """
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value}")


def _check_stable(c: int, offered_load: float) -> None:
    """Reject an offered load that the ``c`` servers cannot carry.

    Args:
        c: Number of servers.
        offered_load: Offered load ``a = lambda / mu`` in Erlangs.

    Raises:
        ValueError: If ``a >= c`` (utilisation ``rho >= 1``): the queue then
            grows without bound and no steady state exists.
    """
    if offered_load >= c:
        raise ValueError(
            f"unstable M/M/c queue: offered load a = lambda/mu = {offered_load:.6g} "
            f"must be < c = {c} (utilisation rho = {offered_load / c:.4g} >= 1); "
            "add servers or reduce the arrival rate"
        )


def erlang_b(c: int, offered_load: float) -> float:
    """Erlang B blocking probability of an M/M/c/c loss system.

    Computed with the standard recursion

        B(0, a) = 1,    B(k, a) = a * B(k-1, a) / (k + a * B(k-1, a)),

    which only multiplies and divides numbers in [0, 1] and ``a``, so it
    neither overflows nor loses precision for large ``c`` (the textbook form
    ``(a^c / c!) / sum_k a^k / k!`` overflows a float near c = 170).

    Args:
        c: Number of servers (>= 1).
        offered_load: Offered load ``a = lambda / mu`` in Erlangs (> 0). No
            stability condition: a loss system is stable for any load.

    Returns:
        The probability that an arriving customer finds all ``c`` servers busy
        and is lost.

    Raises:
        ValueError: If ``c`` is not a positive integer or ``a`` is not > 0.
    """
    _check_servers(c)
    _check_positive("offered_load", offered_load)
    b = 1.0
    for k in range(1, c + 1):
        b = offered_load * b / (k + offered_load * b)
    return b


def erlang_c(c: int, offered_load: float) -> float:
    """Erlang C probability that an arrival must wait in an M/M/c queue.

    Textbook form (Gross & Harris eq. 2.37, with ``rho = a / c``)::

        C(c, a) = (a^c / c!) / (1 - rho)
                  / ( sum_{k=0}^{c-1} a^k / k!  +  (a^c / c!) / (1 - rho) )

    evaluated through the Erlang B recursion (see :func:`erlang_b`) using the
    identity

        C(c, a) = B(c, a) / (1 - rho * (1 - B(c, a))),

    which is numerically stable for c in the hundreds and beyond.

    Args:
        c: Number of servers (>= 1).
        offered_load: Offered load ``a = lambda / mu`` in Erlangs, 0 < a < c.

    Returns:
        P(Wq > 0), the probability of waiting, in (0, 1).

    Raises:
        ValueError: If ``c`` is not a positive integer, ``a <= 0``, or
            ``a >= c`` (unstable queue).
    """
    _check_servers(c)
    _check_positive("offered_load", offered_load)
    _check_stable(c, offered_load)
    b = erlang_b(c, offered_load)
    rho = offered_load / c
    return b / (1.0 - rho * (1.0 - b))


def _validated_load(c: int, arrival_rate: float, service_rate: float) -> float:
    """Validate M/M/c parameters and return the offered load ``lambda / mu``.

    Args:
        c: Number of servers.
        arrival_rate: Arrival rate ``lambda``.
        service_rate: Service rate per server ``mu``.

    Returns:
        The offered load ``a = lambda / mu``.

    Raises:
        ValueError: On non-positive inputs or an unstable queue.
    """
    _check_servers(c)
    _check_positive("arrival_rate", arrival_rate)
    _check_positive("service_rate", service_rate)
    load = arrival_rate / service_rate
    _check_stable(c, load)
    return load


def mmc_mean_wait(c: int, arrival_rate: float, service_rate: float) -> float:
    """Mean waiting time in queue ``Wq`` of an M/M/c queue (FIFO).

    Formula (Gross & Harris eq. 2.39)::

        E[Wq] = C(c, a) / (c * mu - lambda)

    For c = 1 this is the M/M/1 result ``rho / (mu - lambda)``.

    Args:
        c: Number of servers (>= 1).
        arrival_rate: ``lambda``, arrivals per time unit (> 0).
        service_rate: ``mu``, services per server per time unit (> 0).

    Returns:
        The mean wait before service starts, in the time unit of the rates.

    Raises:
        ValueError: On non-positive inputs or ``lambda / mu >= c``.
    """
    load = _validated_load(c, arrival_rate, service_rate)
    return erlang_c(c, load) / (c * service_rate - arrival_rate)


def mmc_wait_cdf(t: float, c: int, arrival_rate: float, service_rate: float) -> float:
    """Distribution function of the FIFO M/M/c waiting time, ``P(Wq <= t)``.

    Formula (Gross & Harris eq. 2.42): the wait is 0 with probability
    ``1 - C(c, a)`` and, given that a customer waits, exponential with rate
    ``c * mu - lambda``, so::

        P(Wq <= t) = 1 - C(c, a) * exp(-(c * mu - lambda) * t),   t >= 0.

    Args:
        t: Waiting-time threshold, in the time unit of the rates. For ``t < 0``
            the probability is 0 (a wait is never negative).
        c: Number of servers (>= 1).
        arrival_rate: ``lambda``, arrivals per time unit (> 0).
        service_rate: ``mu``, services per server per time unit (> 0).

    Returns:
        The probability that a customer waits at most ``t``. At ``t = 0`` this
        is ``1 - C(c, a)``, the share served immediately.

    Raises:
        ValueError: On non-positive rates, ``lambda / mu >= c``, or a NaN ``t``.
    """
    load = _validated_load(c, arrival_rate, service_rate)
    if math.isnan(t):
        raise ValueError("waiting-time threshold t must be a number, got NaN")
    if t < 0:
        return 0.0
    return 1.0 - erlang_c(c, load) * math.exp(-(c * service_rate - arrival_rate) * t)


def mmc_mean_queue_length(c: int, arrival_rate: float, service_rate: float) -> float:
    """Mean number waiting in queue ``Lq`` of an M/M/c queue.

    Formula (Gross & Harris eq. 2.38, or Little's law ``Lq = lambda * Wq``)::

        Lq = C(c, a) * rho / (1 - rho),    rho = a / c.

    Args:
        c: Number of servers (>= 1).
        arrival_rate: ``lambda``, arrivals per time unit (> 0).
        service_rate: ``mu``, services per server per time unit (> 0).

    Returns:
        The time-average number of customers waiting (not in service).

    Raises:
        ValueError: On non-positive inputs or ``lambda / mu >= c``.
    """
    load = _validated_load(c, arrival_rate, service_rate)
    rho = load / c
    return erlang_c(c, load) * rho / (1.0 - rho)


def mmc_min_servers(
    arrival_rate: float,
    service_rate: float,
    target_wait_minutes: float,
    target_share: float,
) -> int:
    """Smallest number of servers meeting a service-level target.

    Finds the least ``c`` with ``a < c`` and

        P(Wq <= t) = 1 - C(c, a) * exp(-(c * mu - lambda) * t) >= share,

    the classic call-centre staffing rule ("80% of leads called within 5
    minutes"). ``P(Wq <= t)`` increases with ``c``, so a linear search upward
    from the smallest stable ``c = floor(a) + 1`` finds the minimum; it ends
    after roughly ``a + O(sqrt(a))`` steps (square-root staffing).

    Args:
        arrival_rate: ``lambda``, arrivals per minute (> 0).
        service_rate: ``mu``, services per server per minute (> 0).
        target_wait_minutes: The threshold ``t`` in minutes (>= 0); 0 asks
            for the share answered with no wait at all.
        target_share: Required share served within ``t``, in (0, 1). A share
            of 1 is unreachable (some customer always waits with positive
            probability), so it is rejected.

    Returns:
        The minimum number of servers.

    Raises:
        ValueError: On non-positive rates, a negative or non-finite
            ``target_wait_minutes``, or ``target_share`` outside (0, 1).
    """
    _check_positive("arrival_rate", arrival_rate)
    _check_positive("service_rate", service_rate)
    if (
        not isinstance(target_wait_minutes, (int, float))
        or not math.isfinite(target_wait_minutes)
        or target_wait_minutes < 0
    ):
        raise ValueError(
            f"target_wait_minutes must be a finite number >= 0, got {target_wait_minutes!r}"
        )
    if not isinstance(target_share, (int, float)) or not 0 < target_share < 1:
        raise ValueError(
            "target_share must be strictly between 0 and 1 (a share of 1 can never be met "
            f"in an M/M/c queue), got {target_share!r}"
        )
    load = arrival_rate / service_rate
    c = math.floor(load) + 1
    while mmc_wait_cdf(target_wait_minutes, c, arrival_rate, service_rate) < target_share:
        c += 1
    return c
