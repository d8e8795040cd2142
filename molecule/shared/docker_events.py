"""Record Docker's container events while something runs.

The daemon keeps only its last 256 events for later queries, and health probes
alone produce several per container per second, so events are read live from
the stream instead of asked for afterwards.
"""

import threading


class EventRecorder:
    """Context manager: first ``start`` and first ``healthy`` time (seconds) of each service.

    Services are named by the label ``org.tersane.service`` of containers
    labelled ``org.tersane.platform=<platform>``.
    """

    def __init__(self, engine, platform):
        self.started = {}
        self.healthy = {}
        self._stream = engine.events(decode=True, filters={
            "type": "container", "label": "org.tersane.platform=%s" % platform})
        self._thread = threading.Thread(target=self._read, daemon=True)

    def _read(self):
        try:
            for event in self._stream:
                name = event["Actor"]["Attributes"].get("org.tersane.service")
                when = event["timeNano"] / 1e9
                if event["Action"] == "start":
                    self.started.setdefault(name, when)
                elif event["Action"] == "health_status: healthy":
                    self.healthy.setdefault(name, when)
        except Exception:  # pylint: disable=broad-except
            pass  # the stream was closed

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stream.close()
        self._thread.join(timeout=5)
        return False
