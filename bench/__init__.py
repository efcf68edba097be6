"""Speed and accuracy benchmarks of the topic matcher.

Each module is runnable on its own (``python -m bench.matcher_speed``,
``python -m bench.scale``, ``python -m bench.morphology_choice``) and
``python -m bench.run_all`` runs them all in one process. The benchmarks
measure and report; they never assert timings (machines here are shared).
See bench/README.md.
"""
