"""One dial attempt: who is behind it (``Party``), how it ended for the
retry rules (``Disposition``), its timestamps, and the record it leaves for
the recorder (``Column`` names that record's fields)."""

from __future__ import annotations

from enum import IntEnum

from eventlog.schema import PARTIES

NAN = float("nan")
INF = float("inf")


class Party(IntEnum):
    """The true party behind a dial (ground truth; ``detail.simulation.party``).
    Same order as the campaign's outcome shares."""

    HUMAN = 0
    MACHINE_BEEP = 1
    MACHINE_NO_BEEP = 2
    NO_ANSWER = 3
    BUSY = 4
    INVALID = 5
    FAX = 6


assert tuple(p.name for p in Party) == PARTIES, "Party must follow eventlog.schema.PARTIES"


class Disposition(IntEnum):
    """How an attempt ended, as the retry rules and the summary see it."""

    AGENT = 0
    NO_ANSWER = 1
    BUSY = 2
    MACHINE = 3
    ABANDONED = 4
    FINAL = 5


class Column(IntEnum):
    """The fields of a finished call's record (``Call.record``), in order:
    seconds since the schedule start (NaN: did not happen) and codes."""

    INDEX = 0
    RECIPIENT = 1
    ATTEMPT = 2
    INITIATION = 3
    CONNECTED_TO_SYSTEM = 4
    GREETING_START = 5
    GREETING_END = 6
    ENQUEUE = 7
    CONNECTED_TO_AGENT = 8
    DISCONNECT = 9
    ACW_END = 10
    ACCEPTED = 11  # preview: the agent accepted the contact (the dial)
    AGENT = 12  # -1: none
    PARTY = 13
    AMD = 14  # eventlog.schema.AMD_CODE
    REASON = 15  # eventlog.schema.REASON_CODE
    AMD_CORRECT = 16  # -1 unknown, 0, 1
    MESSAGE = 17
    OPT_OUT = 18


RECORD_WIDTH = len(Column)


class Call:
    """One dial attempt. Times are seconds since the schedule start.

    Defaults live on the class: a new call sets five attributes, not
    twenty-five (this runs once per dial).

    A call is also its own SimPy event for the steps of its main line (ring,
    AMD, talk, wrap-up: ``Clock.after``), which follow one another, so at
    most one is pending at a time. Timers that may run beside them (patience,
    the safe-harbor drop) are separate events (``Clock.later``)."""

    _ok = True  # what Environment.step checks of an event
    callbacks = None

    party = int(Party.NO_ANSWER)  # plain ints on the hot path (dialer/engine.py)
    t_cts = t_gs = t_ge = t_enq = t_cta = t_disc = t_acw = t_acc = NAN
    amd = 0
    reason = 0
    amd_correct = -1
    message = 0
    opt_out = 0
    live = False  # classified as a person, sent to an agent
    waiting = False
    deadline = INF
    clock_start = NAN
    in_flight = True
    disposition = int(Disposition.FINAL)
    signal: tuple[int, int, int]  # busy / invalid tones: (AMD status, reason, disposition), set at the dial
    abandoned = False

    def __init__(self, idx: int, rec: int, attempt: int, t: float, agent: int = -1) -> None:
        self.idx = idx
        self.rec = rec
        self.attempt = attempt
        self.t_init = t
        self.agent = agent
        if agent >= 0:  # a previewed dial: the agent accepted it now
            self.t_acc = t

    def record(self) -> tuple[float, ...]:
        """The call's fields in ``Column`` order."""
        return (
            self.idx,
            self.rec,
            self.attempt,
            self.t_init,
            self.t_cts,
            self.t_gs,
            self.t_ge,
            self.t_enq,
            self.t_cta,
            self.t_disc,
            self.t_acw,
            self.t_acc,
            self.agent,
            self.party,
            self.amd,
            self.reason,
            self.amd_correct,
            self.message,
            self.opt_out,
        )
