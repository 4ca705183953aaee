"""Start the GStreamer RTSP test server as a subprocess, and make the media it serves."""

from __future__ import annotations

import os
import select
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import IO

import av
import numpy as np

SYSTEM_PYTHON = "/usr/bin/python3"
SERVER_SCRIPT = Path(__file__).with_name("rtsp_server.py")
_PROBE = (
    "import gi; gi.require_version('Gst', '1.0'); gi.require_version('GstRtspServer', '1.0'); "
    "from gi.repository import Gst, GstRtspServer"
)


def gst_rtsp_missing() -> str | None:
    """Return why the RTSP test server cannot run here, or None when it can."""
    if not Path(SYSTEM_PYTHON).exists():
        return f"{SYSTEM_PYTHON} not found (the RTSP test server runs under the system Python)"
    probe = subprocess.run(
        [SYSTEM_PYTHON, "-c", _PROBE], capture_output=True, text=True, timeout=30, check=False
    )
    if probe.returncode != 0:
        return (
            f"{SYSTEM_PYTHON} cannot import gi's GstRtspServer "
            "(run scripts/install-system-deps.sh): " + probe.stderr.strip().splitlines()[-1]
        )
    return None


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class RtspTestServer:
    """The RTSP server subprocess: start, stop and restart on the same port; always killed."""

    def __init__(
        self,
        mounts: dict[str, str],
        *,
        port: int | None = None,
        fps: int = 10,
        auth: tuple[str, str] | None = None,
        auth_method: str = "basic",
    ) -> None:
        # mounts: "/path" -> "mp4:/file.mp4" or "h264:/file.h264" (see rtsp_server.py)
        self.mounts = mounts
        self.auth = auth
        self.auth_method = auth_method  # "basic" or "digest"
        self.port = port or free_port()
        self.fps = fps
        self._process: subprocess.Popen[str] | None = None
        self._log: IO[str] | None = None

    def url(self, mount: str) -> str:
        """Return the rtsp:// URL of a mount."""
        return f"rtsp://127.0.0.1:{self.port}{mount}"

    def start(self, timeout_s: float = 20.0) -> None:
        """Start the server and wait until it prints "ready"."""
        if self._process is not None:
            raise RuntimeError("RTSP test server already running")
        args = [SYSTEM_PYTHON, str(SERVER_SCRIPT), "--port", str(self.port), "--fps", str(self.fps)]
        # Even a test run killed outright leaves no server behind: it exits when stdin closes.
        args.append("--exit-with-stdin")
        for mount, target in self.mounts.items():
            args += ["--mount", f"{mount}={target}"]
        if self.auth:
            args += ["--auth", ":".join(self.auth), "--auth-method", self.auth_method]
        # A clean environment: the venv's variables must not leak into the system Python.
        env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHON"))}
        # Server messages go to a file: a pipe nobody reads would block the server when full.
        self._log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - closed in stop()
        process = subprocess.Popen(
            args,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            env=env,
        )
        self._process = process
        assert process.stdout is not None
        readable, _, _ = select.select([process.stdout], [], [], timeout_s)
        line = process.stdout.readline() if readable else ""
        if line.strip() != "ready":
            self._log.seek(0)
            messages = self._log.read()[-2000:]
            self.stop()
            raise RuntimeError(f"RTSP test server did not start on port {self.port}:\n{messages}")

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL) and wait until it is gone."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        for stream in (process.stdin, process.stdout, self._log):
            if stream is not None:
                stream.close()
        self._log = None

    def restart(self, pause_s: float = 0.0) -> None:
        """Stop the server, wait pause_s, start it again on the same port."""
        self.stop()
        time.sleep(pause_s)
        self.start()

    def __enter__(self) -> RtspTestServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _pattern(index: int, width: int, height: int) -> np.ndarray:
    # A grey gradient with a bright square moving left to right: cheap to encode, has motion.
    image = np.zeros((height, width, 3), dtype=np.uint8)
    image[:] = (np.arange(width, dtype=np.uint16) * 255 // width).astype(np.uint8)[None, :, None]
    x = (index * 8) % (width - 40)
    image[height // 2 - 20 : height // 2 + 20, x : x + 40] = 255
    return image


def write_test_video(
    path: Path, *, seconds: float = 4.0, fps: int = 10, width: int = 320, height: int = 240
) -> Path:
    """Encode synthetic H.264 (keyframe every second, no B-frames) as .mp4 or raw Annex-B .h264."""
    container_format = "h264" if path.suffix == ".h264" else "mp4"
    with av.open(str(path), "w", format=container_format) as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"g": str(fps), "bf": "0", "preset": "ultrafast", "tune": "zerolatency"}
        stream.codec_context.time_base = Fraction(1, fps)
        for index in range(int(seconds * fps)):
            frame = av.VideoFrame.from_ndarray(_pattern(index, width, height), format="bgr24")
            frame.pts = index
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


def wait_until(condition: Callable[[], bool], timeout_s: float, step_s: float = 0.2) -> bool:
    """Poll `condition` until it holds or the (generous) timeout passes; return whether it held."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step_s)
    return condition()
