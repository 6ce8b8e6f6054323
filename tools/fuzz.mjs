#!/usr/bin/env node
// Long-running fuzzer for the request parser (src/http1/parser.ts), with the oracles of tests/fuzz_lib.ts,
// driving the parser through tests/_parser_harness.ts like the tests do; with --target ws, for the
// WebSocket frame reader (src/ws/ws_reader.ts) with the oracles of tests/ws_fuzz_lib.ts.
//
//   npm run fuzz -- --seconds 60                 run for a minute with a random seed
//   npm run fuzz -- --seed 1234 --seconds 60     the same run again
//   npm run fuzz -- --seed 1234 --iteration 17   replay one iteration (what a failure prints)
//   npm run fuzz -- --input <hex>                check one input under every limit profile
//   npm run fuzz -- --differential --seconds 30  compare with node:http's parser on valid input (Node only)
//   npm run fuzz -- --target ws --seconds 60     the WebSocket reader (--seed, --iteration, --input as above)
//
// Other flags: --mutants N (mutants per generated input, default 2), --every-split N (also split
// inputs of up to N bytes in two at every position), --no-build (use dist/ as it is).
// Runs on Node; the non-differential modes also under `deno run -A` and `bun`.
// Exit status: 0 when every oracle held, 1 on a failure, 2 on bad usage or a broken build.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import process from "node:process";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const runtime = "Bun" in globalThis ? "bun" : "Deno" in globalThis ? "deno" : "node";

function usage(message) {
  console.error(`fuzz: ${message}\nusage: npm run fuzz -- [--target http|ws] [--seconds N] [--seed S] [--iteration I] [--input HEX] [--differential] [--mutants N] [--every-split N] [--no-build]`);
  process.exit(2);
}

const argv = process.argv.slice(2);
const opts = { seconds: 10, seed: undefined, iteration: undefined, input: undefined, differential: false, mutants: 2, everySplit: 0, build: true, target: "http" };
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  const num = (name) => {
    const v = argv[++i];
    if (v === undefined || !/^\d+$/.test(v)) usage(`${name} needs a non-negative integer, got ${JSON.stringify(v ?? "")}`);
    return Number(v);
  };
  if (a === "--seconds") opts.seconds = num(a);
  else if (a === "--seed") opts.seed = num(a) >>> 0;
  else if (a === "--iteration") opts.iteration = num(a);
  else if (a === "--mutants") opts.mutants = num(a);
  else if (a === "--every-split") opts.everySplit = num(a);
  else if (a === "--input") opts.input = argv[++i] ?? usage("--input needs hex bytes");
  else if (a === "--differential") opts.differential = true;
  else if (a === "--no-build") opts.build = false;
  else if (a === "--target") {
    opts.target = argv[++i] ?? "";
    if (opts.target !== "http" && opts.target !== "ws") usage(`--target is http (the request parser, the default) or ws (the WebSocket reader), got ${JSON.stringify(opts.target)}`);
  }
  else usage(`unknown argument ${JSON.stringify(a)}`);
}
if (opts.differential && opts.target === "ws") usage("--differential is for the request parser, not --target ws");
if (opts.differential && runtime !== "node") usage("--differential compares with node:http's own parser: run it with Node");

// ---- build ----------------------------------------------------------------------------------
const built = (name) => join(root, "dist", "tests", `${name}.js`);
const lib = built("fuzz_lib");
if (opts.build) {
  const tsc = join(root, "node_modules", ".bin", "tsc");
  const r = spawnSync(tsc, ["-p", "tsconfig.build.json"], { cwd: root, encoding: "utf8" });
  if (r.status !== 0) {
    process.stderr.write(r.stdout ?? "");
    process.stderr.write(r.stderr ?? "");
    if (!existsSync(lib)) {
      console.error("fuzz: the build failed and there is no dist/ to fall back to");
      process.exit(2);
    }
    console.error("fuzz: warning: the build failed (errors above); fuzzing the existing dist/");
  }
}
/** The oracles. */
const F = await import(pathToFileURL(lib).href);
/** The harness: how the tests drive the parser, limit profiles, byte formats. */
const H = await import(pathToFileURL(built("_parser_harness")).href);
/** The generator of valid requests. */
const G = await import(pathToFileURL(built("_parser_harness_generate")).href);

