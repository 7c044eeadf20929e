"""Answering-machine detection as a listening process on the call's timeline.

AMD starts listening at the answer and decides when it has heard enough: a
person after their greeting and a silence, a machine after its detection
delay (longer greetings, a beep), a fax or special-information tone early.
It listens at most ``maxAnalysisSeconds`` (from the answer, or from the start
of speech as Ofcom's policy measures it); past that the verdict is
``AMD_UNRESOLVED`` (``AMD_UNRESOLVED_SILENCE`` when the greeting is over and
AMD is hearing silence) and the call is handled as ``onUnresolved`` says.

Which verdict a decided call gets is an operating point on a binormal ROC
(``campaigns.document.roc_point``): one setting trades people hung up on
(false positives) against machines passed to agents (false negatives).

The engine asks ``Listener.listen`` once per answered call, at the answer
(nothing that happens later changes what AMD hears), and schedules the
verdict at the time it returns; docs/engine.md, section "AMD", has the model
and its sources.
"""

from __future__ import annotations

import numpy as np

from campaigns.document import Amd
from dialer.call import Party
from dialer.streams import ContactDraws, ContactUniforms
from eventlog.schema import AMD_CODE, AMD_STATUSES

HUMAN, MACHINE_BEEP, MACHINE_NO_BEEP = int(Party.HUMAN), int(Party.MACHINE_BEEP), int(Party.MACHINE_NO_BEEP)
INF = float("inf")

HUMAN_ANSWERED = AMD_CODE["HUMAN_ANSWERED"]
VOICEMAIL_BEEP = AMD_CODE["VOICEMAIL_BEEP"]
VOICEMAIL_NO_BEEP = AMD_CODE["VOICEMAIL_NO_BEEP"]
AMD_UNRESOLVED = AMD_CODE["AMD_UNRESOLVED"]
AMD_UNRESOLVED_SILENCE = AMD_CODE["AMD_UNRESOLVED_SILENCE"]
AMD_ERROR = AMD_CODE["AMD_ERROR"]
FAX_MACHINE_DETECTED = AMD_CODE["FAX_MACHINE_DETECTED"]
SIT_TONE_DETECTED = AMD_CODE["SIT_TONE_DETECTED"]
MACHINE_VERDICTS = (VOICEMAIL_BEEP, VOICEMAIL_NO_BEEP)
UNDECIDED = (AMD_UNRESOLVED, AMD_UNRESOLVED_SILENCE, AMD_ERROR)

# A greeting longer than this is "long" in the confusion matrix: Asterisk
# app_amd's ``greeting`` default (1500 ms), the longest greeting it still
# takes for a person's.
LONG_GREETING_SECONDS = 1.5

# Rows of the confusion matrix: the true class behind an answered call.
TRUE_CLASSES = (
    "PERSON_SHORT_GREETING",
    "PERSON_LONG_GREETING",
    "MACHINE_BEEP_SHORT_GREETING",
    "MACHINE_BEEP_LONG_GREETING",
    "MACHINE_NO_BEEP_SHORT_GREETING",
    "MACHINE_NO_BEEP_LONG_GREETING",
    "FAX",
)
_ROW_BASE = {HUMAN: 0, MACHINE_BEEP: 2, MACHINE_NO_BEEP: 4}
_FAX_ROW = 6


