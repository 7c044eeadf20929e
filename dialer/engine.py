"""The discrete-event engine: every contact's life from dial to disconnect.

Pure: it receives a validated document, the contacts, a gate, a recorder and
random streams, and touches no database, network or file. Calls are chains of
callbacks in SimPy's event queue rather than generator processes: a call has
a fixed shape, and a callback costs a third of a process resumption. A call
is itself the event of its next step (``Clock.after``); the unanswered
calls of a dialling instant end together in one event.

Where things are: a call's life is the section "a call" below, in order; the
pacer decides in ``_dial_some`` (``pacer.dials_wanted``); the gate in
``_next_contacts``; agents' state changes in ``dialer.agents.AgentPool``;
records and events in ``dialer.recorder``.

Call life (times in seconds since the schedule start):

    dial -> ring (answer after timeToAnswer, or ringTimeout with no answer;
    busy / invalid number end early) -> CONNECTED_TO_SYSTEM -> greeting
    -> AMD verdict when AMD has heard enough, or AMD_UNRESOLVED(_SILENCE) at
    maxAnalysisSeconds (dialer/amd.py; errors: a person taken for a machine
    is hung up on; a machine taken for a person goes to an agent)
    -> QUEUED -> an agent (CONNECTED_TO_AGENT), or the person hangs up in
    silence (patienceInSilence from the end of the greeting), or the dialer
    plays the information message once the abandonment threshold passes
    -> talk -> DISCONNECTED -> wrap-up -> COMPLETED (a call no agent talked
    to is COMPLETED right at its DISCONNECTED, as Connect publishes it).
"""

from __future__ import annotations

import bisect
import heapq
import math
from array import array
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from campaigns.contacts import ContactList
from campaigns.distributions import Distribution
from campaigns.document import OUTCOMES, CampaignDocument
from compliance.gate import DialGate
from dialer.agents import (
    IDLE,
    AgentPool,
    shift_intervals,
)
from dialer.amd import Listener
from dialer.call import Call, Column, Disposition, Party
from dialer.clock import Clock
from dialer.pacing.base import Pacer
from dialer.recorder import RING_OUT_REASON, Recorder
from dialer.streams import CONTACT_BLOCK_BITS, CONTACT_MASK, ContactDraws, ContactUniforms, generator
from dialer.timeline import Timeline
from eventlog.schema import AMD_CODE, AMD_STATUSES, DISCONNECT_REASONS, REASON_CODE

# Short names for the hot path, as plain ints: comparing and indexing with
# IntEnum members goes through their subclass slots (measured: the engine
# ran about 5% slower with the members themselves).
HUMAN, MACHINE_BEEP, MACHINE_NO_BEEP, NO_ANSWER, BUSY_P, INVALID, FAX = (int(p) for p in Party)
assert [p.name.lower() for p in Party] == list(OUTCOMES), "outcome shares are indexed by Party"
D_AGENT, D_NO_ANSWER, D_BUSY, D_MACHINE, D_ABANDONED, D_FINAL = (int(d) for d in Disposition)

A = AMD_CODE
R = REASON_CODE
AMD_HUMAN, AMD_BEEP, AMD_NO_BEEP, AMD_FAX = (
    A[k] for k in ("HUMAN_ANSWERED", "VOICEMAIL_BEEP", "VOICEMAIL_NO_BEEP", "FAX_MACHINE_DETECTED")
)
NAN = float("nan")
INF = float("inf")

DEFAULT_RING_TIMEOUT = 20.0  # seconds, when the campaign does not set ringTimeout
# A busy or special-information tone ends the attempt: per party, the tone's
# length range in seconds, then what the call ends with (AMD status,
# disconnect reason, disposition).
_SIGNALS = {
    BUSY_P: (2.0, 6.0, (A["SIT_TONE_BUSY"], R["TELECOM_BUSY"], D_BUSY)),
    INVALID: (1.0, 4.0, (A["SIT_TONE_INVALID_NUMBER"], R["TELECOM_NUMBER_INVALID"], D_FINAL)),
}


def _utc_offset(t: datetime, zone: ZoneInfo) -> int:
    """Seconds east of UTC in ``zone`` at the aware instant ``t``."""
    offset = t.astimezone(zone).utcoffset()
    assert offset is not None  # an aware datetime in a ZoneInfo always has one
    return int(offset.total_seconds())