const seed = opts.seed ?? (Math.floor(Math.random() * 4294967296) >>> 0);
const seedFlag = `--seed ${seed}`;
/** How to run this fuzzer again on the same runtime. */
const self = runtime === "node" ? "npm run fuzz --" : runtime === "deno" ? "deno run -A tools/fuzz.mjs" : "bun tools/fuzz.mjs";
const log = (line) => console.log(line);

function failed(failure, iteration) {
  const repro = iteration === undefined
    ? `${self} --input ${H.toHex(failure.input)}`
    : `${self} ${seedFlag} --iteration ${iteration}${opts.differential ? " --differential" : ""}`;
  log("");
  log(`seed ${seed}${iteration === undefined ? "" : `, iteration ${iteration}`} (${runtime})`);
  log(F.formatFailure(failure, repro));
  process.exit(1);
}

// ---- --target ws: the WebSocket frame reader ---------------------------------------------------
if (opts.target === "ws") {
  const W = await import(pathToFileURL(built("ws_fuzz_lib")).href);
  const wsSelf = `${self} --target ws`;
  const wsFailed = (failure, iteration) => {
    const repro = iteration === undefined ? `${wsSelf} --input ${H.toHex(failure.input)}` : `${wsSelf} ${seedFlag} --iteration ${iteration}`;
    log("");
    log(`seed ${seed}${iteration === undefined ? "" : `, iteration ${iteration}`} (${runtime}, ws)`);
    log(W.formatWsFailure(failure, repro));
    process.exit(1);
  };
  if (opts.input !== undefined) {
    const input = H.fromHex(opts.input);
    for (const [name, limits] of Object.entries(W.WS_LIMIT_PROFILES)) {
      for (const allowRsv1 of [false, true]) {
        const f = W.checkWsInput(input, limits, new G.Prng(seed), { allowRsv1, everySplitUpTo: 4096 });
        const h = await import(pathToFileURL(built("_ws_harness")).href);
        const events = h.runReader(input, limits, "whole", { allowRsv1 }).events;
        log(`${name} limits${allowRsv1 ? ", RSV1 allowed" : ""}: ${events.join(", ") || "(no event)"}`);
        if (f) wsFailed(f, undefined);
      }
    }
    log("every oracle held");
    process.exit(0);
  }
  if (opts.iteration !== undefined) {
    log(`seed ${seed}, replaying iteration ${opts.iteration} (ws oracles a-f, ${runtime})`);
    const r = W.wsFuzzIteration(seed, opts.iteration, { mutants: opts.mutants, everySplitUpTo: opts.everySplit || 4096 });
    if (r.failure) wsFailed(r.failure, opts.iteration);
    log("every oracle held");
    process.exit(0);
  }
  log(`seed ${seed} (ws oracles a-f, ${runtime}, ${opts.seconds} s); reproduce with: ${wsSelf} ${seedFlag} --seconds ${opts.seconds}`);
  const started = Date.now();
  const deadline = started + opts.seconds * 1000;
  let executions = 0;
  let iterations = 0;
  let lastReport = started;
  const verdicts = new Map();
  const report = (final) => {
    const secs = (Date.now() - started) / 1000;
    const hist = [...verdicts.entries()].sort().map(([v, n]) => `${v}:${n}`).join(" ");
    log(`${final ? "done" : "..."} ${iterations} iterations, ${executions} executions in ${secs.toFixed(1)} s (${Math.round(executions / Math.max(secs, 0.001))}/s); verdicts ${hist}`);
  };
  for (let i = 0; Date.now() < deadline; i++) {
    const r = W.wsFuzzIteration(seed, i, { mutants: opts.mutants, everySplitUpTo: opts.everySplit || undefined });
    executions += r.executions;
    for (const v of r.verdicts) verdicts.set(v, (verdicts.get(v) ?? 0) + 1);
    iterations++;
    if (r.failure) wsFailed(r.failure, i);
    if (Date.now() - lastReport >= 10000) {
      lastReport = Date.now();
      report(false);
    }
  }
  report(true);
  log(`seed ${seed}: every oracle held`);
  process.exit(0);
}

