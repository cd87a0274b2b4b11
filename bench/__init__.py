# How long each capacity ramp may run at most (BENCH_RAMP_MAX_SECONDS overrides it): long
# enough for the daily pages' ramp, from 2 users ×1.25 every 8 s, to pass its limit on this
# 2-core machine (at 120 s it stopped at 23 users, under the limit: a lower bound only).
RAMP_MAX_SECONDS = 200
