#!/usr/bin/env python3
"""One gRPC call through Debian's python3-grpcio, printed as one JSON line: {"code", "message", "responses", "sizes"}.

Messages are raw UTF-8 strings (no .proto), matching the test service's hand-written descriptors.
Usage: grpc_call.py TARGET PATH unary|stream REQUEST [--service NAME] [--deadline-ms N]
       [--cancel-after-ms N] [--big BYTES] [--tls-root PEM]
"""
import json
import sys
import threading

import grpc


def main():
    target, path, kind, request, *rest = sys.argv[1:]
    opts = {rest[i].lstrip("-"): rest[i + 1] for i in range(0, len(rest), 2)}
    options = [
        ("grpc.max_receive_message_length", -1),
        ("grpc.max_send_message_length", -1),
        ("grpc.ssl_target_name_override", "localhost"),
        ("grpc.enable_http_proxy", 0),
    ]
    if "tls-root" in opts:
        with open(opts["tls-root"], "rb") as f:
            channel = grpc.secure_channel(target, grpc.ssl_channel_credentials(f.read()), options=options)
    else:
        channel = grpc.insecure_channel(target, options=options)

    metadata = [("servicename", opts["service"])] if "service" in opts else None
    timeout = int(opts["deadline-ms"]) / 1000 if "deadline-ms" in opts else None
    body = "x" * int(opts["big"]) if "big" in opts else request
    serialize = lambda s: s.encode("utf-8")
    deserialize = lambda b: b.decode("utf-8")
    responses = []
    code, message = 0, ""
    try:
        if kind == "unary":
            call = channel.unary_unary(path, request_serializer=serialize, response_deserializer=deserialize).future(
                body, timeout=timeout, metadata=metadata)
        else:
            call = channel.unary_stream(path, request_serializer=serialize, response_deserializer=deserialize)(
                body, timeout=timeout, metadata=metadata)
        if "cancel-after-ms" in opts:
            threading.Timer(int(opts["cancel-after-ms"]) / 1000, call.cancel).start()
        if kind == "unary":
            responses.append(call.result())
        else:
            for reply in call:
                responses.append(reply)
    except grpc.FutureCancelledError:
        code, message = grpc.StatusCode.CANCELLED.value[0], "Cancelled"
    except grpc.RpcError as e:
        code, message = e.code().value[0], e.details() or ""
    print(json.dumps({
        "code": code,
        "message": message,
        "responses": [r[:100] for r in responses],
        "sizes": [len(r.encode("utf-8")) for r in responses],
    }), flush=True)
    channel.close()


if __name__ == "__main__":
    main()