// ---- one input --------------------------------------------------------------------------------
if (opts.input !== undefined) {
  const input = H.fromHex(opts.input);
  for (const [name, limits] of Object.entries(H.LIMIT_PROFILES)) {
    const f = F.checkInput(input, limits, new G.Prng(seed), { everySplitUpTo: 4096 });
    const events = H.runParser(input, limits, "whole").events;
    log(`${name} limits: ${events.map((e) => e.type === "error" ? `error ${e.status} (${e.detail})` : e.type).join(", ") || "(no event)"}`);
    if (f) failed(f, undefined);
  }
  log("every oracle held");
  process.exit(0);
}

// ---- differential mode: node:http's parser as a second opinion ---------------------------------
let differential;
if (opts.differential) differential = await startDifferential();

async function startDifferential() {
  const http = await import("node:http");
  const net = await import("node:net");
  /** What node:http saw, by client port. */
  const seen = new Map();
  const server = http.createServer({ maxHeaderSize: 1 << 20, keepAliveTimeout: 5000 }, (req, res) => {
    const record = seen.get(req.socket.remotePort) ?? { requests: [], error: null };
    seen.set(req.socket.remotePort, record);
    const entry = { method: req.method, url: req.url, rawHeaders: req.rawHeaders.slice(), body: [], rawTrailers: [] };
    record.requests.push(entry);
    req.on("data", (chunk) => entry.body.push(chunk));
    req.on("end", () => {
      entry.rawTrailers = req.rawTrailers.slice();
      res.setHeader("content-length", "1");
      res.end("k");
    });
  });
  server.on("clientError", (err, socket) => {
    const record = seen.get(socket.remotePort) ?? { requests: [], error: null };
    seen.set(socket.remotePort, record);
    record.error = `${err.code ?? ""} ${err.reason ?? err.message}`.trim();
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
    else socket.destroy();
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = server.address().port;

  /** Sends `bytes` on a fresh connection; resolves with what node:http parsed once it answered `count` requests or failed. */
  function exchange(bytes, count) {
    return new Promise((resolve) => {
      const socket = net.connect({ port, host: "127.0.0.1" });
      let received = "";
      let localPort = 0;
      const finish = () => {
        clearTimeout(timer);
        socket.destroy();
        const record = seen.get(localPort) ?? { requests: [], error: null };
        seen.delete(localPort);
        resolve(record);
      };
      const timer = setTimeout(finish, 3000);
      socket.on("connect", () => {
        localPort = socket.localPort;
        socket.write(bytes);
      });
      socket.on("data", (d) => {
        received += d.toString("latin1");
        const answered = received.split(/HTTP\/1\.[01] \d{3} /).length - 1;
        if (answered >= count || /HTTP\/1\.1 400 /.test(received)) setTimeout(finish, 5);
      });
      socket.on("close", () => setTimeout(finish, 5));
      socket.on("error", () => {});
    });
  }
  return { exchange, close: () => new Promise((resolve) => server.close(resolve)) };
}

const lower = (raw) => {
  const out = [];
  for (let i = 0; i < raw.length; i += 2) out.push(raw[i].toLowerCase(), raw[i + 1]);
  return out;
};

async function differentialIteration(i) {
  const rng = new G.Prng(G.mixSeed(seed, i));
  const pipeline = G.generatePipeline(rng, { differential: true, maxRequests: 3, maxBody: 2048 });
  const failure = F.checkInput(pipeline.bytes, pipeline.limits, rng, { expected: pipeline.expected, randomSplits: 1 });
  if (failure) return failure;
  const ours = [];
  let cur = null;
  for (const ev of H.runParser(pipeline.bytes, pipeline.limits, "whole").events) {
    if (ev.type === "head") ours.push(cur = { method: ev.head.method, url: ev.head.target, headers: ev.head.headers, body: "", trailers: [] });
    else if (ev.type === "body") cur.body += ev.data;
    else if (ev.type === "end") cur.trailers = ev.trailers;
  }
  const node = await differential.exchange(pipeline.bytes, pipeline.requests.length);
  const theirs = node.requests.map((r) => ({
    method: r.method,
    url: r.url,
    headers: lower(r.rawHeaders),
    body: Buffer.concat(r.body).toString("latin1"),
    trailers: lower(r.rawTrailers),
  }));
  const problem = (message) => ({ oracle: "differential", message, input: pipeline.bytes });
  if (node.error) return problem(`node:http rejected valid input that this parser accepts: ${node.error} (after ${theirs.length} requests)`);
  if (theirs.length !== ours.length) return problem(`node:http parsed ${theirs.length} requests, this parser ${ours.length}`);
  for (let k = 0; k < ours.length; k++) {
    for (const key of ["method", "url", "headers", "body", "trailers"]) {
      const a = JSON.stringify(ours[k][key]);
      const b = JSON.stringify(theirs[k][key]);
      if (a !== b) return problem(`request ${k + 1}: ${key} differs\n  ours:      ${a.slice(0, 600)}\n  node:http: ${b.slice(0, 600)}`);
    }
  }
  return null;
}

// ---- the run ----------------------------------------------------------------------------------
const mode = opts.differential ? "differential (node:http)" : "oracles a-f";
if (opts.iteration !== undefined) {
  log(`seed ${seed}, replaying iteration ${opts.iteration} (${mode}, ${runtime})`);
  const failure = opts.differential
    ? await differentialIteration(opts.iteration)
    : F.fuzzIteration(seed, opts.iteration, { mutants: opts.mutants, everySplitUpTo: opts.everySplit || 4096 }).failure;
  if (failure) failed(failure, opts.iteration);
  log("every oracle held");
  await differential?.close();
  process.exit(0);
}

log(`seed ${seed} (${mode}, ${runtime}, ${opts.seconds} s); reproduce with: ${self} ${seedFlag} --seconds ${opts.seconds}${opts.differential ? " --differential" : ""}`);
const started = Date.now();
const deadline = started + opts.seconds * 1000;
let executions = 0;
let iterations = 0;
const statuses = new Map();
let lastReport = started;
const report = (final) => {
  const secs = (Date.now() - started) / 1000;
  const hist = [...statuses.entries()].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s === 0 ? "ok" : s}:${n}`).join(" ");
  log(`${final ? "done" : "..."} ${iterations} iterations, ${executions} executions in ${secs.toFixed(1)} s (${Math.round(executions / Math.max(secs, 0.001))}/s)${hist ? `; verdicts ${hist}` : ""}`);
};
for (let i = 0; Date.now() < deadline; i++) {
  let failure;
  if (opts.differential) {
    failure = await differentialIteration(i);
    executions++;
    statuses.set(0, (statuses.get(0) ?? 0) + 1);
  } else {
    const r = F.fuzzIteration(seed, i, { mutants: opts.mutants, everySplitUpTo: opts.everySplit || undefined });
    failure = r.failure;
    executions += r.executions;
    for (const s of r.statuses) statuses.set(s, (statuses.get(s) ?? 0) + 1);
  }
  iterations++;
  if (failure) failed(failure, i);
  if (Date.now() - lastReport >= 10000) {
    lastReport = Date.now();
    report(false);
  }
}
report(true);
log(`seed ${seed}: every oracle held`);
await differential?.close();
process.exit(0);
