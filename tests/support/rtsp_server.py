"""A GStreamer RTSP server for tests; run by the system Python (/usr/bin/python3), not the venv.

    /usr/bin/python3 rtsp_server.py --port 8554 --mount /clip=mp4:/tmp/clip.mp4 \
        --mount /live=h264:/tmp/live.h264

`mp4:` serves an MP4 file once per client (each client gets its own pipeline from the start);
`h264:` serves a raw Annex-B file looped forever at its frame rate, shared by all clients, like a
camera. Prints "ready" on stdout once the port listens; stops on SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import signal
import sys

import gi  # type: ignore[import-not-found]

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
gi.require_version("GstRtsp", "1.0")
from gi.repository import (  # type: ignore[import-not-found]  # noqa: E402
    GLib,
    Gst,
    GstRtsp,
    GstRtspServer,
)

_ROLE = "viewer, media.factory.access=(boolean)true, media.factory.construct=(boolean)true"
PAY = "rtph264pay name=pay0 pt=96 config-interval=-1"


def _launch(kind: str, path: str, fps: int) -> str:
    # config-interval=-1 repeats SPS/PPS before every keyframe, as cameras do, so a client that
    # joins mid-stream can decode from the next keyframe.
    if kind == "mp4":
        return f'( filesrc location="{path}" ! qtdemux ! h264parse ! {PAY} )'
    if kind == "h264":
        caps = f"video/x-h264,stream-format=byte-stream,framerate={fps}/1"
        return (
            f'( multifilesrc location="{path}" loop=true caps="{caps}" ! h264parse '
            f"! identity sync=true ! {PAY} )"
        )
    raise SystemExit(f"unknown mount kind {kind!r}; use mp4 or h264")


def _pts_from_dts(_pad: Gst.Pad, info: Gst.PadProbeInfo) -> Gst.PadProbeReturn:
    # h264parse timestamps a raw byte stream with DTS only, and rtph264pay needs PTS for RTP
    # time; the test streams have no B-frames, so PTS equals DTS.
    buffer = info.get_buffer()
    if buffer is not None and buffer.pts == Gst.CLOCK_TIME_NONE:
        buffer.pts = buffer.dts
    return Gst.PadProbeReturn.OK


def _on_media_configure(
    _factory: GstRtspServer.RTSPMediaFactory, media: GstRtspServer.RTSPMedia
) -> None:
    pad = media.get_element().get_by_name("pay0").get_static_pad("sink")
    pad.add_probe(Gst.PadProbeType.BUFFER, _pts_from_dts)


def _require_auth(server: GstRtspServer.RTSPServer, user_password: str, method: str) -> None:
    user, _, password = user_password.partition(":")
    token = GstRtspServer.RTSPToken()
    token.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, "viewer")
    auth = GstRtspServer.RTSPAuth()
    if method == "digest":
        auth.add_digest(user, password, token)
        auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
    else:
        auth.add_basic(GstRtspServer.RTSPAuth.make_basic(user, password), token)
    server.set_auth(auth)


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--fps", type=int, default=10, help="frame rate of h264 mounts")
    parser.add_argument(
        "--mount", action="append", default=[], help="/path=kind:file (kind mp4 or h264)"
    )
    parser.add_argument("--auth", default="", help="user:password required by every mount")
    parser.add_argument(
        "--auth-method", choices=["basic", "digest"], default="basic", help="scheme of --auth"
    )
    parser.add_argument(
        "--exit-with-stdin",
        action="store_true",
        help="stop when stdin closes (the test process that started the server died)",
    )
    return parser.parse_args()


def main() -> int:
    """Serve the mounts until stopped."""
    args = _parse()
    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    mounts = server.get_mount_points()
    for spec in args.mount:
        mount, _, target = spec.partition("=")
        kind, _, path = target.partition(":")
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_launch(_launch(kind, path, args.fps))
        factory.set_shared(kind == "h264")
        if args.auth:
            factory.add_role_from_structure(Gst.Structure.from_string(_ROLE)[0])
        if kind == "h264":
            factory.connect("media-configure", _on_media_configure)
        mounts.add_factory(mount, factory)
    if args.auth:
        _require_auth(server, args.auth, args.auth_method)
    if server.attach(None) == 0:
        print(f"cannot listen on 127.0.0.1:{args.port}", file=sys.stderr, flush=True)
        return 1
    loop = GLib.MainLoop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, sig, loop.quit)
    if args.exit_with_stdin:
        GLib.io_add_watch(sys.stdin.fileno(), GLib.IO_IN | GLib.IO_HUP, lambda *_: loop.quit())
    print("ready", flush=True)
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
