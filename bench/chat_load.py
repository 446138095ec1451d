"""The chat benchmark's load generator: N concurrent SSE streams over raw asyncio sockets, in one process.

    python bench/chat_load.py --port P --target service|direct --clients N [--full 2] [--probes 0] ...

Each of `--clients` clients starts at a point spread over `--ramp` seconds (so N streams are open at once in
steady state), then runs, one after another: `--probes` short answers (`--probe-tokens` tokens, read to the
end: time to first token on a warm connection), `--hang-ups` streams that hang up after 3 tokens, and `--full`
answers read to the end. Every `--disconnect-every`-th full stream hangs up after half its tokens.
`--target direct` talks to the fake upstream's /v1/chat/completions, `service` to the chat service's /chat.

Prints one JSON object: time to first token of every stream, the gaps between tokens (percentiles), errors
by kind, and `closes` {stream id: time.monotonic() when this process closed the socket} for the streams that
hung up, for the benchmark to match with the upstream's record of the same disconnect.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import resource
import time
from collections import Counter

MARKERS = {  # target -> (one token, the end of a stream, an error event)
    "service": (b"event: token\n", b"event: done\n", b"event: error\n"),
    "direct": (b'"delta":{"content":', b"data: [DONE]", b'"error":'),
}
_CODE = re.compile(rb'"code":"?([\w]+)')
TAIL = max(len(marker) for markers in MARKERS.values() for marker in markers)


class Results:
    def __init__(self) -> None:
        self.ttft: list[float] = []
        self.ttft_hung_up: list[float] = []
        self.gaps: list[float] = []
        self.errors: Counter[str] = Counter()
        self.closes: dict[str, float] = {}
        self.completed = 0
        self.tokens = 0


class Reader(asyncio.Protocol):
    """One stream: send the request, time each token as its bytes arrive, stop at the end (or hang up)."""

    def __init__(self, request: bytes, markers: tuple[bytes, bytes, bytes], hang_up_after: int) -> None:
        self.request, self.markers, self.hang_up_after = request, markers, hang_up_after
        self.started = time.monotonic()
        self.times: list[float] = []
        self.status_checked = False
        self.tail = b""
        self.outcome: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None
        self.closed_at = 0.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        transport.write(self.request)  # type: ignore[attr-defined]

    def data_received(self, data: bytes) -> None:
        now = time.monotonic()
        if not self.status_checked:
            self.status_checked = True
            if not data.startswith(b"HTTP/1.1 200"):
                return self._finish("http_" + data[9:12].decode("latin-1", "replace"))
        text = self.tail + data
        self.tail = text[-TAIL:]
        token, end, error = self.markers
        self.times.extend([now] * text.count(token))
        if self.hang_up_after and len(self.times) >= self.hang_up_after:
            self.closed_at = time.monotonic()
            return self._finish("hung_up")
        if end in text:
            self._finish("ok")
        elif error in text:
            found = _CODE.search(text)
            self._finish("error_event:" + (found.group(1).decode() if found else "?"))

    def _finish(self, outcome: str) -> None:
        if not self.outcome.done():
            self.outcome.set_result(outcome)
        self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.outcome.done():
            self.outcome.set_result("closed_early")


def build_request(target: str, port: int, stream_id: str, tokens: int) -> bytes:
    question = f"When did the lantern festival begin? (bench-id-{stream_id} bench-tokens-{tokens})"
    if target == "service":
        path, body = "/chat", {"article": "lanterns", "messages": [{"role": "user", "content": question}]}
    else:
        path = "/v1/chat/completions"
        body = {"model": "bench", "stream": True, "messages": [{"role": "user", "content": question}]}
    payload = json.dumps(body).encode()
    head = (
        f"POST {path} HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(payload)}\r\n\r\n"
    )
    return head.encode() + payload


async def one_stream(
    args: argparse.Namespace, results: Results, stream_id: str, tokens: int, hang_up_after: int = 0
) -> None:
    loop = asyncio.get_running_loop()
    request = build_request(args.target, args.port, stream_id, tokens)
    reader = Reader(request, MARKERS[args.target], hang_up_after)
    try:
        await asyncio.wait_for(loop.create_connection(lambda: reader, "127.0.0.1", args.port), args.timeout)
        outcome = await asyncio.wait_for(reader.outcome, args.timeout)
    except (OSError, TimeoutError) as error:
        outcome = type(error).__name__
        if reader.transport is not None:
            reader.transport.abort()
    times = reader.times
    if times:
        (results.ttft_hung_up if hang_up_after else results.ttft).append(times[0] - reader.started)
        results.gaps.extend(b - a for a, b in zip(times, times[1:], strict=False))
        results.tokens += len(times)
    if outcome == "hung_up":
        results.closes[stream_id] = reader.closed_at
    elif outcome == "ok" and len(times) == tokens:
        results.completed += 1
    else:
        results.errors[outcome if outcome != "ok" else "missing_tokens"] += 1


async def client(args: argparse.Namespace, results: Results, number: int) -> None:
    await asyncio.sleep(args.ramp * number / args.clients)
    for index in range(args.probes):
        await one_stream(args, results, f"{args.run}-{number}-p{index}", args.probe_tokens)
    for index in range(args.hang_ups):
        await one_stream(args, results, f"{args.run}-{number}-h{index}", args.tokens, hang_up_after=3)
    for index in range(args.full):
        count = number * args.full + index
        hang_up = args.tokens // 2 if args.disconnect_every and count % args.disconnect_every == 0 else 0
        await one_stream(args, results, f"{args.run}-{number}-f{index}", args.tokens, hang_up)


def percentiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p99": None, "max": None, "n": 0}
    ordered = sorted(values)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return {"p50": pick(0.5), "p99": pick(0.99), "max": ordered[-1], "n": len(ordered)}


async def run(args: argparse.Namespace) -> dict[str, object]:
    results = Results()
    started = time.monotonic()
    cpu = time.process_time()
    await asyncio.gather(*(client(args, results, number) for number in range(args.clients)))
    return {
        "target": args.target,
        "clients": args.clients,
        "wall_s": time.monotonic() - started,
        "cpu_s": time.process_time() - cpu,
        "completed": results.completed,
        "tokens": results.tokens,
        "errors": dict(results.errors),
        "ttft": results.ttft,
        "ttft_hung_up": results.ttft_hung_up,
        "gap": percentiles(results.gaps),
        "closes": results.closes,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--target", choices=sorted(MARKERS), required=True)
    parser.add_argument("--clients", type=int, default=1)
    parser.add_argument("--full", type=int, default=1)
    parser.add_argument("--probes", type=int, default=0)
    parser.add_argument("--probe-tokens", type=int, default=5)
    parser.add_argument("--hang-ups", type=int, default=0)
    parser.add_argument("--disconnect-every", type=int, default=0)
    parser.add_argument("--tokens", type=int, default=100, help="tokens in a full answer")
    parser.add_argument("--ramp", type=float, default=0.0)
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds allowed per stream")
    parser.add_argument("--run", default="run", help="prefix of the stream ids")
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    print(json.dumps(asyncio.run(run(args))))


if __name__ == "__main__":
    main()
