"""The gRPC door: serves the method table over grpc.aio."""
