"""Load tests and benchmarks of the patient chat service.

``python -m loadtests SCENARIO`` runs one scenario against the service and the
two baselines (bare ``websockets``, bare Starlette on uvicorn) and saves
``loadtests/results/SCENARIO.json``; ``python -m loadtests report`` turns the
results into ``docs/benchmarks.md``. See ``docs/benchmarks.md`` for the method.
"""
