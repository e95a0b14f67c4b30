"""The second factor's devices in the admin."""
