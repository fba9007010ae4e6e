"""Test kit shipped with the package: real node processes and dynamic API clients for tests."""
