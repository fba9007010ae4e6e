"""The service layer: each public API service implemented once, as async methods on protobufs.

The gRPC bridge, the REST gateway and the hub link all call it through a :class:`MethodTable`.
"""
