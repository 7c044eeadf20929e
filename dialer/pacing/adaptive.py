"""VICIdial's adaptive dial level (ADAPT_HARD_LIMIT, ADAPT_TAPERED,
ADAPT_AVERAGE) with a drop-rate limit, as REFERENCE.md section 4 describes it
(VICIdial ``bin/AST_VDadapt.pl``, ``bin/AST_VDauto_dial.pl``,
``docs/PREDICTIVE.txt``).

* Every second the dialer places ``round(level x agents) - calls in
  progress`` calls (agents: logged in and not on break; calls in progress:
  lines in use), as in RATIO mode (``ratio.py``), and samples the
  differential ``ready agents - waiting calls``.
* Every 15 seconds the level is moved by the average differential of the last
  15 samples, relative to the agent count: ``level *= 1 + d / agents``, where
  ``intensity`` (-40..+40, in percent) amplifies upward moves by
  ``1 + intensity/100`` and downward ones by ``|intensity/100 - 1|``; then
  clamped to [1.0, maximumLevel].
* It is halved when over half of the last minute's live calls dropped (with
  more than 20 of them), and, when today's drop percentage (drops over live
  calls, more than 50 of them) exceeds ``droppedPercentage``:
  ADAPT_HARD_LIMIT sets it to 1.0, ADAPT_AVERAGE halves it, ADAPT_TAPERED
  multiplies it by the share of the last ten hours of the dialling day still
  to come (so the limit is enforced more and more as the day ends); never
  below 1.0.

"Today" is the calendar day of the run's clock (a new day every 86,400 s from
the schedule start); a drop is a live call the engine counts abandoned (the
campaign's threshold, VICIdial's ``drop_call_seconds``). Not a Connect mode:
the pacing benchmark tunes ``droppedPercentage`` in hindsight.
"""

from __future__ import annotations

from collections import deque

from dialer.pacing.base import DialerView, Pacer

METHODS = ("ADAPT_HARD_LIMIT", "ADAPT_TAPERED", "ADAPT_AVERAGE")
DAY = 86_400.0


class Adaptive(Pacer):
    name = "adaptive"
    wake_on_agent_free = True
    wake_on_line_free = True

    UPDATE_EVERY = 15.0  # seconds between level updates (AST_VDadapt.pl's cycle)
    SAMPLES = 15  # differential samples averaged per update

    def __init__(
        self,
        *,
        method: str,
        dropped_percentage: float,
        maximum_level: float,
        intensity: float,
        initial_level: float,
        day_end: float,
    ) -> None:
        if method not in METHODS:
            raise ValueError(f"adaptive method must be one of {METHODS}, got {method!r}")
        self.method = method
        self.limit = dropped_percentage / 100.0
        self.max_level = maximum_level
        self.intensity = intensity / 100.0
        self._level = max(1.0, min(initial_level, maximum_level))
        self.day_end = day_end  # seconds: when the dialling day ends (TAPERED)
        self._samples: deque[int] = deque(maxlen=self.SAMPLES)
        self._agents: deque[int] = deque(maxlen=self.SAMPLES)
        self._next_update = self.UPDATE_EVERY
        self._day = 0
        self._live_today = 0
        self._drops_today = 0
        self._minute: deque[tuple[float, bool]] = deque()
        self._last_sample = -1.0

    def on_live_resolved(self, abandoned: bool, now: float) -> None:
        day = int(now // DAY)
        if day != self._day:
            self._day, self._live_today, self._drops_today = day, 0, 0
        self._live_today += 1
        self._drops_today += abandoned
        self._minute.append((now, abandoned))

    def dials_wanted(self, view: DialerView) -> int:
        now = view.now
        if now - self._last_sample >= 1.0:  # one sample per second, not per wake-up
            self._last_sample = now
            self._samples.append(view.idle_agents - view.waiting)
            self._agents.append(view.available_agents)
            if now >= self._next_update:
                self._next_update = now + self.UPDATE_EVERY
                self._update(now)
        return round(self._level * view.available_agents) - view.lines_in_use

    def _update(self, now: float) -> None:
        agents = sum(self._agents) / len(self._agents)
        level = self._level
        if agents > 0:
            rel = (sum(self._samples) / len(self._samples)) / agents
            rel *= abs(self.intensity - 1.0) if rel < 0 else self.intensity + 1.0
            level *= 1.0 + rel
        level = max(1.0, min(level, self.max_level))
        minute = self._minute
        while minute and minute[0][0] < now - 60.0:
            minute.popleft()
        if len(minute) > 20 and sum(d for _, d in minute) / len(minute) > 0.5:
            level /= 2.0
        if self._live_today > 50 and self._drops_today / self._live_today > self.limit:
            if self.method == "ADAPT_HARD_LIMIT":
                level = 1.0
            elif self.method == "ADAPT_AVERAGE":
                level /= 2.0
            else:
                hours_left = (self.day_end - now) / 3600.0
                level = 1.0 if hours_left < 0 else level * min(1.0, hours_left / 10.0)
        self._level = max(level, 1.0)

    def level(self) -> float:
        return self._level
