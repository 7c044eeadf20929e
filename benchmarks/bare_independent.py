"""Independently written bare-SimPy baseline of an outbound predictive-dialer call flow.

This is a plain, idiomatic SimPy model (one generator process per call, a
simpy.Resource for agents, ``req | patience`` for abandonment) written without
reference to the project's engine. benchmarks/bench_engine.py uses it as a
baseline for the dials-per-CPU-second rate. It records no events and only
counts dials started.
"""

import math
import random
import time

import simpy

RING_TIMEOUT = 20.0
OUTCOMES = ("human", "machine", "no_answer", "busy", "invalid", "fax")
CUM_WEIGHTS = (0.10, 0.35, 0.87, 0.92, 0.98, 1.00)


def lognormal_params(mean, sd):
    """mu, sigma of the underlying normal for a lognormal with this mean and sd."""
    sigma2 = math.log(1.0 + (sd / mean) ** 2)
    return math.log(mean) - sigma2 / 2.0, math.sqrt(sigma2)


GREETING = lognormal_params(1.1, 0.4)
AMD_HUMAN = lognormal_params(0.8, 0.2)
AMD_MACHINE = lognormal_params(2.5, 0.8)
TALK = lognormal_params(180.0, 120.0)
WRAP_UP = lognormal_params(20.0, 8.0)
ANSWER_SHAPE, ANSWER_SCALE = (9.0 / 5.0) ** 2, 5.0**2 / 9.0  # gamma: mean 9, sd 5
PATIENCE_MEAN = 4.0


def run(dials_target: int, agents: int = 100, seed: int = 1) -> tuple[int, float]:
    rng = random.Random(seed)
    env = simpy.Environment()
    pool = simpy.Resource(env, capacity=agents)
    state = {"dials": 0, "in_progress": 0}

    def call():
        outcome = rng.choices(OUTCOMES, cum_weights=CUM_WEIGHTS)[0]
        if outcome in ("busy", "invalid"):
            yield env.timeout(rng.uniform(1.0, 6.0))
        elif outcome == "no_answer":
            yield env.timeout(RING_TIMEOUT)
        else:
            answer = rng.gammavariate(ANSWER_SHAPE, ANSWER_SCALE)
            if answer > RING_TIMEOUT:
                yield env.timeout(RING_TIMEOUT)
            else:
                yield env.timeout(answer)
                if outcome == "human":
                    yield env.timeout(rng.lognormvariate(*GREETING))
                    yield env.timeout(rng.lognormvariate(*AMD_HUMAN))
                    with pool.request() as req:
                        patience = env.timeout(rng.expovariate(1.0 / PATIENCE_MEAN))
                        result = yield req | patience
                        if req in result:
                            yield env.timeout(rng.lognormvariate(*TALK))
                            yield env.timeout(rng.lognormvariate(*WRAP_UP))
                else:
                    yield env.timeout(rng.lognormvariate(*AMD_MACHINE))
        state["in_progress"] -= 1

    def dialer():
        target = round(1.5 * agents)
        while state["dials"] < dials_target:
            new = min(max(0, target - state["in_progress"]), dials_target - state["dials"])
            for _ in range(new):
                state["dials"] += 1
                state["in_progress"] += 1
                env.process(call())
            yield env.timeout(1.0)

    env.process(dialer())
    start = time.process_time()
    env.run()
    cpu = time.process_time() - start
    return state["dials"], cpu


if __name__ == "__main__":
    run(1000)  # warm-up
    best = 0.0
    for _ in range(3):
        dials, cpu = run(136_849)
        best = max(best, dials / cpu)
    print(f"bare independent SimPy: {best:,.0f} dials/CPU-second (best of 3)")
