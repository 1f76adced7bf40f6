#!/usr/bin/python3
"""A CRI client for kata's e2e tests: one runtime.v1 call per run.

    cri_client.py --socket PATH --stubs DIR [--timeout S] METHOD < request.json

METHOD is an rpc of runtime_v1.proto (RunPodSandbox, ExecSync, ...). The
request is the JSON form of METHOD's request message (proto field names,
enum values by name); the response is printed as JSON with proto field
names and default values included (a kubelet reads exit_code 0 and
CONTAINER_CREATED too), bytes fields (ExecSync's stdout and stderr) as
UTF-8 text. A failed call prints the gRPC status code and details on
stderr and exits with 2, so a test can tell it from a client that could
not start (1, Python's own errors).

The stubs are generated into DIR by the test (grpc_tools.protoc), so this
needs Debian's python3-grpcio; run it with /usr/bin/python3.
"""

import argparse
import json
import sys

import grpc
from google.protobuf import descriptor, json_format


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--socket", required=True, help="containerd's gRPC socket")
    parser.add_argument("--stubs", required=True, help="directory of runtime_v1_pb2*.py")
    parser.add_argument("--timeout", type=float, default=120, help="seconds the call may take")
    parser.add_argument("method")
    args = parser.parse_args()

    sys.path.insert(0, args.stubs)
    import runtime_v1_pb2 as api
    import runtime_v1_pb2_grpc as api_grpc

    # The service that declares METHOD, and its request type.
    for service in api.DESCRIPTOR.services_by_name.values():
        method = service.methods_by_name.get(args.method)
        if method is not None:
            break
    else:
        sys.exit(f"cri_client: no rpc {args.method} in runtime_v1.proto")
    request = json_format.ParseDict(json.load(sys.stdin), getattr(api, method.input_type.name)())

    with grpc.insecure_channel("unix://" + args.socket) as channel:
        stub = getattr(api_grpc, service.name + "Stub")(channel)
        try:
            response = getattr(stub, args.method)(request, timeout=args.timeout)
        except grpc.RpcError as error:
            print(f"{error.code().name}: {error.details()}", file=sys.stderr)
            sys.exit(2)

    out = json_format.MessageToDict(response, preserving_proto_field_name=True,
                                    including_default_value_fields=True)
    for field in response.DESCRIPTOR.fields:
        if field.type == descriptor.FieldDescriptor.TYPE_BYTES:
            out[field.name] = getattr(response, field.name).decode("utf-8", "replace")
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    print()


if __name__ == "__main__":
    main()
