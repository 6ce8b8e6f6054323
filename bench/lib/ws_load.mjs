// The WebSocket load client of bench/ws_bench.mjs: a closed loop on N connections over node:net, each
// sending one binary message and waiting for its echo before sending the next. Written for speed, not
// generality (the `ws` library spends more CPU per message than some of the servers it would measure):
// the one client frame (masked, as RFC 6455 requires of clients) is built once and written again and
// again; replies are parsed in place by offsets (frame header bytes copied into a 14-byte scratch,
// payload bytes only counted), so a 64 KiB echo costs no copy in JavaScript. The first echo on each
// connection is checked byte for byte, every later one by its length; a server ping gets a pong.
//
// As a library: `await runLoad({ port, size, connections, warmup, duration, onMeasure })`.
// As a program (what ws_bench.mjs runs, pinned to the client core):
//   node bench/lib/ws_load.mjs --port P [--host 127.0.0.1] [--size 64] [--connections 100]
//                              [--warmup 1] [--duration 3] [--path /ws]
// prints "START" when the measured period begins, "END" when it ends, then "RESULT <json>".
import { createHash, randomBytes } from "node:crypto";
import * as net from "node:net";
import { fileURLToPath } from "node:url";

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/**
 * One client frame: FIN + `opcode` (binary by default), masked with a random key drawn once,
 * `payload` pre-masked, ready to be written again and again.
 *
 * @example
 * socket.write(clientFrame(Buffer.from([0x03, 0xe8]), 0x8)); // a close frame, code 1000
 */
export function clientFrame(payload, opcode = 0x2) {
  const n = payload.length;
  const ext = n < 126 ? 0 : n < 65536 ? 2 : 8;
  const frame = Buffer.alloc(2 + ext + 4 + n);
  frame[0] = 0x80 | opcode;
  frame[1] = 0x80 | (ext === 0 ? n : ext === 2 ? 126 : 127);
  if (ext === 2) frame.writeUInt16BE(n, 2);
  else if (ext === 8) frame.writeBigUInt64BE(BigInt(n), 2);
  const mask = randomBytes(4);
  mask.copy(frame, 2 + ext);
  const start = 2 + ext + 4;
  for (let i = 0; i < n; i++) frame[start + i] = payload[i] ^ mask[i & 3];
  return frame;
}

/** Opens one connection and completes the opening handshake; resolves with the socket and any bytes after the 101 head. */
function handshake(host, port, path) {
  return new Promise((resolve, reject) => {
    const key = randomBytes(16).toString("base64");
    const accept = createHash("sha1").update(key + GUID).digest("base64");
    const socket = net.connect({ host, port });
    socket.setNoDelay(true);
    let head = Buffer.alloc(0);
    const fail = (error) => { socket.destroy(); reject(error); };
    const timer = setTimeout(() => fail(new Error("no 101 within 10 s")), 10000);
    socket.once("error", (e) => { clearTimeout(timer); fail(e); });
    socket.once("connect", () => socket.write(`GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`));
    const onData = (chunk) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf("\r\n\r\n");
      if (end < 0) return;
      clearTimeout(timer);
      socket.off("data", onData);
      const text = head.subarray(0, end).toString("latin1");
      if (!/^HTTP\/1\.1 101 /.test(text)) return fail(new Error(`handshake answered ${JSON.stringify(text.split("\r\n")[0])}`));
      const got = /\r\nsec-websocket-accept:\s*(\S+)/i.exec(text)?.[1];
      if (got !== accept) return fail(new Error(`bad Sec-WebSocket-Accept ${got}`));
      socket.removeAllListeners("error");
      resolve({ socket, rest: head.subarray(end + 4) });
    };
    socket.on("data", onData);
  });
}

/** Latencies in ms, in a growing Float64Array. */
class Samples {
  constructor() { this.a = new Float64Array(1 << 16); this.n = 0; }
  push(x) {
    if (this.n === this.a.length) { const b = new Float64Array(this.a.length * 2); b.set(this.a); this.a = b; }
    this.a[this.n++] = x;
  }
  percentile(p) {
    if (this.n === 0) return NaN;
    const s = this.a.subarray(0, this.n).sort();
    return s[Math.min(this.n - 1, Math.floor((p / 100) * this.n))];
  }
}

/**
 * Runs the closed loop: `connections` sockets, each sending `size`-byte binary messages one at a
 * time for `warmup` then `duration` seconds. Resolves with { messages, seconds, rate, p50, p99,
 * errors, clientCpu } of the measured period (latency in ms; clientCpu: this process's CPU seconds
 * over the period divided by its length). `onMeasure(phase)` is called with "start" and "end".
 *
 * @example
 * const r = await runLoad({ port: 8080, size: 64, connections: 100, warmup: 1, duration: 3 });
 * console.log(`${Math.round(r.rate)} msg/s, p99 ${r.p99.toFixed(2)} ms`);
 */
