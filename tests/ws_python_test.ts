/**
 * Our WebSocket server against a client nobody here wrote: Python's `websockets` library (Debian
 * python3-websockets; bookworm has 10.4, so tests/fixtures/ws_python_client.py uses its asyncio
 * client there and the sync one from 11 on). The script connects to our server (in-process,
 * startServer), asks for a subprotocol, sends text (non-ASCII, empty, fragmented) and binary (up to
 * 1 MiB), checks each echo, pings, and closes with 1000 and a reason; it prints JSON that this test
 * asserts, together with what our server saw.
 *
 * Skips (with a message) where no Python can import websockets.
 * WS_PYTHON picks the interpreter (default /usr/bin/python3, where Debian's package lives, else python3).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { spawnChild, stopChild, within } from "./_child.ts";
import { until } from "./_helpers.ts";
import { repoRoot } from "./_root.ts";
import { type EchoServer, reference, startEcho } from "./_ws_echo.ts";

const PYTHON = process.env.WS_PYTHON ?? (existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3");
const probe = spawnSync(PYTHON, ["-c", "import websockets; print(websockets.__version__)"], { encoding: "utf8" });
const PY_SKIP = probe.status === 0
  ? false
  : `${PYTHON} cannot import websockets (Debian package python3-websockets; WS_PYTHON picks another Python): Python WebSocket client test skipped`;
const SCRIPT = join(repoRoot(), "tests", "fixtures", "ws_python_client.py");

/** What the script prints for one echoed message. */
interface Echoed {
  len: number;
  ok: boolean;
  type: string;
  got_len: number | null;
}

/** The script's JSON line. */
interface PythonResult {
  version: string;
  api: "sync" | "asyncio";
  error?: string;
  subprotocol: string | null;
  /** Extensions in use (websockets offers permessage-deflate by default). */
  extensions: string[];
  text: Echoed[];
  fragmented: Echoed;
  binary: Echoed[];
  ping: boolean;
  close_code: number;
  close_reason: string;
}

for (const deflate of [false, true]) describe(`Python websockets client against our server${deflate ? ", wsPerMessageDeflate on" : ""}`, () => {
  const skip = PY_SKIP;
  let server: EchoServer;
  let result: PythonResult;

  before(async () => {
    if (skip) return;
    server = await startEcho(undefined, { wsMaxMessageSize: 4 * 1024 * 1024, wsPerMessageDeflate: deflate });
    const c = spawnChild(PYTHON, [SCRIPT, `ws://127.0.0.1:${server.port}/ws`], { cwd: repoRoot() });
    try {
      const { code } = await within(c.exit, 30000, () => `waiting for the Python client:\n${c.output()}`);
      assert.equal(code, 0, `the Python client exited with ${code}:\n${c.output()}`);
      const line = c.output().trim().split("\n").pop() ?? "";
      result = JSON.parse(line) as PythonResult;
    } finally {
      await stopChild(c);
    }
    assert.equal(result.error, undefined, `the Python client failed: ${result.error}`);
  });

  after(async () => {
    await server?.close();
  });

  it(`negotiates the subprotocol it asked for (websockets ${probe.stdout.trim()})`, { skip }, () => {
    assert.equal(result.subprotocol, "chat");
  });

  it(deflate ? "agrees on permessage-deflate, which websockets offers" : "leaves websockets' permessage-deflate offer unanswered", { skip }, () => {
    assert.deepEqual(result.extensions, deflate ? ["permessage-deflate"] : []);
  });

  it("echoes text: ASCII, non-ASCII (2-, 3- and 4-byte UTF-8) and empty", { skip }, () => {
    assert.deepEqual(result.text.map((t) => [t.len, t.ok, t.type]), [[5, true, "str"], [19, true, "str"], [0, true, "str"]]);
  });

  it("reassembles a fragmented text message and echoes it whole", { skip }, () => {
    assert.deepEqual([result.fragmented.ok, result.fragmented.type, result.fragmented.got_len], [true, "str", 12]);
  });

  it("echoes binary byte for byte: 256 B, 64 KiB and 1 MiB", { skip }, () => {
    assert.deepEqual(result.binary.map((b) => [b.len, b.ok, b.type]), [[256, true, "bytes"], [65536, true, "bytes"], [1 << 20, true, "bytes"]]);
  });

  it("answers the client's ping with a pong", { skip }, () => {
    assert.equal(result.ping, true);
  });

  it("completes the close handshake: 1000 and the reason, seen by both ends", { skip }, async () => {
    // The server's close frame echoes the code (RFC 6455 5.5.1); its reason is the server's choice
    // (ours sends none back, Deno's and ws's servers echo the client's).
    assert.equal(result.close_code, 1000);
    assert.ok(["", "python done ✓"].includes(result.close_reason), `reason in the server's close frame: ${JSON.stringify(result.close_reason)}`);
    await until(() => server.log.closes.length === 1, "our server's close event");
    assert.deepEqual(server.log.closes[0], { code: 1000, reason: "python done ✓", wasClean: true });
    // Deno's own server socket says "" for protocol even after selecting one (the reference run).
    if (!reference) assert.deepEqual(server.log.protocols, ["chat"], "socket.protocol on our side");
    assert.deepEqual(server.log.errors, []);
  });
});
