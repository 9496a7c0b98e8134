"""Closed-form M/M/c (Erlang C), M/M/c+M (Erlang A) and M/M/c+D queueing formulas.

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

With impatient callers (abandonment), ``theta`` is the patience rate (1 / mean
patience) of exponential patience -- Erlang A, M/M/c+M -- and ``D`` a fixed
patience -- M/M/c+D. Both are stable at any load, ``a >= c`` included: callers
who wait too long leave. Their formulas are those of the M/M/n+G queue
(Mandelbaum & Zeltyn, "The M/M/n+G queue: summary of performance measures",
Technion, 2009; Baccelli & Hebuterne 1981): with ``H(x) = int_0^x P(patience > u) du``,
``J = int_0^inf exp(lambda H(x) - c mu x) dx`` and ``E = 1 / B(c - 1, a)``,

    P(wait > 0) = lambda J / (E + lambda J),
    P(abandon)  = (1 + (lambda - c mu) J) / (E + lambda J),

and the offered wait V has density ``lambda exp(lambda H(x) - c mu x) / (E + lambda J)``
for x > 0; a caller is answered iff its patience exceeds V.

Pure math: only :mod:`math` is used, so the module is cheap to import.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

__all__ = [
    "ImpatientQueue",
    "erlang_a",
    "erlang_b",
    "erlang_c",
    "mmc_deterministic_patience",
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


# ---------------------------------------------------------------- impatient callers


@dataclass(frozen=True)
class ImpatientQueue:
    """Steady-state measures of a queue with impatient callers (M/M/c+M or M/M/c+D).

    Attributes:
        p_wait: probability that an arriving caller finds every server busy (waits).
        p_abandon: probability that a caller hangs up before being answered.
        mean_wait_answered: mean wait of the callers who are answered (ASA), time unit of the rates.
        mean_wait_all: mean time in queue over all callers (answered or not).
        p_answered_within: the service level: P(answered within t), one value per entry of
            ``thresholds`` (in the order given).
        thresholds: the waiting-time thresholds t of ``p_answered_within``.
    """

    p_wait: float
    p_abandon: float
    mean_wait_answered: float
    mean_wait_all: float
    p_answered_within: tuple[float, ...] = ()
    thresholds: tuple[float, ...] = ()


def _inverse_b_below(c: int, load: float) -> float:
    """E = 1 / B(c - 1, a): the sum_{j<c} a^j / j! relative to a^(c-1) / (c-1)!."""
    return 1.0 if c == 1 else 1.0 / erlang_b(c - 1, load)


def _simpson(f: Callable[[float], float], lo: float, hi: float, n: int = 4000) -> float:
    """Composite Simpson rule on [lo, hi] with n (even) intervals (smooth integrands only)."""
    if hi <= lo:
        return 0.0
    h = (hi - lo) / n
    total = f(lo) + f(hi)
    total += 4.0 * sum(f(lo + (2 * i - 1) * h) for i in range(1, n // 2 + 1))
    total += 2.0 * sum(f(lo + 2 * i * h) for i in range(1, n // 2))
    return total * h / 3.0


def _check_thresholds(thresholds: Sequence[float]) -> tuple[float, ...]:
    out = tuple(float(t) for t in thresholds)
    for t in out:
        if not math.isfinite(t) or t < 0:
            raise ValueError(f"service-level thresholds must be finite numbers >= 0, got {t!r}")
    return out


def erlang_a(
    c: int, arrival_rate: float, service_rate: float, patience_rate: float,
    thresholds: Sequence[float] = (),
) -> ImpatientQueue:
    """Erlang A: the M/M/c+M queue (exponential patience with rate theta), FIFO.

    The number of callers in the system is a birth-death process with birth rate
    ``lambda`` and death rate ``min(j, c) mu + max(j - c, 0) theta`` in state j, so

        pi_j proportional to a^j / j!                        (j <= c)
        pi_{c+k} = pi_c prod_{i=1..k} lambda / (c mu + i theta)   (k >= 1).

    P(wait) = sum_{j >= c} pi_j (PASTA); the mean wait of all callers is
    ``Lq / lambda`` (Little); P(abandon) = theta Lq / lambda. A caller who finds k
    others waiting is answered with probability prod_{m=1..k+1} (c mu + (m-1) theta) /
    (c mu + m theta) after a mean sum_{m=1..k+1} 1 / (c mu + m theta) given it is
    answered, which gives the mean wait of the answered. The service level uses
    the M/M/n+G integral form (module docstring) by Simpson's rule.

    Args:
        c: number of servers (>= 1).
        arrival_rate: lambda (> 0).
        service_rate: mu per server (> 0).
        patience_rate: theta = 1 / mean patience (> 0). Any load is allowed.
        thresholds: waiting times t for the service level P(answered within t).

    Returns:
        The queue's measures, times in the unit of the rates.

    Raises:
        ValueError: on a non-positive rate or server count, or a bad threshold.
    """
    _check_servers(c)
    for name, value in (("arrival_rate", arrival_rate), ("service_rate", service_rate),
                        ("patience_rate", patience_rate)):
        _check_positive(name, value)
    lam, mu, theta = float(arrival_rate), float(service_rate), float(patience_rate)
    times = _check_thresholds(thresholds)
    if (lam - c * mu) / theta > 1e6:
        raise ValueError(
            f"Erlang A with load a = {lam / mu:.6g} above c = {c} needs impatient callers: the queue "
            f"grows to about (lambda - c mu) / theta = {(lam - c * mu) / theta:.3g} callers; give a "
            "larger patience rate theta (shorter mean patience)")
    load = lam / mu
    b = erlang_b(c, load)  # pi_c / sum_{j <= c} pi_j
    # Terms above c relative to pi_c: r_k = prod_{i<=k} lambda / (c mu + i theta).
    tail = lq_rel = 0.0
    served_rel = served_wait_rel = 0.0
    r, k = 1.0, 0
    p_serve, mean_to_serve = 1.0, 0.0  # for a caller finding k waiting (here k = 0)
    while True:
        # A caller arriving in state c + k (k waiting) is the (k+1)-th in line.
        m = k + 1
        rate_m = c * mu + m * theta
        p_serve *= (c * mu + (m - 1) * theta) / rate_m
        mean_to_serve += 1.0 / rate_m
        served_rel += r * p_serve
        served_wait_rel += r * p_serve * mean_to_serve
        k += 1
        r *= lam / (c * mu + k * theta)
        tail += r
        lq_rel += k * r
        # The ratios lambda / (c mu + k theta) fall below 1 once k theta > lambda - c mu, and
        # then geometrically faster: stop when a term no longer moves the sums.
        if r < 1e-17 * (1.0 + tail) and c * mu + k * theta > lam:
            break
    # Normalise: sum_{j<=c} pi_j = pi_c / b, sum_{j>c} = pi_c * tail.
    pi_c = 1.0 / (1.0 / b + tail)
    p_wait = pi_c * (1.0 + tail)
    lq = pi_c * lq_rel
    p_abandon = theta * lq / lam
    p_answered = 1.0 - p_wait + pi_c * served_rel
    mean_wait_answered = pi_c * served_wait_rel / p_answered
    within = tuple(_erlang_a_within(c, lam, mu, theta, p_wait, t) for t in times)
    return ImpatientQueue(p_wait, p_abandon, mean_wait_answered, lq / lam, within, times)


def _erlang_a_within(c: int, lam: float, mu: float, theta: float, p_wait: float, t: float) -> float:
    """P(answered within t) for M/M/c+M: P(V = 0) + int_0^t f_V(x) exp(-theta x) dx."""

    def g(x: float) -> float:  # exp(lambda H(x) - c mu x), H(x) = (1 - exp(-theta x)) / theta
        return math.exp(lam * (-math.expm1(-theta * x)) / theta - c * mu * x)

    # J over [0, inf): as H(x) <= min(x, 1 / theta), the integrand is below both
    # exp(lambda / theta - c mu x) and exp((lambda - c mu) x): past ``upper`` it is < e^-50.
    upper = (lam / theta + 50.0) / (c * mu)
    if c * mu > lam:
        upper = min(upper, 50.0 / (c * mu - lam))
    j = _simpson(g, 0.0, upper, 20_000)
    density_scale = p_wait / j  # lambda / (E + lambda J), from P(V > 0) = lambda J / (E + lambda J)
    answered = _simpson(lambda x: g(x) * math.exp(-theta * x), 0.0, min(t, upper), 4000)
    return (1.0 - p_wait) + density_scale * answered


def mmc_deterministic_patience(
    c: int, arrival_rate: float, service_rate: float, patience: float,
    thresholds: Sequence[float] = (),
) -> ImpatientQueue:
    """M/M/c+D: every caller waits exactly ``patience`` before hanging up, FIFO.

    With ``k = lambda - c mu``, ``H(x) = min(x, D)`` gives in closed form

        J = (exp(k D) - 1) / k + exp(k D) / (c mu)       (D when k = 0 for the first term)
        P(wait) = lambda J / (E + lambda J)
        P(abandon) = (lambda / (c mu)) exp(k D) / (E + lambda J)

    and the offered wait has density ``lambda exp(k x) / (E + lambda J)`` on (0, D),
    whence the mean wait of the answered and the service level. All callers who
    abandon waited exactly D.

    Args:
        c: number of servers (>= 1).
        arrival_rate: lambda (> 0).
        service_rate: mu per server (> 0).
        patience: D (> 0), same time unit as the rates. Any load is allowed.
        thresholds: waiting times t for the service level P(answered within t).

    Raises:
        ValueError: on a non-positive rate, patience or server count, or a bad threshold.
    """
    _check_servers(c)
    for name, value in (("arrival_rate", arrival_rate), ("service_rate", service_rate), ("patience", patience)):
        _check_positive(name, value)
    lam, mu, d = float(arrival_rate), float(service_rate), float(patience)
    times = _check_thresholds(thresholds)
    e = _inverse_b_below(c, lam / mu)
    k = lam - c * mu

    def integral_exp(upper: float) -> float:  # int_0^upper exp(k x) dx
        return upper if abs(k * upper) < 1e-12 else math.expm1(k * upper) / k

    def integral_x_exp(upper: float) -> float:  # int_0^upper x exp(k x) dx
        if abs(k * upper) < 1e-9:
            return upper * upper / 2.0
        return (math.exp(k * upper) * (k * upper - 1.0) + 1.0) / (k * k)

    j = integral_exp(d) + math.exp(k * d) / (c * mu)
    norm = e + lam * j
    p_wait = lam * j / norm
    p_abandon = (lam / (c * mu)) * math.exp(k * d) / norm
    p_answered = 1.0 - p_abandon
    mean_wait_answered = lam * integral_x_exp(d) / norm / p_answered
    mean_wait_all = p_answered * mean_wait_answered + p_abandon * d
    within = tuple((1.0 - p_wait) + lam * integral_exp(min(t, d)) / norm for t in times)
    return ImpatientQueue(p_wait, p_abandon, mean_wait_answered, mean_wait_all, within, times)
