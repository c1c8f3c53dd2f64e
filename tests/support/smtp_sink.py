"""A local SMTP server for tests: stores each message it accepts as OUT_DIR/NNNN.eml.

Usage: python3 smtp_sink.py OUT_DIR
Listens on a free port of 127.0.0.1, prints "PORT <n>" once ready, and exits when its
standard input closes (so it never outlives the test that started it).
Needs aiosmtpd (Debian: python3-aiosmtpd).
"""
import asyncio
import os
import sys
import threading

from aiosmtpd.smtp import SMTP


class Sink:
    def __init__(self, out_dir):
        self.out_dir = out_dir
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        path = os.path.join(self.out_dir, "%04d.eml" % self.count)
        tmp = path + ".tmp"
        with open(tmp, "wb") as f:
            f.write(envelope.original_content or envelope.content)
        os.rename(tmp, path)
        return "250 Message accepted"


def exit_when_stdin_closes():
    sys.stdin.read()
    os._exit(0)


async def main():
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    sink = Sink(out_dir)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(sink, hostname="localhost"), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    print("PORT %d" % port, flush=True)
    threading.Thread(target=exit_when_stdin_closes, daemon=True).start()
    async with server:
        await server.serve_forever()


asyncio.run(main())
