"""A TLS endpoint in front of a plain-HTTP test server, for clients that speak TLS
only (pgBackRest 2.45 reaches S3 over HTTPS alone, and moto's own --ssl mode cannot
take its uploads). It holds a certificate for one name, signed by a test CA the
client is told to trust (fake_vault.make_tls), and copies bytes both ways to the
plain server. Test
helper: not part of the collection."""

from __future__ import annotations

import asyncio
import ssl
import threading
from pathlib import Path


class TlsEndpoint:
    """Listens with TLS on ``port`` (all addresses, so containers reach it through
    host-gateway) and relays each connection to ``127.0.0.1:backend_port``. One
    asyncio loop in a thread does all the I/O: an SSL object is never used by two
    threads at once."""

    def __init__(self, port: int, backend_port: int, cert: Path, key: Path) -> None:
        self.backend_port = backend_port
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(str(cert), str(key))
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(port, ready), daemon=True)
        self.thread.start()
        if not ready.wait(10):
            raise RuntimeError("the TLS endpoint on port %d did not start" % port)

    def _run(self, port: int, ready: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)
        self.server = self.loop.run_until_complete(
            asyncio.start_server(self._relay, "0.0.0.0", port, ssl=self.context))
        ready.set()
        self.loop.run_forever()

    async def _relay(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            backend_reader, backend_writer = await asyncio.open_connection("127.0.0.1", self.backend_port)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(self._copy(client_reader, backend_writer), self._copy(backend_reader, client_writer))

    @staticmethod
    async def _copy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                writer.write(data)
                await writer.drain()
        except (OSError, ssl.SSLError):
            pass
        finally:
            writer.close()  # with TLS this sends close_notify: the client sees a clean end

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.server.close)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)