export async function runLoad({ host = "127.0.0.1", port, path = "/ws", size = 64, connections = 100, warmup = 1, duration = 3, onMeasure = () => {} }) {
  const payload = Buffer.alloc(size);
  for (let i = 0; i < size; i++) payload[i] = (i * 31 + 7) & 0xff;
  const frame = clientFrame(payload);
  const samples = new Samples();
  const errors = [];
  let phase = "warmup";
  let counted = 0;
  let inFlight = 0;
  let drained = () => {};

  const conns = await Promise.all(Array.from({ length: connections }, () => handshake(host, port, path)));
  const all = conns.map(({ socket, rest }) => {
    const c = { socket, h: Buffer.alloc(14), hl: 0, left: 0, opcode: 0, fin: true, msgLen: 0, ctrl: [], check: [], verify: true, t0: 0, dead: false };
    const send = () => {
      c.t0 = performance.now();
      c.msgLen = 0;
      inFlight++;
      socket.write(frame);
    };
    const endFrame = () => {
      const op = c.opcode;
      if (op >= 0x8) {
        const body = Buffer.concat(c.ctrl);
        c.ctrl = [];
        if (op === 0x9) socket.write(clientFrame(body, 0xa)); // ping -> pong
        else if (op === 0x8 && phase !== "stop") { errors.push(`server closed: ${body.length >= 2 ? body.readUInt16BE(0) : "no code"} ${body.subarray(2).toString()}`); c.dead = true; }
        return;
      }
      if (!c.fin) return;
      inFlight--;
      const latency = performance.now() - c.t0;
      if (c.verify) {
        c.verify = false;
        const got = Buffer.concat(c.check);
        c.check = [];
        if (!got.equals(payload)) { errors.push(`first echo differs (${got.length} bytes back, ${size} sent)`); c.dead = true; return; }
      } else if (c.msgLen !== size) {
        errors.push(`echo of ${c.msgLen} bytes, ${size} sent`);
        c.dead = true;
        return;
      }
      if (phase === "measure") { counted++; samples.push(latency); }
      if (phase !== "stop") send();
      else if (inFlight === 0) drained();
    };
    const onData = (chunk) => {
      const n = chunk.length;
      let i = 0;
      while (i < n) {
        if (c.left > 0) {
          const take = Math.min(c.left, n - i);
          if (c.opcode >= 0x8) c.ctrl.push(Buffer.from(chunk.subarray(i, i + take)));
          else { c.msgLen += take; if (c.verify) c.check.push(Buffer.from(chunk.subarray(i, i + take))); }
          c.left -= take;
          i += take;
          if (c.left === 0) endFrame();
          continue;
        }
        c.h[c.hl++] = chunk[i++];
        if (c.hl < 2) continue;
        const len7 = c.h[1] & 0x7f;
        const need = 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + (c.h[1] & 0x80 ? 4 : 0);
        if (c.hl < need) continue;
        c.hl = 0;
        if (c.h[1] & 0x80) { errors.push("server sent a masked frame"); c.dead = true; socket.destroy(); return; }
        const op = c.h[0] & 0x0f;
        c.opcode = op; // 0 (continuation) counts as data like 1 and 2
        if (op < 0x8) c.fin = (c.h[0] & 0x80) !== 0;
        c.left = len7 === 126 ? c.h.readUInt16BE(2) : len7 === 127 ? Number(c.h.readBigUInt64BE(2)) : len7;
        if (c.left === 0) endFrame();
      }
    };
    socket.on("data", onData);
    socket.on("error", (e) => { if (phase !== "stop") errors.push(`socket: ${e.message}`); c.dead = true; });
    socket.on("close", () => { if (phase !== "stop" && !c.dead) errors.push("server closed the connection"); c.dead = true; if (phase === "stop" && inFlight > 0) { inFlight--; if (inFlight === 0) drained(); } });
    if (rest.length) onData(rest);
    return { c, send };
  });

  for (const { send } of all) send();
  await new Promise((r) => setTimeout(r, warmup * 1000));
  phase = "measure";
  onMeasure("start");
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, duration * 1000));
  phase = "stop";
  const seconds = (performance.now() - t0) / 1000;
  const cpu1 = process.cpuUsage(cpu0);
  onMeasure("end");
  // Let the messages in flight come back (at most 2 s), then close each connection with a close frame.
  await Promise.race([new Promise((r) => { drained = r; if (inFlight <= 0) r(); }), new Promise((r) => setTimeout(r, 2000))]);
  const close = clientFrame(Buffer.from([0x03, 0xe8]), 0x8);
  for (const { c } of all) if (!c.socket.destroyed) c.socket.end(close);
  await new Promise((r) => setTimeout(r, 100));
  for (const { c } of all) c.socket.destroy();
  return {
    messages: counted,
    seconds,
    rate: counted / seconds,
    p50: samples.percentile(50),
    p99: samples.percentile(99),
    errors,
    clientCpu: (cpu1.user + cpu1.system) / 1e6 / seconds,
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const opt = (name, fallback) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : fallback; };
  const result = await runLoad({
    host: opt("host", "127.0.0.1"),
    port: Number(opt("port")),
    path: opt("path", "/ws"),
    size: Number(opt("size", 64)),
    connections: Number(opt("connections", 100)),
    warmup: Number(opt("warmup", 1)),
    duration: Number(opt("duration", 3)),
    onMeasure: (phase) => console.log(phase.toUpperCase()),
  }).catch((error) => ({ fatal: error.message }));
  console.log(`RESULT ${JSON.stringify(result)}`);
  process.exit(result.fatal ? 1 : 0);
}