class Engine:
    """Plays one campaign out. Build, then ``run()``."""

    def __init__(
        self,
        doc: CampaignDocument,
        contacts: ContactList,
        gate: DialGate,
        recorder: Recorder,
        pacer_factory: Callable[[Engine], Pacer],
        *,
        seed: int,
        abandonment: tuple[str, float] | None,
        progress: Callable[[float, float, int], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> None:
        self.doc = doc
        sim = doc.simulation
        tel = doc.campaign.telephony
        out_cfg = tel.default_outbound_config
        amd_cfg = out_cfg.answer_machine_detection_config
        sched = doc.campaign.schedule
        assert sched is not None, "simulate() gives every document a schedule"
        self.start: datetime = sched.start_time
        self.horizon = (sched.end_time - sched.start_time).total_seconds()
        self.contacts = contacts
        self.gate = gate
        self.rec = recorder
        # The clock: SimPy's environment, scheduled through its queue
        # (dialer/clock.py says why). Bound once: these run per call.
        self.clock = Clock()
        self.env = self.clock.env
        self.later = self.clock.later
        self._after = self.clock.after
        self.progress = progress
        self.should_stop = should_stop
        self.stopped_early = False

        # Random numbers: a contact's own, per purpose, contact and attempt
        # (common random numbers, dialer/streams.py); Poisson gaps per purpose.
        b = sim.behaviour

        def draw(dist: Distribution, purpose: str) -> ContactDraws:
            return ContactDraws(dist, seed, purpose)

        self.u_outcome = ContactUniforms(seed, "outcome")
        self.d_answer = draw(b.time_to_answer, "time_to_answer")
        self.d_greeting = draw(b.greeting, "greeting")
        self.d_machine_greeting = draw(b.machine_greeting, "machine_greeting")
        self.d_patience = draw(b.patience_in_silence, "patience") if b.patience_in_silence is not None else None
        self.d_talk = draw(b.talk, "talk")
        self.d_wrap = draw(sim.agents.wrap_up, "wrap_up")
        self.amd = Listener(sim.amd, seed)  # AMD's timing, operating point and tallies
        self._amd_listen = self.amd.listen
        self.u_opt = ContactUniforms(seed, "opt_out")
        self.d_message = draw(sim.safe_harbor.message, "message")
        self.d_machine_talk = draw(b.machine_talk, "machine_talk")
        self.d_preview = draw(sim.agents.preview_time, "preview_time")
        self.u_signal = ContactUniforms(seed, "busy_signal")
        self.interarrival_stream = generator(seed, "interarrival")

        self.ring_timeout = float(out_cfg.ring_timeout or DEFAULT_RING_TIMEOUT)
        self.amd_on = bool(amd_cfg and amd_cfg.enable_answer_machine_detection)
        self.await_prompt = bool(amd_cfg and amd_cfg.await_answer_machine_prompt)
        self.opt_out_share = b.opt_out_share

        # Abandonment: threshold and clock start ("never connected" when None).
        if abandonment is None:
            self.clock_point, self.threshold = None, INF
        else:
            self.clock_point, self.threshold = abandonment
        self.safe_harbor = sim.safe_harbor.enabled and abandonment is not None

        # Outcome shares by the callee's local hour, per zone group.
        self._shares_by_hour = [self._cumulative(b.shares_for_hour(h)) for h in range(24)]
        self.start_epoch = self.start.timestamp()
        self._group_offsets = self._local_offsets()
        self._slot0, self._shares_by_slot = self._shares_by_quarter_hour()

        # Entry limits and retries.
        limits = doc.campaign.entry_limits_config
        self.max_attempts = (limits.max_entry_count or 0) if limits else 1
        self.min_interval = limits.min_interval_seconds if limits else 0.0
        retry_on = set(sim.retry.on)
        # Indexed by disposition (D_AGENT .. D_FINAL).
        self.retry_on = [
            False,
            "NO_ANSWER" in retry_on,
            "BUSY" in retry_on,
            "MACHINE" in retry_on,
            "ABANDONED" in retry_on,
            False,
        ]

        # Agents, and the timeline of their levels.
        self.timeline = Timeline(sim.stats_interval_seconds, self.horizon)
        self.agents = AgentPool(sim.agents.count, sim.agents.breaks, self.timeline)
        ctc = doc.campaign.communication_time_config
        default_zone = ctc.local_time_zone_config.default_time_zone if ctc else None
        self.shifts = shift_intervals(sim.agents, sched.start_time, sched.end_time, default_zone)

        # Lines: the campaign's share (capacity) of the simulated trunk.
        cap = tel.capacity if tel.capacity is not None else 1.0
        self.lines = max(1, math.floor(sim.lines * cap)) if sim.lines else None

        # State.
        self.now = 0.0
        self.in_flight = 0
        self.waiting = 0
        self.lines_in_use = 0
        self.queue: deque[Call] = deque()
        self._unanswered_now: list[tuple[int, int, int]] = []
        self.previewing = 0  # agents reading a contact before its dial
        self.blocked_dials = 0  # dials wanted when every line was busy
        self.next_fresh = 0
        self.n_contacts = len(contacts)
        # array.array: compact like numpy, but a scalar read or write costs a
        # fifth of a numpy element access.
        self.attempts = array("I", bytes(4 * self.n_contacts))
        # Retries fall due min_interval after the attempt ended, so they
        # fall due in the order they are queued: a FIFO, not a heap.
        self.retry_queue: deque[tuple[float, int]] = deque()
        self.deferred: list[tuple[float, int]] = []
        self.expires = contacts.expires_at
        self.group_of = contacts.group.tolist()  # list indexing beats numpy scalars
        self.calls_started = 0
        self.dialing_open = True
        self.pacer = pacer_factory(self)
        self.agent_guaranteed = self.pacer.guarantees_agent
        self.exclusions: dict[int, int] = {}
        self.expired = 0

        # Summary accumulators (ground truth).
        self.n_dials = 0
        self.last_activity = 0.0  # the last disconnect or wrap-up end
        self.n_live = 0
        self.n_machine = 0
        self.n_connected = 0
        self.n_connected_live = 0
        self.n_abandoned = 0
        self.n_unserved = 0
        self.n_dropped = 0
        self.n_fp = 0
        self.n_fn = 0
        self.n_opt_out = 0
        self.n_queued_live = 0
        self.n_waited_live = 0
        self.wait_sum = 0.0
        self.time_to_agent: list[float] = []
        self.contact_duration_sum = 0.0
        self.talk_sum = 0.0
        self.reason_counts = np.zeros(len(DISCONNECT_REASONS), dtype=np.int64)
        self.amd_counts = np.zeros(len(AMD_STATUSES), dtype=np.int64)
        recorder.batch_hooks.append(self._tally_batch)
        # A call's main-line steps, as SimPy callback tuples (Engine._after).
        self._step_classified = (self._classified,)
        self._step_sit = (self._sit,)
        self._step_amd = (self._amd_verdict,)
        self._step_talk_end = (self._talk_end,)
        self._step_wrap_end = (self._wrap_end,)

    # ------------------------------------------------------------------ utils

    @staticmethod
    def _cumulative(shares: tuple[float, ...]) -> list[float]:
        out, acc = [], 0.0
        for s in shares:
            acc += max(s, 0.0)
            out.append(acc)
        return [x / acc for x in out] if acc > 0 else out

    def _local_offsets(self) -> list[tuple[list[float], list[int]]]:
        """Per zone group, UTC offset changes over the horizon (change times,
        offsets in seconds): the callee's local hour costs a bisect, not a
        zoneinfo conversion."""
        out = []
        start = self.start
        end = start + timedelta(seconds=self.horizon + 86400 * 2)
        for g in self.contacts.groups:
            zone = ZoneInfo(g.zones[0]) if g.zones else ZoneInfo("UTC")
            times, offsets = [-1e18], [_utc_offset(start, zone)]
            t = start
            step = timedelta(minutes=15)
            while t < end:
                t += step
                off = _utc_offset(t, zone)
                if off != offsets[-1]:
                    # Find the exact minute of the change within the step.
                    lo = t - step
                    for m in range(1, 16):
                        probe = lo + timedelta(minutes=m)
                        if _utc_offset(probe, zone) == off:
                            times.append((probe - start).total_seconds())
                            break
                    offsets.append(off)
            out.append((times, offsets))
        return out

    def _shares_by_quarter_hour(self) -> tuple[int, list[list[list[float]]]]:
        """Per zone group and per UTC quarter hour of the run, the cumulative
        outcome shares of the callee's local hour. Every zone's offset is a
        multiple of 15 minutes and changes on a quarter hour, so the local
        hour is constant within each slot: a dial looks its shares up instead
        of converting time zones."""
        slot0 = int(self.start_epoch // 900)
        n = int((self.horizon + 86400 * 2) // 900) + 2
        slot_start = (np.arange(n) + slot0) * 900.0
        rel = slot_start - self.start_epoch
        out = []
        for times, offsets in self._group_offsets:
            off = np.asarray(offsets)[np.searchsorted(np.asarray(times), rel, side="right") - 1]
            hours = (((slot_start + off) // 3600) % 24).astype(np.int64)
            out.append([self._shares_by_hour[h] for h in hours.tolist()])
        return slot0, out

    def _tally_batch(self, rec: np.ndarray) -> None:
        """Per batch of finished calls: lines in use and dials for the
        timeline, disconnect reasons and AMD statuses for the summary."""
        self.timeline.add_calls(rec[:, Column.INITIATION], rec[:, Column.DISCONNECT])
        final = ~np.isnan(rec[:, Column.DISCONNECT])
        self.reason_counts += np.bincount(rec[final, Column.REASON].astype(np.int64), minlength=self.reason_counts.size)
        self.amd_counts += np.bincount(rec[final, Column.AMD].astype(np.int64), minlength=self.amd_counts.size)

    # Properties the pacers read (DialerView).
    @property
    def idle_agents(self) -> int:
        return len(self.agents.idle)

    @property
    def available_agents(self) -> int:
        return self.agents.logged_in - self.agents.on_break

    # ------------------------------------------------------------------ run

    def run(self) -> None:
        if self.pacer.uses_agents:
            for login, logout, ids in self.shifts:
                self.later(login, self._login, ids, logout)
        self.later(0.0, self._decide)
        if self.progress or self.should_stop:
            self.later(0.0, self._report)
        self.later(self.horizon, self._close_dialing)
        self.clock.run()
        self._hang_up_stranded()
        self.now = max(self.horizon, self.last_activity)
        self._expire_leftovers()

    def _hang_up_stranded(self) -> None:
        """Callers still waiting when no agent will ever come back (every
        shift over) hang up: a run always ends every call it started."""
        while self.queue:
            call = self.queue.popleft()
            if call.waiting:
                self._hang_up_waiting(call)

    def _report(self) -> None:
        if self.should_stop is not None and self.should_stop():
            self.stopped_early = True
            self._close_dialing()
            return
        if self.progress is not None:
            self.progress(min(self.clock.t, self.horizon), self.horizon, self.n_dials)
        if self.dialing_open:
            self.later(max(self.horizon / 100.0, 1.0), self._report)

    def _close_dialing(self) -> None:
        self.dialing_open = False
        pool = self.agents
        # Idle agents leave at the end; busy ones after their contact.
        for a in range(pool.n):
            pool.shift_end[a] = min(pool.shift_end[a], self.clock.t)
        self._release_spare_agents()

    def _release_spare_agents(self) -> None:
        """After the dialling day: idle agents go home, keeping one for each
        call still ringing or in AMD (it may turn out to be a person)."""
        idle = self.agents.idle
        ringing = self.in_flight - self.waiting
        while len(idle) > ringing:
            if not self._agent_leave(idle[-1], logout=True):
                break

    # ------------------------------------------------------------------ agents

    def _login(self, ids: list[int], logout: float) -> None:
        now = self.clock.t
        pool = self.agents
        if not self.dialing_open:
            return
        for a in ids:
            pool.shift_end[a] = logout
            if not pool.log_in(a, now):
                continue
            if pool.break_every:
                pool.break_due[a] = pool.first_break(a, now)
                self.later(pool.break_due[a] - now, self._break_due, a)
            self.later(logout - now, self._logout_due, a)
            self._agent_free(a)

    def _logout_due(self, a: int) -> None:
        pool = self.agents
        if pool.state[a] != IDLE or self.clock.t < pool.shift_end[a] - 1e-9:
            return
        if not self.dialing_open and (self.waiting or len(pool.idle) - 1 < self.in_flight - self.waiting):
            # After the dialling day an idle agent stays while a call still
            # ringing or in AMD may need them (_release_spare_agents, whose
            # rule this is); they leave when that call ends.
            return
        self._agent_leave(a, logout=True)

    def _break_due(self, a: int) -> None:
        pool = self.agents
        if pool.state[a] == IDLE and abs(pool.break_due[a] - self.clock.t) < 1e-6:
            self._agent_leave(a, logout=False)

    def _agent_leave(self, a: int, logout: bool) -> bool:
        """An idle agent leaves the floor (break or logout) if the pacer can
        spare them; otherwise they stay until their next contact ends."""
        pool = self.agents
        if pool.state[a] != IDLE:
            return False
        if not logout and not self.pacer.may_release_idle_agent(self):
            return False
        if logout and not self.pacer.may_release_idle_agent(self):
            return False
        pool.leave(a, self.clock.t, logout=logout)
        if not logout:
            self.later(pool.break_length, self._break_end, a)
        return True

    def _break_end(self, a: int) -> None:
        pool = self.agents
        now = self.clock.t
        pool.end_break(a, now)
        if now < pool.shift_end[a] - 1e-9:
            self.later(pool.break_every, self._break_due, a)
        self._agent_free(a)  # logs out if the shift is over, else takes a call

    def _agent_free(self, a: int) -> None:
        """Agent ``a`` is ready: leave if a break or the shift end is due (and
        the pacer can spare them), else serve the longest-waiting call, else
        wait idle."""
        pool = self.agents
        now = self.clock.t
        pool.free(a, now)  # provisionally idle, so the pacer counts them
        # After the dialling day agents stay until the queue is empty.
        if self.dialing_open:
            logout = now >= pool.shift_end[a] - 1e-9
        else:
            # After the dialling day: stay while callers wait or while calls
            # still ringing may need every idle agent (this one included).
            logout = not self.waiting and len(pool.idle) - 1 >= self.in_flight - self.waiting
        on_break = bool(pool.break_every) and now >= pool.break_due[a] - 1e-9
        if (logout or on_break) and self._agent_leave(a, logout=logout):
            return
        queue = self.queue
        while queue:
            call = queue.popleft()
            if call.waiting:
                pool.idle.pop()
                self._connect(call, a)
                return
        if self.pacer.wake_on_agent_free and self.dialing_open:
            self._dial_some()

    def _take_agent(self) -> int:
        return self.agents.take_idle(self.clock.t)

    # ------------------------------------------------------------------ pacing

    def _decide(self) -> None:
        if not self.dialing_open:
            return
        self._dial_some()
        pacer = self.pacer
        self.timeline.pacing_level(self.clock.t, pacer.level())
        self.later(pacer.next_delay(), self._decide)

    def _dial_some(self) -> None:
        self.now = now = self.clock.t
        want = self.pacer.dials_wanted(self)
        if want <= 0:
            return
        if self.lines is not None:
            free = self.lines - self.lines_in_use - self.previewing
            if want > free:
                self.blocked_dials += want - max(free, 0)
                want = free
        if self.pacer.reserves_agent:
            for _ in range(want):
                if not self.agents.idle:
                    break
                recs = self._next_contacts(now, 1)
                if not recs:
                    break
                a = self._take_agent()
                self.previewing += 1
                rec = recs[0]
                preview = self.d_preview(rec, self.attempts[rec] + 1)
                self.later(min(preview, self.pacer.timeout), self._dial_previewed, rec, a)
        else:
            recs = self._next_contacts(now, want)
            if recs:
                self._dial(recs, now)
        self._flush_unanswered()

    def _next_contacts(self, now: float, want: int) -> list[int]:
        """Up to ``want`` contacts the gate lets us dial now: retries due
        first, then contacts the gate deferred, then fresh ones."""
        gate_check = self.gate.check
        guaranteed = self.agent_guaranteed
        retry, deferred = self.retry_queue, self.deferred
        expires = self.expires
        out: list[int] = []
        while len(out) < want:
            if retry and retry[0][0] <= now:
                rec = retry.popleft()[1]
            elif deferred and deferred[0][0] <= now:
                rec = heapq.heappop(deferred)[1]
            elif self.next_fresh < self.n_contacts:
                rec = self.next_fresh
                self.next_fresh += 1
            else:
                break
            if expires is not None and expires[rec] <= now:
                self._expire(rec, float(expires[rec]))
                continue
            verdict, when = gate_check(rec, now, guaranteed)
            if verdict == 0:
                out.append(rec)
                continue
            self.exclusions[int(verdict)] = self.exclusions.get(int(verdict), 0) + 1
            if when < INF and when < self.horizon:
                heapq.heappush(deferred, (max(when, now + 1e-3), rec))
        return out

    def _expire(self, rec: int, t: float) -> None:
        """An outbound request reached its expirationTime. Never dialled, it
        ends with one EXPIRED event; dialled before and waiting for a retry,
        it is just not dialled again (its last attempt's events stand)."""
        if self.attempts[rec]:
            return
        call = Call(self._new_call_index(), rec, int(self.attempts[rec]), t)
        call.t_init = NAN
        call.t_disc = t
        call.reason = R["EXPIRED"]
        call.in_flight = False
        self.rec.finish_call(call.record())
        self.expired += 1

    def _expire_leftovers(self) -> None:
        if self.expires is None:
            return
        pending = set(range(self.next_fresh, self.n_contacts))
        pending.update(r for _, r in self.retry_queue)
        pending.update(r for _, r in self.deferred)
        for rec in sorted(pending):
            t = float(self.expires[rec])
            if t < INF:
                self._expire(rec, min(t, self.horizon))

    def _new_call_index(self) -> int:
        i = self.calls_started
        self.calls_started += 1
        return i

    # ------------------------------------------------------------------ a call
    # The life of a call, in the order it happens:
    #   _dial (the party behind the number is drawn here)
    #     no answer within ringTimeout -> _unanswered_many (or _unanswered)
    #     busy / invalid tone          -> _sit
    #   _answer (greeting; the abandonment clock and deadline are set here)
    #   _amd_verdict (AMD on: a person may be hung up on, a machine passed on)
    #   _classified (the dialer thinks it is a person: an agent, or the queue)
    #     waiting: _hang_up_waiting (patience) or _drop (the safe-harbor message)
    #     either way _abandon decides whether it counts as abandoned
    #   _connect (an agent: abandoned here if it came after the deadline)
    #   _talk_end -> _wrap_end, and _end for every ending.

    def _dial_previewed(self, rec: int, agent: int) -> None:
        """The agent has read the contact: dial now, if the gate still allows
        it (the window may have closed, or the number opted out, during the
        preview); otherwise the contact waits and the agent is freed."""
        self.previewing -= 1
        now = self.clock.t
        if self.expires is not None and self.expires[rec] <= now:
            self._expire(rec, float(self.expires[rec]))
            self._agent_free(agent)
            return
        verdict, when = self.gate.check(rec, now, True) if self.dialing_open else (-1, now)
        if verdict != 0:
            if verdict > 0:
                self.exclusions[int(verdict)] = self.exclusions.get(int(verdict), 0) + 1
            if when < INF and (when < self.horizon or not self.dialing_open):
                heapq.heappush(self.deferred, (max(when, now + 1e-3), rec))
            self._agent_free(agent)
            return
        self._dial([rec], now, agent)
        self._flush_unanswered()

    def _dial(self, recs: list[int], now: float, agent: int = -1) -> None:
        """Dial these contacts now (``agent``: the previewing agent of a
        single previewed dial). The hottest loop of the engine: what is the
        same for every dial of the instant is looked up once."""
        count = len(recs)
        self.pacer.on_dials(count, now)
        self.n_dials += count
        self.in_flight += count
        self.lines_in_use += count
        idx = self.calls_started
        self.calls_started = idx + count
        attempts = self.attempts
        self.gate.record_dials(recs, now)
        slot = int((self.start_epoch + now) // 900) - self._slot0
        shares = self._shares_by_slot
        group_of = self.group_of
        u_outcome = self.u_outcome
        d_answer = self.d_answer
        # The two draws of every dial read their streams' cached blocks
        # directly (``_Keyed.blocks``: no call per draw); a block not drawn
        # yet goes through the stream, which draws it.
        u_blocks = u_outcome.blocks
        a_blocks = d_answer.blocks
        ring_timeout = self.ring_timeout
        unanswered = self._unanswered_now
        bisect_right = bisect.bisect_right
        for rec in recs:
            attempt = attempts[rec] + 1
            attempts[rec] = attempt
            key = (attempt << 32) | (rec >> CONTACT_BLOCK_BITS)
            j = rec & CONTACT_MASK
            block = u_blocks.get(key)
            # One uniform per contact and attempt through the hour's
            # cumulative shares: another hour changes the party only when
            # the uniform falls where the shares moved.
            party = bisect_right(
                shares[group_of[rec]][slot], block[j] if block is not None else u_outcome(rec, attempt)
            )
            if party > 6:
                party = 6
            if party == NO_ANSWER or (
                party != BUSY_P
                and party != INVALID
                and (delay := a_block[j] if (a_block := a_blocks.get(key)) is not None else d_answer(rec, attempt))
                > ring_timeout
            ):
                # Nobody picks up (or not within ringTimeout). Every such call
                # of this dialling instant ends at the same moment: one
                # scheduled event for all, and no Call object.
                if agent < 0:
                    unanswered.append((idx, rec, attempt))
                else:  # a previewed dial: its agent is freed at the end
                    self.later(ring_timeout, self._unanswered, Call(idx, rec, attempt, now, agent))
            else:
                call = Call(idx, rec, attempt, now, agent)
                call.party = party
                if party in (BUSY_P, INVALID):
                    lo, hi, call.signal = _SIGNALS[party]
                    self._after(lo + (hi - lo) * self.u_signal(rec, attempt), call, self._step_sit)
                else:
                    self._answer(call, now + delay)
            idx += 1

    def _flush_unanswered(self) -> None:
        calls = self._unanswered_now
        if calls:
            self._unanswered_now = []
            self.later(self.ring_timeout, self._unanswered_many, calls, self.clock.t)

    def _unanswered_many(self, calls: list[tuple[int, int, int]], t_init: float) -> None:
        """Unanswered dials (call index, contact, attempt) placed together at
        ``t_init`` all end now. What _unanswered and _end do for one call,
        done for the batch: this is the fate of most dials."""
        now = self.clock.t
        count = len(calls)
        self.pacer.on_dials_resolved(False, count, now, t_init)
        amd = A["AMD_UNANSWERED"] if self.amd_on else A["AMD_NOT_APPLICABLE"]
        self.rec.finish_unanswered(calls, t_init, now, amd)
        if self.retry_on[D_NO_ANSWER]:
            max_attempts = self.max_attempts
            due = now + self.min_interval
            queue = self.retry_queue
            for _, rec, attempt in calls:
                if max_attempts == 0 or attempt < max_attempts:
                    queue.append((due, rec))
        if now > self.last_activity:
            self.last_activity = now
        self.in_flight -= count
        self.lines_in_use -= count
        if self.pacer.wake_on_line_free and self.dialing_open:
            self._dial_some()
        elif not self.dialing_open and self.agents.idle:
            self._release_spare_agents()

    def _unanswered(self, call: Call) -> None:
        call.party = NO_ANSWER
        call.amd = A["AMD_UNANSWERED"] if self.amd_on else A["AMD_NOT_APPLICABLE"]
        self.pacer.on_dial_resolved(False, self.clock.t, call.t_init)
        self._end(call, RING_OUT_REASON, D_NO_ANSWER)

    def _sit(self, call: Call) -> None:
        """A busy or special-information tone ends the attempt."""
        amd_code, reason, disposition = call.signal
        if self.amd_on and call.party == INVALID and self.amd.sit_unclassified(call.rec, call.attempt):
            amd_code = A["SIT_TONE_DETECTED"]  # a tone AMD cannot name
        call.amd = amd_code if self.amd_on else A["AMD_NOT_APPLICABLE"]
        self.pacer.on_dial_resolved(False, self.clock.t, call.t_init)
        self._end(call, reason, disposition)

    def _answer(self, call: Call, t: float) -> None:
        """Someone (or something) answers ``call`` at ``t``, ahead of now.
        Nothing can happen to a ringing call, so the answer needs no event
        of its own: its timestamps are set now and the call's next step (the
        AMD verdict, or queueing for an agent) is scheduled straight away."""
        call.t_cts = t
        party = call.party
        if party == HUMAN:
            self.n_live += 1
            call.t_gs = t
            call.t_ge = t + self.d_greeting(call.rec, call.attempt)
            point = self.clock_point
            call.clock_start = (
                call.t_ge
                if point == "GREETING_END"
                else (t if point in ("GREETING_START", "CONNECTED_TO_SYSTEM") else call.t_ge)
            )
            call.deadline = call.clock_start + self.threshold
        elif party in (MACHINE_BEEP, MACHINE_NO_BEEP):
            self.n_machine += 1
            call.t_gs = t
            call.t_ge = t + self.d_machine_greeting(call.rec, call.attempt)
            call.clock_start = call.t_ge
            call.deadline = call.clock_start + self.threshold
        ahead = t - self.clock.t
        if call.agent >= 0 and party == HUMAN:
            # Preview: the agent is already on the line and hears the
            # greeting; no AMD wait, never abandoned.
            call.amd = A["HUMAN_ANSWERED"] if self.amd_on else 0
            if self.amd_on:
                call.amd_correct = 1
            self._after(ahead, call, self._step_classified)
        elif self.amd_on:
            # AMD listens from the answer; its verdict and when it comes are
            # drawn now (dialer/amd.py), acted on at that time.
            t_verdict, call.amd = self._amd_listen(party, t, call.t_gs, call.t_ge, call.rec, call.attempt)
            self._after(t_verdict - self.clock.t, call, self._step_amd)
        else:
            # AMD off: media is up and no analysis runs, so Connect reports
            # no AMD status (AMD_NOT_APPLICABLE is for calls ended before media).
            self._after(ahead, call, self._step_classified)

    # ---- AMD verdicts (dialer/amd.py decides; this acts on the verdict) ----

    def _amd_verdict(self, call: Call) -> None:
        code = call.amd
        if code == AMD_HUMAN:
            self._amd_live(call)
        elif code in (AMD_BEEP, AMD_NO_BEEP):
            self._amd_machine(call)
        elif code == AMD_FAX:
            call.amd_correct = 1
            self.pacer.on_dial_resolved(False, self.clock.t, call.t_init)
            self._end(call, R["CONTACT_FLOW_DISCONNECT"], D_FINAL)
        elif self.amd.unresolved_live:  # AMD_UNRESOLVED(_SILENCE) or AMD_ERROR: taken as live
            self._classified(call)
        else:
            self._amd_hang_up_undecided(call)

    def _amd_live(self, call: Call) -> None:
        """AMD heard a person: to an agent (a machine here is a false negative)."""
        if call.party == HUMAN:
            call.amd_correct = 1
        else:
            call.amd_correct = 0
            self.n_fn += 1
        self._classified(call)

    def _amd_machine(self, call: Call) -> None:
        """AMD heard a machine: hang up, or leave the message after the beep.
        A person here is a false positive: hung up on, which the UK rules
        count as abandoned."""
        now = self.clock.t
        self.gate.record_machine_verdict(call.rec, now)
        self.pacer.on_dial_resolved(False, now, call.t_init)
        if call.party == HUMAN:
            call.amd_correct = 0
            self.n_fp += 1
            self._end(call, R["CONTACT_FLOW_DISCONNECT"], D_MACHINE)
            return
        call.amd_correct = 1
        if self.await_prompt and call.party == MACHINE_BEEP:
            # Wait for the beep, then leave the campaign's message.
            self.later(
                max(call.t_ge - now, 0.0) + self.d_message(call.rec, call.attempt),
                self._end,
                call,
                R["CONTACT_FLOW_DISCONNECT"],
                D_MACHINE,
            )
        else:
            self._end(call, R["CONTACT_FLOW_DISCONNECT"], D_MACHINE)

    def _amd_hang_up_undecided(self, call: Call) -> None:
        """``onUnresolved: HANG_UP``: the dialer drops an answer it could not
        classify. It cannot know who was there, so it records an abandoned
        call for the recall rules; a person dropped this way is abandoned."""
        now = self.clock.t
        if call.party == HUMAN:
            call.abandoned = True
            self.n_abandoned += 1
        self.gate.record_abandoned(call.rec, now)
        self.pacer.on_dial_resolved(False, now, call.t_init)
        self.pacer.on_undecided_hang_up(now)
        self._end(call, R["CONTACT_FLOW_DISCONNECT"], D_ABANDONED)

    def _classified(self, call: Call) -> None:
        """The dialer believes a person answered: find them an agent."""
        now = self.clock.t
        call.live = True
        pacer = self.pacer
        pacer.on_dial_resolved(True, now, call.t_init)
        pacer.on_live_verdict(call.clock_start, now)
        if not pacer.uses_agents:
            # Agentless: the message plays to whoever answered.
            call.in_flight = False
            self.in_flight -= 1
            self.later(max(call.t_ge - now, 0.0) if call.t_ge == call.t_ge else 0.0, self._agentless_message, call)
            return
        call.t_enq = now
        if call.party == HUMAN:
            self.n_queued_live += 1
        if call.agent >= 0:  # preview: the agent is already on the line
            self._connect(call, call.agent)
            return
        if self.agents.idle:
            self._connect(call, self._take_agent())
            return
        call.waiting = True
        self.waiting += 1
        self.queue.append(call)
        if call.party == HUMAN:
            self.n_waited_live += 1
        leave = INF
        if self.d_patience is not None and call.party == HUMAN:
            # Silence starts when the greeting ends, not at the AMD verdict.
            leave = max(now, (call.t_ge if call.t_ge == call.t_ge else now) + self.d_patience(call.rec, call.attempt))
        drop = call.deadline if self.safe_harbor else INF
        if drop < leave:
            self.later(drop - now, self._drop, call)
        elif leave < INF:
            self.later(leave - now, self._hang_up_waiting, call)

    def _connect(self, call: Call, agent: int) -> None:
        now = self.clock.t
        if call.waiting:
            call.waiting = False
            self.waiting -= 1
        if call.agent < 0:
            self.agents.make_busy(agent, now)
        call.agent = agent
        call.t_cta = now
        call.in_flight = False
        self.in_flight -= 1
        self.n_connected += 1
        late = now - call.clock_start > self.threshold + 1e-9 if call.clock_start == call.clock_start else False
        if call.party == HUMAN:
            self.n_connected_live += 1
            if call.t_enq == call.t_enq:
                self.wait_sum += now - call.t_enq
            self.time_to_agent.append(now - call.t_cts)
            if late:
                call.abandoned = True
                self.n_abandoned += 1
                self.gate.record_abandoned(call.rec, now)
        self.pacer.on_live_resolved(late, now)
        self.agents.start_talk(agent, now)
        rec, attempt = call.rec, call.attempt
        talk = self.d_talk(rec, attempt) if call.party == HUMAN else self.d_machine_talk(rec, attempt)
        self._after(talk, call, self._step_talk_end)

    def _talk_end(self, call: Call) -> None:
        a = call.agent
        pool = self.agents
        now = self.clock.t
        pool.end_talk(a)
        self.talk_sum += now - call.t_cta
        self.pacer.on_talk_end(now - call.t_cta, now, call.party != HUMAN)
        reason = R["CUSTOMER_DISCONNECT"] if call.party == HUMAN else R["AGENT_DISCONNECT"]
        self._end(call, reason, D_AGENT if call.party == HUMAN else D_MACHINE, finish=False)
        self.contact_duration_sum += now - call.t_init
        wrap = self.d_wrap(call.rec, call.attempt)
        self._after(wrap, call, self._step_wrap_end)

    def _wrap_end(self, call: Call) -> None:
        now = self.clock.t
        self.last_activity = max(self.last_activity, now)
        call.t_acw = now
        self.pacer.on_wrap_end(call.t_disc, now)
        self.rec.finish_call(call.record())
        self._agent_free(call.agent)

    def _leave_queue(self, call: Call) -> bool:
        """Take a waiting call out of the queue without an agent; False if it
        is no longer waiting (an agent took it first)."""
        if not call.waiting:
            return False
        call.waiting = False
        self.waiting -= 1
        now = self.clock.t
        if call.party == HUMAN:
            self.wait_sum += now - call.t_enq
        self._abandon(call, now)
        return True

    def _hang_up_waiting(self, call: Call) -> None:
        if self._leave_queue(call):
            self._end(call, R["CUSTOMER_DISCONNECT"], D_ABANDONED)

    def _drop(self, call: Call) -> None:
        """No agent within the threshold: play the information message
        (seller, number to call back, opt-out) and hang up."""
        if not self._leave_queue(call):
            return
        now = self.clock.t
        self.n_dropped += 1
        call.message = 1
        call.in_flight = False
        self.in_flight -= 1
        if call.party == HUMAN and self.u_opt(call.rec, call.attempt) < self.opt_out_share:
            call.opt_out = 1
            self.n_opt_out += 1
            self.gate.record_opt_out(call.rec, now)
        self.later(
            self.d_message(call.rec, call.attempt),
            self._end,
            call,
            R["CONTACT_FLOW_DISCONNECT"],
            D_FINAL if call.opt_out else D_ABANDONED,
        )

    def _abandon(self, call: Call, now: float) -> None:
        """A live call left without an agent: the caller hung up in silence or
        the dialer dropped it to the message. It is abandoned when that
        happens after the threshold (the dialer failed to connect it in
        time); a caller who hangs up inside the threshold is unserved but not
        abandoned (docs/compliance.md). With no threshold (fixedRate
        validation runs) every unserved caller counts, as in queueing theory."""
        abandoned = self.clock_point is None or now - call.clock_start >= self.threshold - 1e-9
        if call.party == HUMAN:
            self.n_unserved += 1
            if abandoned:
                call.abandoned = True
                self.n_abandoned += 1
        if abandoned:
            self.gate.record_abandoned(call.rec, now)
        self.pacer.on_live_resolved(abandoned, now)

    def _agentless_message(self, call: Call) -> None:
        call.message = 1
        if call.party == HUMAN and self.u_opt(call.rec, call.attempt) < self.opt_out_share:
            call.opt_out = 1
            self.n_opt_out += 1
            self.gate.record_opt_out(call.rec, self.clock.t)
        self.later(self.d_message(call.rec, call.attempt), self._end, call, R["CONTACT_FLOW_DISCONNECT"], D_FINAL)

    def _end(self, call: Call, reason: int, disposition: int, finish: bool = True) -> None:
        now = self.clock.t
        if now > self.last_activity:
            self.last_activity = now
        call.t_disc = now
        call.reason = reason
        call.disposition = disposition
        if call.in_flight:
            call.in_flight = False
            self.in_flight -= 1
        self.lines_in_use -= 1
        if finish:
            self.rec.finish_call(call.record())
            if call.agent >= 0 and self.pacer.reserves_agent and call.t_cta != call.t_cta:
                self._agent_free(call.agent)  # preview agent, nobody to talk to
        if self.retry_on[disposition] and (self.max_attempts == 0 or self.attempts[call.rec] < self.max_attempts):
            self.retry_queue.append((now + self.min_interval, call.rec))
        if self.pacer.wake_on_line_free and self.dialing_open:
            self._dial_some()
        elif not self.dialing_open and self.agents.idle:
            self._release_spare_agents()
