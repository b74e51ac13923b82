"""Helpers of the load benchmarks (`ack_load.py`, `memory_soak.py`): scripts, not tests."""
