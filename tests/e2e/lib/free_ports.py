"""Prints N free TCP ports of 127.0.0.1 (default 1), space-separated.

The ports are below the kernel's ephemeral range (net.ipv4.ip_local_port_range),
so the kernel never hands them out on its own: a port picked by binding port 0
can be handed again to a listener that binds port 0 (atlas-devbus's mock
brokers once took the RAG_PORT a test had picked), or be a client's own source
port, and a connection to it then "succeeds" by connecting to itself.
"""
import random
import socket
import sys


def main() -> int:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        low, high = (int(v) for v in f.read().split())
    if low - 1024 >= 1000:
        span = (max(1024, low - 12000), low)
    elif 65536 - (high + 1) >= 1000:
        span = (high + 1, 65536)
    else:  # the ephemeral range covers nearly everything: any unprivileged port
        span = (1024, 65536)
    ports = []
    while len(ports) < count:
        port = random.randrange(*span)
        if port in ports:
            continue
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            s.close()
        ports.append(port)
    print(" ".join(str(p) for p in ports))
    return 0


if __name__ == "__main__":
    sys.exit(main())