class Listener:
    """One campaign's AMD: its timing, its operating point, its tallies."""

    def __init__(self, cfg: Amd, seed: int) -> None:
        self.fp_rate, self.fn_rate = cfg.operating_point()
        self.cfg = cfg
        # Per contact and attempt (dialer/streams.py): what AMD hears on a
        # call does not depend on when the call was placed.
        self.d_machine = ContactDraws(cfg.detection_delay, seed, "amd_delay")
        self.d_silence = ContactDraws(cfg.silence_after_greeting, seed, "amd_silence")
        self.d_tone = ContactDraws(cfg.tone_detection_delay, seed, "amd_tone")
        self.u_verdict = ContactUniforms(seed, "amd_error")
        self.u_fault = ContactUniforms(seed, "amd_fault")
        self.u_sit = ContactUniforms(seed, "amd_sit")
        self.cap = cfg.max_analysis_seconds if cfg.max_analysis_seconds is not None else INF
        self.from_speech = cfg.analysis_measured_from == "SPEECH_START"
        self.error_rate = cfg.error_rate
        self.unclassified_sit = cfg.unclassified_sit_share
        self.unresolved_live = cfg.on_unresolved == "CONNECT_AS_LIVE"
        # Rows TRUE_CLASSES, columns AMD codes (eventlog.schema.AMD_STATUSES),
        # flat: a list item increment costs a fraction of a numpy one.
        self._width = len(AMD_STATUSES)
        self._counts = [0] * (len(TRUE_CLASSES) * self._width)

    def listen(
        self, party: int, t_answer: float, t_gs: float, t_ge: float, rec: int, attempt: int
    ) -> tuple[float, int]:
        """When AMD gives its verdict on a call answered at ``t_answer`` (a
        greeting from ``t_gs`` to ``t_ge``, NaN for a fax), and which (an AMD
        code), for contact ``rec``'s ``attempt``. The same random numbers
        whatever the cap, so changing ``maxAnalysisSeconds`` changes only
        the calls it cuts short."""
        u = self.u_verdict(rec, attempt)
        if party == HUMAN:
            t = t_ge + self.d_silence(rec, attempt)
            verdict = VOICEMAIL_NO_BEEP if u < self.fp_rate else HUMAN_ANSWERED
        elif party in (MACHINE_BEEP, MACHINE_NO_BEEP):
            t = t_answer + self.d_machine(rec, attempt)
            if u < self.fn_rate:
                verdict = HUMAN_ANSWERED
            else:
                verdict = VOICEMAIL_BEEP if party == MACHINE_BEEP else VOICEMAIL_NO_BEEP
        else:  # a fax answers with its tone
            t = t_answer + self.d_tone(rec, attempt)
            verdict = FAX_MACHINE_DETECTED
        if self.error_rate and self.u_fault(rec, attempt) < self.error_rate:
            t, verdict = t_answer, AMD_ERROR  # the analysis could not start
        else:
            start = t_gs if self.from_speech and t_gs == t_gs else t_answer
            if t > start + self.cap:
                t = start + self.cap
                # Given up in the silence after a greeting: Connect's
                # AMD_UNRESOLVED_SILENCE ("connected but the answering machine
                # detection observed silence"); during speech, AMD_UNRESOLVED.
                verdict = AMD_UNRESOLVED_SILENCE if t >= t_ge else AMD_UNRESOLVED
        base = _ROW_BASE.get(party)
        row = _FAX_ROW if base is None else base + (t_ge - t_gs > LONG_GREETING_SECONDS)
        self._counts[row * self._width + verdict] += 1
        return t, verdict

    def sit_unclassified(self, rec: int, attempt: int) -> bool:
        """Whether an invalid number's tone is one AMD cannot name (Connect's
        ``SIT_TONE_DETECTED`` rather than ``SIT_TONE_INVALID_NUMBER``)."""
        return bool(self.unclassified_sit) and self.u_sit(rec, attempt) < self.unclassified_sit

    @property
    def confusion(self) -> np.ndarray:
        """The confusion matrix: rows ``TRUE_CLASSES``, columns AMD codes."""
        return np.array(self._counts, dtype=np.int64).reshape(len(TRUE_CLASSES), self._width)

    def confusion_summary(self) -> dict[str, dict[str, int]]:
        """The confusion matrix as {true class: {AMD status: calls}}, zero cells left out."""
        out: dict[str, dict[str, int]] = {}
        matrix = self.confusion
        for r, name in enumerate(TRUE_CLASSES):
            row = {str(AMD_STATUSES[k]): int(v) for k, v in enumerate(matrix[r]) if k and v}
            if row:
                out[name] = row
        return out

    def operating_point_summary(self) -> dict[str, object]:
        cfg = self.cfg
        return {
            "falsePositiveRate": self.fp_rate,
            "falseNegativeRate": self.fn_rate,
            "sensitivity": 1.0 - self.fn_rate,
            "discriminability": cfg.discriminability,
            "maxAnalysisSeconds": cfg.max_analysis_seconds,
            "analysisMeasuredFrom": cfg.analysis_measured_from,
            "onUnresolved": cfg.on_unresolved,
        }
