#!/usr/bin/env node
// `npm run bench`: measures our serve() against each runtime's native HTTP server with wrk, on
// 127.0.0.1 only, plus two extra comparisons: ours (on each runtime) against Python's Waitress,
// and ours serving a Hono app against @hono/node-server on Node, and a "raw socket ceiling" per
// runtime (a responder on the bare socket API that parses nothing). For every workload and round it
// starts each server (bench/apps/*.mjs, bench/apps/python_waitress.py) pinned to
// CPU 0, waits for its "READY <port>" line, checks one response, runs a warm-up and a measured
// `wrk` pinned to CPU 1, then stops the server by its pid. Prints a Markdown report and writes
// bench/results/LATEST.md and bench/results/LATEST.svg. See bench/README.md.
//
// Usage: node bench/run.mjs [--duration 5] [--rounds 3] [--warmup 2] [--connections 50] [--quiet-wait 15]
//                           [--only node,deno,bun,python,hono,raw] [--workload hello|pipelined|close|echo|big|all]
//                           [--python /usr/bin/python3]
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, release, tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureBuild } from "./build.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const apps = join(root, "bench", "apps");
const resultsDir = join(root, "bench", "results");
const bin = (name) => join(root, "node_modules", ".bin", name);

const RUNTIMES = ["node", "deno", "bun"];
/**
 * What --only selects: the three runtimes (native vs ours), the two extra comparisons, and the
 * raw socket ceilings (one per runtime).
 */
const GROUPS = [...RUNTIMES, "python", "hono", "raw"];
/** The workloads the raw socket responders answer (GET without a body); they skip the others. */
const RAW_WORKLOADS = ["hello", "pipelined", "close"];
/** Debian's python3-waitress is installed for the system Python, not for a pyenv/venv `python3`. */
const DEFAULT_PYTHON = "/usr/bin/python3";

/** Each workload: what wrk sends, what one correct response looks like. */
const WORKLOADS = {
  hello: {
    title: "GET / keep-alive, \"Hello World\" (11 bytes)",
    check: { bytes: 11 },
  },
  pipelined: {
    title: "GET / keep-alive, 16 requests pipelined per write (wrk Lua script)",
    lua: `init = function(args)
  local r = {}
  for i = 1, 16 do r[i] = wrk.format(nil, "/") end
  req = table.concat(r)
end
request = function() return req end
`,
    check: { bytes: 11 },
  },
  close: {
    title: "GET / with `Connection: close` (a new TCP connection per request)",
    wrkArgs: ["-H", "Connection: close"],
    check: { bytes: 11 },
  },
  echo: {
    title: "POST 64 KiB body, echoed back (keep-alive)",
    lua: `wrk.method = "POST"
wrk.body = string.rep("x", 65536)
wrk.headers["Content-Type"] = "application/octet-stream"
`,
    check: { bytes: 65536, post: 65536 },
  },
  big: {
    title: "GET / keep-alive, 1 MiB response body",
    check: { bytes: 1024 * 1024 },
  },
};

/**
 * The servers. `group` is what --only selects: a runtime (its native server and ours), `python`
 * (Python's Waitress), `hono` (one Hono app on @hono/node-server and on ours, on Node) or `raw`
 * (a minimal responder on each runtime's socket API: a ceiling, not a competitor).
 * `ratioTo` is the key of the server a row is divided by in the tables and the chart.
 * `workloads`, when set, limits a server to those workloads.
 */
const SERVERS = [
  { key: "node-native", group: "node", runtime: "node", kind: "native", label: "node:http", script: "node_http.mjs", color: "#9bbf8f" },
  { key: "node-ours", group: "node", runtime: "node", kind: "ours", label: "ours (dist/)", script: "ours_node.mjs", ratioTo: "node-native", color: "#3f7f2f" },
  { key: "node-raw", group: "raw", runtime: "node", kind: "raw", label: "raw node:net", script: "raw_node.mjs", workloads: RAW_WORKLOADS, color: "#c9c9c9" },
  { key: "deno-native", group: "deno", runtime: "deno", kind: "native", label: "Deno.serve", script: "deno_serve.mjs", color: "#9fb4d8" },
  { key: "deno-ours", group: "deno", runtime: "deno", kind: "ours", label: "ours (mod.ts)", script: "ours_deno.mjs", ratioTo: "deno-native", color: "#2f5597" },
  { key: "deno-raw", group: "raw", runtime: "deno", kind: "raw", label: "raw Deno.listen", script: "raw_deno.mjs", workloads: RAW_WORKLOADS, color: "#c9c9c9" },
  { key: "bun-native", group: "bun", runtime: "bun", kind: "native", label: "Bun.serve", script: "bun_serve.mjs", color: "#e6c58f" },
  { key: "bun-ours", group: "bun", runtime: "bun", kind: "ours", label: "ours (mod.ts)", script: "ours_bun.mjs", ratioTo: "bun-native", color: "#b07a1f" },
  { key: "bun-raw", group: "raw", runtime: "bun", kind: "raw", label: "raw Bun.listen", script: "raw_bun.mjs", workloads: RAW_WORKLOADS, color: "#c9c9c9" },
  { key: "python-waitress", group: "python", runtime: "python", kind: "reference", label: "Waitress (threads=4)", script: "python_waitress.py", color: "#b9a3d0" },
  { key: "node-hono", group: "hono", runtime: "node", kind: "reference", label: "@hono/node-server + Hono", script: "hono_node_server.mjs", color: "#e0a3a3" },
  { key: "node-ours-hono", group: "hono", runtime: "node", kind: "ours", label: "ours (dist/) + Hono", script: "ours_hono_node.mjs", ratioTo: "node-hono", color: "#a33a3a" },
];
const SERVER = Object.fromEntries(SERVERS.map((s) => [s.key, s]));

/**
 * The extra comparisons' targets (from the project's performance issue): ours on every runtime at
 * least 8× Python's Waitress on hello (keep-alive), and ours + Hono at least 1.5× @hono/node-server
 * on Node on every workload. Other workloads against Waitress are reported without a target.
 */
const TARGETS = {
  python: { ratio: 8, workloads: ["hello"] },
  hono: { ratio: 1.5, workloads: Object.keys(WORKLOADS) },
};

const selected = (opts) => SERVERS.filter((s) => opts.only.includes(s.group));
/** The selected servers that run a workload (the raw responders only answer RAW_WORKLOADS). */
const serversFor = (opts, workload) => selected(opts).filter((s) => !s.workloads || s.workloads.includes(workload));
/** Whether a runtime's binary is needed: one of its servers is selected. */
const usesRuntime = (opts, runtime) => selected(opts).some((s) => s.runtime === runtime);
const runtimesOf = (opts) => RUNTIMES.filter((r) => opts.only.includes(r));

// ---------------------------------------------------------------------------------------------
// Options

function usage(code) {
  console.log(`Usage: npm run bench -- [options]

  --duration N      seconds per measured wrk run (default 5)
  --rounds N        measured runs per server; the report shows the median (default 3)
  --warmup N        seconds of warm-up before each measured run (default 2; 0 to skip)
  --connections N   wrk connections (default 50)
  --quiet-wait N    before each run, wait up to N seconds for other processes to go idle (default 15; 0 = don't)
  --only LIST       comma-separated: node,deno,bun (each runtime's native server and ours),
                    python (Python's Waitress, compared with ours on each runtime measured),
                    hono (a Hono app on @hono/node-server and on ours, Node),
                    raw (a responder on each runtime's bare socket API that parses nothing:
                    node:net, Deno.listen, Bun.listen; only for hello, pipelined, close);
                    default all six
  --workload LIST   comma-separated: ${Object.keys(WORKLOADS).join(", ")}, or all (default hello)
  --python PATH     the Python that has waitress (default ${DEFAULT_PYTHON}; Debian's python3-waitress)
  --help            this text`);
  process.exit(code);
}

function parseOptions(argv) {
  const opts = { duration: 5, rounds: 3, warmup: 2, connections: 50, quiet: 15, only: [...GROUPS], workloads: ["hello"], python: DEFAULT_PYTHON, skipped: [] };
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    let value;
    const eq = arg.indexOf("=");
    if (arg.startsWith("--") && eq > 0) [arg, value] = [arg.slice(0, eq), arg.slice(eq + 1)];
    const next = () => {
      if (value !== undefined) return value;
      if (i + 1 >= argv.length) fail(`${arg} needs a value`);
      return argv[++i];
    };
    const int = (min) => {
      const raw = next();
      const n = Number(raw);
      if (!Number.isInteger(n) || n < min) fail(`${arg} ${JSON.stringify(raw)}: give an integer >= ${min}`);
      return n;
    };
    switch (arg) {
      case "--duration": opts.duration = int(1); break;
      case "--rounds": opts.rounds = int(1); break;
      case "--warmup": opts.warmup = int(0); break;
      case "--connections": opts.connections = int(1); break;
      case "--quiet-wait": opts.quiet = int(0); break;
      case "--only": {
        const list = next().split(",").map((s) => s.trim()).filter(Boolean);
        const bad = list.filter((r) => !GROUPS.includes(r));
        if (bad.length || !list.length) fail(`--only ${JSON.stringify(list.join(","))}: use a comma-separated subset of ${GROUPS.join(",")}`);
        opts.only = GROUPS.filter((r) => list.includes(r));
        break;
      }
      case "--python": opts.python = next(); break;
      case "--workload": case "--workloads": {
        const raw = next();
        const list = raw === "all" ? Object.keys(WORKLOADS) : raw.split(",").map((s) => s.trim()).filter(Boolean);
        const bad = list.filter((w) => !(w in WORKLOADS));
        if (bad.length || !list.length) fail(`--workload ${JSON.stringify(raw)}: use ${Object.keys(WORKLOADS).join(", ")} or all`);
        opts.workloads = Object.keys(WORKLOADS).filter((w) => list.includes(w));
        break;
      }
      case "--help": case "-h": usage(0); break;
      default: fail(`Unknown option ${JSON.stringify(argv[i])}`);
    }
  }
  return opts;
}

function fail(message) {
  console.error(`bench: ${message} (see --help)`);
  process.exit(2);
}

// ---------------------------------------------------------------------------------------------
// Environment: wrk, taskset, build, versions, machine

function ensureWrk() {
  if (spawnSync("wrk", ["-v"], { encoding: "utf8" }).error === undefined) return;
  if (typeof process.getuid === "function" && process.getuid() === 0) {
    console.log("wrk not found: installing it with apt-get (running as root)");
    let r = spawnSync("apt-get", ["install", "-y", "wrk"], { stdio: "inherit" });
    if (r.status !== 0) {
      spawnSync("apt-get", ["update"], { stdio: "inherit" });
      r = spawnSync("apt-get", ["install", "-y", "wrk"], { stdio: "inherit" });
    }
    if (r.status === 0 && spawnSync("wrk", ["-v"]).error === undefined) return;
  }
  console.error(`bench: the load generator wrk is not installed.
Install it, then run again:
  Debian/Ubuntu:  sudo apt-get install -y wrk
  Fedora:         sudo dnf install wrk
  macOS:          brew install wrk`);
  process.exit(1);
}

/** `python -c` that prints "<python version> <waitress version>", or fails if waitress is missing. */
const WAITRESS_PROBE = "import sys, waitress, importlib.metadata as m; print(sys.version.split()[0], m.version('waitress'))";

/**
 * Python's Waitress for --only python: returns { python, waitress } versions, or undefined after
 * saying why it is skipped (it is installed with apt-get when missing and we run as root, as wrk).
 */
function ensureWaitress(opts) {
  const probe = () => {
    const r = spawnSync(opts.python, ["-c", WAITRESS_PROBE], { encoding: "utf8" });
    if (r.status !== 0) return undefined;
    const [python, waitress] = r.stdout.trim().split(/\s+/);
    return { python, waitress };
  };
  let found = probe();
  if (found) return found;
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  if (isRoot && opts.python === DEFAULT_PYTHON) {
    console.log(`waitress is not importable by ${opts.python}: installing python3-waitress with apt-get (running as root)`);
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    const update = spawnSync("apt-get", ["update"], { stdio: "inherit", env });
    if (update.status === 0) spawnSync("apt-get", ["install", "-y", "python3-waitress"], { stdio: "inherit", env });
    found = probe();
    if (found) return found;
  }
  const how = opts.python === DEFAULT_PYTHON
    ? "install it (Debian/Ubuntu: `sudo apt-get install -y python3-waitress`) and run again"
    : `install waitress for that Python (\`${opts.python} -m pip install waitress\`) or pass --python with one that has it`;
  const note = `Python Waitress skipped: \`${opts.python}\` cannot import waitress; ${how}, or leave python out of --only.`;
  console.error(`bench: ${note}`);
  opts.skipped.push(note);
  opts.waitressSkipped = true;
  return undefined;
}

/** CPU pinning: the server on CPU 0, wrk on CPU 1, when taskset exists and there are 2+ CPUs. */
function pinning() {
  const count = cpus().length;
  const hasTaskset = spawnSync("taskset", ["-V"]).error === undefined;
  if (hasTaskset && count >= 2) return { server: ["taskset", "-c", "0"], wrk: ["taskset", "-c", "1"], note: "server `taskset -c 0`, wrk `taskset -c 1`" };
  return { server: [], wrk: [], note: hasTaskset ? "not pinned (only one CPU)" : "not pinned (taskset not found)" };
}

function firstLine(cmd, argv) {
  const r = spawnSync(cmd, argv, { encoding: "utf8" });
  if (r.error) return "not found";
  return `${r.stdout ?? ""}${r.stderr ?? ""}`.trim().split("\n")[0];
}

function environment(opts, pin) {
  let model = "unknown";
  try {
    const info = readFileSync("/proc/cpuinfo", "utf8");
    model = /^model name\s*:\s*(.+)$/m.exec(info)?.[1]?.trim() ?? model;
  } catch { /* not Linux */ }
  const wrkVersion = firstLine("wrk", ["-v"]).replace(/\s*Copyright.*$/, "").replace(/^wrk\s+/, "");
  const versions = { node: process.version, wrk: wrkVersion };
  if (usesRuntime(opts, "deno")) versions.deno = firstLine(bin("deno"), ["--version"]);
  if (usesRuntime(opts, "bun")) versions.bun = firstLine(bin("bun"), ["--version"]);
  if (opts.waitress) {
    versions.python = opts.waitress.python;
    versions.waitress = opts.waitress.waitress;
  }
  if (opts.only.includes("hono")) {
    const pkg = (name) => {
      try { return JSON.parse(readFileSync(join(root, "node_modules", name, "package.json"), "utf8")).version; } catch { return "not found"; }
    };
    versions.hono = pkg("hono");
    versions["@hono/node-server"] = pkg("@hono/node-server");
  }
  const args = process.argv.slice(2);
  const quoted = args.map((a) => (/^[\w./,=:-]+$/.test(a) ? a : JSON.stringify(a))).join(" ");
  const command = process.env.npm_lifecycle_event === "bench"
    ? `npm run bench${args.length ? ` -- ${quoted}` : ""}`
    : `node ${relative(process.cwd(), fileURLToPath(import.meta.url)) || "bench/run.mjs"}${args.length ? ` ${quoted}` : ""}`;
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    cores: cpus().length,
    model,
    kernel: `${process.platform} ${release()}`,
    load: loadavg()[0],
    versions,
    command,
    pin: pin.note,
  };
}

// ---------------------------------------------------------------------------------------------
// Running servers and wrk

/** Pids of the children running now (a server, wrk), stopped if the harness is interrupted. */
const children = new Set();
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    for (const pid of children) {
      try { process.kill(pid, "SIGKILL"); } catch { /* already gone */ }
    }
    console.error(`\nbench: interrupted by ${signal}; stopped ${children.size} child process${children.size === 1 ? "" : "es"}`);
    process.exit(signal === "SIGINT" ? 130 : 143);
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const CLK_TCK = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout?.trim()) || 100;

/** utime + stime of a process (all its threads), in seconds; undefined off Linux. */
function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK; // fields 14 and 15 of proc(5)
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds of every other user-space process (self + reaped children, so a test runner's
 * finished children count too), by pid; undefined off Linux. Kernel threads are left out.
 */
function otherProcesses(exclude) {
  const times = new Map();
  let pids;
  try {
    pids = readdirSync("/proc").filter((name) => /^\d+$/.test(name));
  } catch {
    return undefined;
  }
  for (const pid of pids) {
    if (exclude.includes(Number(pid))) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (pid === "2" || f[1] === "2") continue; // kthreadd and kernel threads
      times.set(pid, (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / CLK_TCK);
    } catch { /* exited meanwhile */ }
  }
  return times;
}

/** CPU seconds other processes used between two snapshots (new processes count in full). */
function otherDelta(before, after) {
  if (!before || !after) return NaN;
  let sum = 0;
  for (const [pid, t] of after) sum += Math.max(0, t - (before.get(pid) ?? 0));
  return sum;
}

/** Other processes' CPU over a run, as a share of one core, capped at the machine's cores. */
function otherShare(before, after, elapsed) {
  return Math.min(cpus().length, otherDelta(before, after) / elapsed);
}

/** Busy time of all CPUs (user + nice + system), in seconds; undefined off Linux. */
function allBusySeconds() {
  try {
    const [user, nice, system] = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1, 4).map(Number);
    return (user + nice + system) / CLK_TCK;
  } catch {
    return undefined;
  }
}

/**
 * Waits (at most `limit` seconds) until the machine is quiet: other processes using less than a
 * fifth of a core over half a second. Resolves with the seconds waited, or -1 if it stayed busy.
 */
async function waitQuiet(limit) {
  const started = performance.now();
  while (true) {
    const before = allBusySeconds();
    if (before === undefined) return 0;
    await sleep(500);
    if (allBusySeconds() - before < 0.1) return (performance.now() - started) / 1000 - 0.5;
    if ((performance.now() - started) / 1000 >= limit) return -1;
  }
}

function serverCommand(server, workload, opts) {
  const script = join(apps, server.script);
  const args = ["--port", "0", "--workload", workload];
  switch (server.runtime) {
    case "node": return [process.execPath, [script, ...args]];
    case "deno": return [bin("deno"), ["run", "--quiet", "--no-lock", "--allow-net=127.0.0.1", script, ...args]];
    case "bun": return [bin("bun"), [script, ...args]];
    case "python": return [opts.python, ["-u", script, ...args]];
  }
  throw new Error(`no runtime ${server.runtime}`);
}

/** Starts a server as a child process and resolves once it printed "READY <port>" (or rejects). */
function startServer(server, workload, pin, opts) {
  const [cmd, args] = serverCommand(server, workload, opts);
  const argv = [...pin.server, cmd, ...args];
  // taskset execs the runtime, so child.pid is the server's own pid.
  const child = spawn(argv[0], argv.slice(1), { cwd: root, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
  const state = { child, pid: child.pid, stderr: "", partial: "", logLines: 0, messages: undefined, exit: undefined };
  if (child.pid !== undefined) children.add(child.pid);
  state.exited = new Promise((resolve) => child.on("exit", (code, signal) => {
    children.delete(child.pid);
    state.exit = signal ? `signal ${signal}` : `exit code ${code}`;
    resolve();
  }));
  // Keep draining both pipes for the whole run so a chatty server never blocks on a full pipe.
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (text) => {
    state.stderr = (state.stderr + text).slice(-4000);
    const lines = (state.partial + text).split("\n");
    state.partial = lines.pop();
    state.logLines += lines.length;
    if (state.messages) for (const line of lines) countMessage(state.messages, line);
  });
  child.stdout.setEncoding("utf8");
  let out = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`no "READY <port>" line within 20 s${state.stderr ? `; stderr: ${state.stderr.trim()}` : ""}`));
    }, 20_000);
    child.stdout.on("data", (text) => {
      if (state.port !== undefined) return;
      out += text;
      const m = /^READY (\d+)$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        state.port = Number(m[1]);
        resolve(state);
      }
    });
    child.on("error", (error) => { clearTimeout(timer); reject(error); });
    state.exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`exited before READY (${state.exit})${state.stderr ? `; stderr: ${state.stderr.trim()}` : ""}`));
    });
  });
}

/**
 * Counts a server's stderr line by kind: lines that differ only in numbers (ports, addresses,
 * counts) are one kind, shown by its first instance.
 */
function countMessage(messages, line) {
  const text = line.trim();
  if (!text) return;
  const key = text.replace(/\d+/g, "#");
  const entry = messages.get(key) ?? (messages.size < 8 ? { text, count: 0 } : messages.get("(other)") ?? { text: "(other lines)", count: 0 });
  entry.count++;
  messages.set(messages.has(key) || messages.size < 8 ? key : "(other)", entry);
}

/** SIGTERM by pid, then SIGKILL after 3 s. */
async function stopServer(state) {
  if (state.exit !== undefined) return;
  try { process.kill(state.pid, "SIGTERM"); } catch { /* already gone */ }
  const timedOut = await Promise.race([state.exited.then(() => false), sleep(3000).then(() => true)]);
  if (timedOut && state.exit === undefined) {
    try { process.kill(state.pid, "SIGKILL"); } catch { /* already gone */ }
    await Promise.race([state.exited, sleep(2000)]);
  }
}

/** One request with Node's fetch: the server answers 200 with the expected body length. */
async function checkResponse(port, check) {
  const init = check.post ? { method: "POST", body: new Uint8Array(check.post).fill(0x78) } : {};
  const response = await fetch(`http://127.0.0.1:${port}/`, { ...init, signal: AbortSignal.timeout(5000) });
  const body = new Uint8Array(await response.arrayBuffer());
  if (response.status !== 200) throw new Error(`check request answered ${response.status}`);
  if (body.length !== check.bytes) throw new Error(`check request got ${body.length} body bytes, expected ${check.bytes}`);
}

/** Runs wrk; resolves with its output. Killed by pid if it overruns its duration by 30 s. */
function runWrk(port, seconds, opts, workload, scripts, pin) {
  const args = ["-t1", `-c${opts.connections}`, `-d${seconds}s`, "--latency"];
  if (WORKLOADS[workload].wrkArgs) args.push(...WORKLOADS[workload].wrkArgs);
  if (scripts[workload]) args.push("-s", scripts[workload]);
  args.push(`http://127.0.0.1:${port}/`);
  const argv = [...pin.wrk, "wrk", ...args];
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
    if (child.pid !== undefined) children.add(child.pid);
    child.on("exit", () => children.delete(child.pid));
    let out = "";
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stdout.on("data", (t) => { out += t; });
    child.stderr.on("data", (t) => { out += t; });
    const timer = setTimeout(() => { try { process.kill(child.pid, "SIGKILL"); } catch { /* gone */ } }, (seconds + 30) * 1000);
    // wrk's own CPU time, sampled while it runs (its /proc entry is gone once it exits): a client
    // near 100% of its core means the client, not the server, set the pace.
    const started = performance.now();
    let clientCpu = NaN;
    const sampler = setInterval(() => {
      const cpu = cpuSeconds(child.pid);
      if (cpu !== undefined) clientCpu = cpu / ((performance.now() - started) / 1000);
    }, 100);
    const done = (result) => { clearTimeout(timer); clearInterval(sampler); resolve({ ...result, pid: child.pid, clientCpu }); };
    child.on("close", (code) => done({ code, out }));
    child.on("error", (error) => done({ code: -1, out: String(error) }));
  });
}

const UNIT = { us: 1e-3, ms: 1, s: 1000 };
const toMs = (value, unit) => Number(value) * (UNIT[unit] ?? NaN);

/** Requests/sec, latency p50/p99 (ms), request count, error counts from wrk's report. */
function parseWrk(out) {
  const rps = Number(/^Requests\/sec:\s+([\d.]+)/m.exec(out)?.[1] ?? NaN);
  const p = (q) => {
    const m = new RegExp(`^\\s+${q}%\\s+([\\d.]+)(us|ms|s)\\s*$`, "m").exec(out);
    // wrk prints 0.00us for percentiles it has no sample for (pipelining): not a measurement.
    return m && Number(m[1]) > 0 ? toMs(m[1], m[2]) : NaN;
  };
  const requests = Number(/^\s*(\d+) requests in/m.exec(out)?.[1] ?? NaN);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const socket = sock ? { connect: +sock[1], read: +sock[2], write: +sock[3], timeout: +sock[4] } : { connect: 0, read: 0, write: 0, timeout: 0 };
  return { rps, p50: p(50), p99: p(99), requests, non2xx, socket };
}

/** One round of one server: start, check, warm up, measure, stop. */
async function measure(server, workload, opts, scripts, pin) {
  const waited = opts.quiet > 0 ? await waitQuiet(opts.quiet) : 0;
  if (waited < 0) console.log(`  (the machine stayed busy for ${opts.quiet} s; measuring anyway)`);
  else if (waited >= 1) console.log(`  (waited ${waited.toFixed(0)} s for other work on the machine to finish)`);
  let state;
  try {
    state = await startServer(server, workload, pin, opts);
  } catch (error) {
    return { error: `start failed: ${error.message}` };
  }
  try {
    try {
      await checkResponse(state.port, WORKLOADS[workload].check);
    } catch (error) {
      return { error: `bad response: ${error.message}${state.stderr ? `; stderr: ${state.stderr.trim()}` : ""}` };
    }
    if (opts.warmup > 0) await runWrk(state.port, opts.warmup, opts, workload, scripts, pin);
    if (state.exit !== undefined) return { error: `died during warm-up (${state.exit}); stderr: ${state.stderr.trim()}` };
    const logBefore = state.logLines;
    state.messages = new Map();
    const cpuBefore = cpuSeconds(state.pid);
    const others = otherProcesses([process.pid, state.pid]);
    const started = performance.now();
    const wrk = await runWrk(state.port, opts.duration, opts, workload, scripts, pin);
    const elapsed = (performance.now() - started) / 1000;
    const cpuAfter = cpuSeconds(state.pid);
    const othersAfter = otherProcesses([process.pid, state.pid, wrk.pid]);
    const result = parseWrk(wrk.out);
    result.cpu = cpuBefore !== undefined && cpuAfter !== undefined ? (cpuAfter - cpuBefore) / elapsed : NaN;
    result.clientCpu = wrk.clientCpu;
    // CPU other processes took meanwhile: on a busy machine the figures are skewed.
    result.other = otherShare(others, othersAfter, elapsed);
    result.logLines = state.logLines - logBefore;
    result.messages = state.messages;
    state.messages = undefined;
    if (state.exit !== undefined) {
      result.error = `crashed during the run (${state.exit}); stderr: ${state.stderr.trim()}`;
    } else if (!Number.isFinite(result.rps)) {
      result.error = `could not read wrk's output (exit ${wrk.code}): ${wrk.out.trim().slice(0, 500)}`;
    } else if (!(result.requests > 0)) {
      result.error = `no response completed in ${opts.duration} s (the server stalled); wrk: ${wrk.out.trim().replace(/\s+/g, " ").slice(0, 500)}`;
      result.rps = NaN;
    }
    return result;
  } finally {
    await stopServer(state);
  }
}

// ---------------------------------------------------------------------------------------------
// Report

const median = (xs) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (!s.length) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const int = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "—");
const kilo = (n) => (Number.isFinite(n) ? (n >= 10_000 ? `${Math.round(n / 1000)}k` : n >= 1000 ? `${(n / 1000).toFixed(1)}k` : `${Math.round(n)}`) : "—");
const ms = (n) => (Number.isFinite(n) ? (n < 1 ? `${n.toFixed(2)} ms` : n < 100 ? `${n.toFixed(1)} ms` : `${Math.round(n)} ms`) : "—");
const pct = (n) => (Number.isFinite(n) ? `${Math.round(n * 100)}%` : "—");
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b : NaN);
const runtimeLabel = (env, runtime) => {
  const v = env.versions[runtime] ?? "";
  if (runtime === "node") return `Node ${v.replace(/^v/, "")}`;
  if (runtime === "deno") return `Deno ${/deno ([\d.]+)/.exec(v)?.[1] ?? v}`;
  if (runtime === "python") return `Python ${v}`;
  return `Bun ${v}`;
};
const bold = (text) => (text === "—" ? text : `**${text}**`);
const times = (x) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : "—");
/** A server's ratio to its `ratioTo` server in one workload's results (NaN when either failed). */
const ratioOf = (server, w, results) => (server.ratioTo && results[w][server.ratioTo] ? ratio(results[w][server.key].rps, results[w][server.ratioTo].rps) : NaN);

/** The rows of the extra-comparisons summary: ours / Waitress per runtime, ours+Hono / @hono/node-server. */
function extraComparisons(env, opts, results) {
  const rows = [];
  for (const w of opts.workloads) {
    if (results[w]["python-waitress"]) {
      const ref = results[w]["python-waitress"];
      const target = TARGETS.python.workloads.includes(w) ? TARGETS.python.ratio : undefined;
      for (const r of runtimesOf(opts)) {
        const ours = results[w][`${r}-ours`];
        rows.push({ w, what: `ours on ${runtimeLabel(env, r)} / Python Waitress ${env.versions.waitress ?? ""}`.trim(), ours: ours.rps, ref: ref.rps, x: ratio(ours.rps, ref.rps), target });
      }
      if (!runtimesOf(opts).length) rows.push({ w, what: "ours / Python Waitress (no runtime in --only: add node, deno or bun)", ours: NaN, ref: ref.rps, x: NaN, target });
    } else if (opts.waitressSkipped && TARGETS.python.workloads.includes(w)) {
      rows.push({ w, what: "ours / Python Waitress (skipped: waitress is not installed, see above)", ours: NaN, ref: NaN, x: NaN, target: TARGETS.python.ratio });
    }
    if (results[w]["node-ours-hono"]) {
      const ours = results[w]["node-ours-hono"], ref = results[w]["node-hono"];
      const x = ratio(ours.rps, ref.rps);
      rows.push({ w, what: `ours + Hono / @hono/node-server + Hono (${runtimeLabel(env, "node")})`, ours: ours.rps, ref: ref.rps, x, target: TARGETS.hono.ratio });
    }
  }
  return rows;
}

/** The rows of the raw-ceiling summary: per workload and runtime, the raw, native and ours req/s. */
function rawCeilings(opts, results) {
  const rows = [];
  for (const w of opts.workloads) {
    for (const runtime of RUNTIMES) {
      const raw = results[w][`${runtime}-raw`];
      if (!raw) continue;
      rows.push({ w, runtime, raw: raw.rps, native: results[w][`${runtime}-native`]?.rps ?? NaN, ours: results[w][`${runtime}-ours`]?.rps ?? NaN });
    }
  }
  return rows;
}

/** One row of a per-workload table. */
function serverRow(env, server, s, x) {
  return `| ${runtimeLabel(env, server.runtime)} | ${server.label} | ${int(s.rps)} | ${s.each.map(kilo).join(" / ")} | ${ms(s.p50)} | ${ms(s.p99)} | ${pct(s.cpu)} | ${pct(s.clientCpu)} | ${pct(s.other)} | ${errorCell(s)} | ${x} |`;
}

/** Median of the rounds plus the error totals, per server. */
function summarise(rounds) {
  const ok = rounds.filter((r) => Number.isFinite(r.rps));
  const errors = rounds.reduce((sum, r) => sum + (r.non2xx ?? 0) + Object.values(r.socket ?? {}).reduce((a, b) => a + b, 0), 0);
  const notes = [...new Set(rounds.map((r) => r.error).filter(Boolean))];
  const logs = rounds.reduce((sum, r) => sum + (r.logLines ?? 0), 0);
  const messages = new Map();
  for (const r of rounds) {
    for (const [key, { text, count }] of r.messages ?? []) {
      const entry = messages.get(key) ?? { text, count: 0 };
      entry.count += count;
      messages.set(key, entry);
    }
  }
  return {
    rps: median(ok.map((r) => r.rps)),
    each: rounds.map((r) => r.rps),
    p50: median(ok.map((r) => r.p50)),
    p99: median(ok.map((r) => r.p99)),
    cpu: median(ok.map((r) => r.cpu)),
    clientCpu: median(ok.map((r) => r.clientCpu)),
    other: median(ok.map((r) => r.other)),
    non2xx: rounds.reduce((s, r) => s + (r.non2xx ?? 0), 0),
    socket: rounds.reduce((s, r) => {
      for (const k of ["connect", "read", "write", "timeout"]) s[k] += r.socket?.[k] ?? 0;
      return s;
    }, { connect: 0, read: 0, write: 0, timeout: 0 }),
    errors,
    notes,
    logs,
    messages: [...messages.values()].sort((a, b) => b.count - a.count),
  };
}

function errorCell(s) {
  const parts = [];
  if (s.non2xx) parts.push(`${s.non2xx} non-2xx`);
  for (const k of ["connect", "read", "write", "timeout"]) if (s.socket[k]) parts.push(`${s.socket[k]} ${k}`);
  if (s.notes.length) parts.push(`${s.notes.length} failed round${s.notes.length === 1 ? "" : "s"}`);
  return parts.length ? parts.join(", ") : "0";
}

function markdown(env, opts, results) {
  const runtimes = runtimesOf(opts);
  const extras = selected(opts).some((s) => s.group === "python" || s.group === "hono");
  const raw = opts.only.includes("raw") && opts.workloads.some((w) => RAW_WORKLOADS.includes(w));
  const also = [extras && "the extra comparisons", raw && "the raw socket ceiling"].filter(Boolean);
  const lines = [];
  lines.push(`# Benchmark: ours vs the native servers${also.length ? ` (and ${also.join(" and ")})` : ""}`, "");
  lines.push(`- Command: \`${env.command}\``);
  lines.push(`- Date: ${env.date}`);
  lines.push(`- Machine: ${env.cores} cores, ${env.model}, ${env.kernel}; load average ${env.load.toFixed(2)} at the start`);
  lines.push(`- Versions: ${Object.entries(env.versions).map(([k, v]) => `${k} \`${v}\``).join(", ")}`);
  const runs = ["-t1", `-c${opts.connections}`, `-d${opts.duration}s`, "--latency"].join(" ");
  lines.push(`- Method: \`wrk ${runs} http://127.0.0.1:PORT/\`; ${env.pin}; ${opts.warmup ? `${opts.warmup} s warm-up before each measured run` : "no warm-up"}; ${opts.rounds} round${opts.rounds === 1 ? "" : "s"} per server, interleaved, server restarted each round; the median is shown.`);
  for (const note of opts.skipped) lines.push(`- **${note}**`);
  lines.push("");

  // Summary of ratios.
  if (runtimes.length) {
    lines.push("## ours / native (requests per second)", "");
    lines.push(`| workload | ${runtimes.map((r) => runtimeLabel(env, r)).join(" | ")} |`);
    lines.push(`|---|${runtimes.map(() => "---:").join("|")}|`);
    for (const w of opts.workloads) {
      lines.push(`| ${w} | ${runtimes.map((r) => times(ratio(results[w][`${r}-ours`].rps, results[w][`${r}-native`].rps))).join(" | ")} |`);
    }
    lines.push("");
  }

  // Summary of the extra comparisons, with their targets.
  const rows = extraComparisons(env, opts, results);
  if (rows.length) {
    lines.push("## Extra comparisons (requests per second)", "");
    lines.push("| workload | comparison | ours | reference | ratio | target | met |");
    lines.push("|---|---|---:|---:|---:|---:|---|");
    for (const row of rows) {
      const met = row.target === undefined ? "" : !Number.isFinite(row.x) ? "not measured" : row.x >= row.target ? "yes" : "**no**";
      lines.push(`| ${row.w} | ${row.what} | ${int(row.ours)} | ${int(row.ref)} | **${times(row.x)}** | ${row.target === undefined ? "—" : `≥ ${row.target}×`} | ${met} |`);
    }
    const judged = rows.filter((row) => row.target !== undefined);
    if (judged.length) {
      const met = judged.filter((row) => Number.isFinite(row.x) && row.x >= row.target).length;
      lines.push("", `Targets met: ${met} of ${judged.length}. Targets (the performance issue): ours ≥ ${TARGETS.python.ratio}× Python's Waitress on every runtime for ${TARGETS.python.workloads.join(", ")} (other workloads against Waitress are shown without a target), and ours + Hono ≥ ${TARGETS.hono.ratio}× @hono/node-server + Hono on Node on every workload.`);
    }
    if (opts.only.includes("python") && results[opts.workloads[0]]?.["python-waitress"]) {
      lines.push("", `Python Waitress: \`${opts.python}\`, \`waitress.create_server(app, host="127.0.0.1", port=0, threads=4)\` with a plain WSGI app (bench/apps/python_waitress.py), pinned to the same single CPU as every server, so its 4 threads share one core (and the GIL).`);
    }
    lines.push("");
  }

  // The raw socket ceiling: how close ours (and the native server) come to a responder on the
  // same socket API that parses nothing.
  const ceilings = rawCeilings(opts, results);
  if (ceilings.length) {
    lines.push("## Raw socket ceiling (requests per second)", "");
    lines.push("| workload | runtime | raw server | raw | native | ours | ours / raw | native / raw |");
    lines.push("|---|---|---|---:|---:|---:|---:|---:|");
    for (const row of ceilings) {
      lines.push(`| ${row.w} | ${runtimeLabel(env, row.runtime)} | ${SERVER[`${row.runtime}-raw`].label} | ${int(row.raw)} | ${int(row.native)} | ${int(row.ours)} | ${bold(times(ratio(row.ours, row.raw)))} | ${times(ratio(row.native, row.raw))} |`);
    }
    const skipped = opts.workloads.filter((w) => !RAW_WORKLOADS.includes(w));
    lines.push("", `Raw: a responder written directly on the runtime's socket API (bench/apps/raw_*.mjs) that parses nothing: it counts the "\\r\\n\\r\\n" in each chunk and writes as many copies of one pre-encoded hello response in one write (closing after it when the chunk says \`connection: close\`). No parsing, no validation, no limits, no Fetch objects: the most any server on that socket API could do on this machine, not a competitor. ours / raw is the share of that ceiling ours reaches; native / raw is the same for the runtime's own server (it can exceed 1×: the native servers do not go through the JavaScript socket API). Look at the raw row's server CPU in the workload's table: well below 100% (e.g. with \`Connection: close\`), the limit was wrk or the kernel, not the server, so the ratios then say less. "—": not measured (add the runtime to --only).${skipped.length ? ` The raw servers answer only ${RAW_WORKLOADS.join(", ")}: not run for ${skipped.join(", ")}.` : ""}`);
    lines.push("");
  }

  for (const w of opts.workloads) {
    lines.push(`## ${w}: ${WORKLOADS[w].title}`, "");
    const servers = serversFor(opts, w);
    const main = servers.filter((s) => RUNTIMES.includes(s.group) || s.group === "raw");
    const extra = servers.filter((s) => !RUNTIMES.includes(s.group) && s.group !== "raw");
    if (!servers.length) lines.push(`Nothing measured: the servers selected (--only ${opts.only.join(",")}) do not run this workload (the raw servers answer only ${RAW_WORKLOADS.join(", ")}).`);
    if (main.length) {
      lines.push("| runtime | server | req/s (median) | rounds | p50 | p99 | server CPU | wrk CPU | other processes | errors | ours/native |");
      lines.push("|---|---|---:|---|---:|---:|---:|---:|---:|---|---:|");
      for (const server of main) {
        const x = ratioOf(server, w, results);
        lines.push(serverRow(env, server, results[w][server.key], Number.isFinite(x) ? `**${x.toFixed(2)}×**` : ""));
      }
      if (main.some((s) => s.group === "raw")) lines.push("", "The raw rows (no parsing, a ceiling; see \"Raw socket ceiling\") are for reference: the ours/native ratios do not use them.");
    }
    if (extra.length) {
      if (main.length) lines.push("", "Extra comparisons:", "");
      lines.push("| runtime | server | req/s (median) | rounds | p50 | p99 | server CPU | wrk CPU | other processes | errors | ratio |");
      lines.push("|---|---|---:|---|---:|---:|---:|---:|---:|---|---:|");
      for (const server of extra) {
        let cell = "";
        if (server.key === "python-waitress") {
          cell = runtimes.map((r) => `ours on ${runtimeLabel(env, r).split(" ")[0]} ${times(ratio(results[w][`${r}-ours`].rps, results[w][server.key].rps))}`).join(", ");
        } else if (server.ratioTo) {
          const x = ratioOf(server, w, results);
          cell = Number.isFinite(x) ? `**${x.toFixed(2)}×** vs ${SERVER[server.ratioTo].label}` : "";
        }
        lines.push(serverRow(env, server, results[w][server.key], cell));
      }
    }
    const notes = [];
    for (const server of servers) {
      const s = results[w][server.key];
      for (const n of s.notes) notes.push(`- ${runtimeLabel(env, server.runtime)} ${server.label}: ${n.replace(/\s+/g, " ").slice(0, 600)}`);
      if (s.logs) {
        const kinds = s.messages.slice(0, 3).map((m) => `${m.count}× \`${m.text.replace(/`/g, "'").slice(0, 160)}\``).join("; ");
        notes.push(`- ${runtimeLabel(env, server.runtime)} ${server.label}: ${s.logs} stderr line${s.logs === 1 ? "" : "s"} during the measured runs: ${kinds}${s.messages.length > 3 ? "; …" : ""}`);
      }
    }
    if (w === "pipelined") notes.push("- wrk measures latency per pipelined batch, not per request, and leaves most percentiles empty (—): compare requests/s only.");
    if (notes.length) lines.push("", ...notes);
    lines.push("");
  }
  lines.push("req/s: wrk's Requests/sec, median of the rounds (each round listed). p50/p99: wrk latency percentiles, median of the rounds. Server CPU: the server process's user+system CPU time (all its threads) over the measured run divided by its wall time (100% = one core saturated; below that the client, the kernel or other load is the limit). wrk CPU: the load generator's own user+system CPU time over the run (100% = its core saturated: then wrk, not the server, set the pace). Other processes: CPU time used by every other user-space process on the machine during the measured run (100% = one core), median of the rounds; anything well above 0% means the machine was busy and the figures are less reliable. Errors: wrk's non-2xx responses and socket errors summed over the measured rounds.");
  return lines.join("\n") + "\n";
}

const esc = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** A horizontal bar chart, one panel per workload with its own scale. Plain SVG, no dependencies. */
function svg(env, opts, results) {
  const width = 820, labelW = 250, valueW = 150, barW = width - labelW - valueW - 20, barH = 18, gap = 6;
  const parts = [];
  let y = 30;
  parts.push(`<text x="10" y="20" font-size="15" font-weight="bold">Requests per second (median of ${opts.rounds}; wrk -c${opts.connections}, ${opts.duration} s) — ${esc(env.model)}, ${env.cores} cores</text>`);
  for (const w of opts.workloads) {
    y += 14;
    parts.push(`<text x="10" y="${y + 4}" font-size="13" font-weight="bold">${esc(w)}: ${esc(WORKLOADS[w].title.replace(/`/g, ""))}</text>`);
    y += 12;
    const servers = serversFor(opts, w);
    const max = Math.max(1, ...servers.map((s) => results[w][s.key].rps).filter(Number.isFinite));
    for (const s of servers) {
      const r = results[w][s.key];
      const len = Number.isFinite(r.rps) ? Math.max(1, (r.rps / max) * barW) : 0;
      const x = ratioOf(s, w, results);
      const value = Number.isFinite(r.rps) ? `${int(r.rps)}${Number.isFinite(x) ? ` (${x.toFixed(2)}×)` : ""}` : "failed";
      parts.push(`<text x="${labelW - 8}" y="${y + barH - 5}" font-size="12" text-anchor="end">${esc(`${runtimeLabel(env, s.runtime)} ${s.label}`)}</text>`);
      parts.push(`<rect x="${labelW}" y="${y}" width="${len.toFixed(1)}" height="${barH}" fill="${s.color}"/>`);
      parts.push(`<text x="${(labelW + len + 6).toFixed(1)}" y="${y + barH - 5}" font-size="12">${esc(value)}</text>`);
      y += barH + gap;
    }
  }
  y += 16;
  parts.push(`<text x="10" y="${y}" font-size="11" fill="#555">${esc(`${env.date} · ${Object.entries(env.versions).map(([k, v]) => `${k} ${v}`).join(" · ")}`)}</text>`);
  const height = y + 10;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif">
<rect width="100%" height="100%" fill="#fff"/>
${parts.join("\n")}
</svg>
`;
}

// ---------------------------------------------------------------------------------------------
// Main

async function main() {
  const opts = parseOptions(process.argv.slice(2));
  ensureWrk();
  const pin = pinning();
  if (opts.only.includes("node") || opts.only.includes("hono")) ensureBuild(root, "bench", "pass --only deno,bun");
  for (const r of ["deno", "bun"]) {
    if (usesRuntime(opts, r) && !existsSync(bin(r))) fail(`${bin(r)} is missing: run \`npm ci\` (or pass --only without ${r}${opts.only.includes("raw") ? " and raw" : ""})`);
  }
  if (opts.only.includes("hono")) {
    for (const name of ["hono", "@hono/node-server"]) {
      if (!existsSync(join(root, "node_modules", name, "package.json"))) fail(`node_modules/${name} is missing: run \`npm ci\` (or pass --only without hono)`);
    }
  }
  if (opts.only.includes("python")) {
    opts.waitress = ensureWaitress(opts);
    if (!opts.waitress) opts.only = opts.only.filter((g) => g !== "python");
  }
  if (!opts.only.length) {
    console.error("bench: nothing left to measure");
    process.exit(1);
  }
  const runs = opts.workloads.reduce((sum, w) => sum + serversFor(opts, w).length, 0);
  if (runs === 0) fail(`nothing to measure: the raw servers only answer ${RAW_WORKLOADS.join(", ")} (add one to --workload, or another group to --only)`);
  const env = environment(opts, pin);

  // wrk Lua scripts live in a temporary folder for the run.
  const tmp = mkdtempSync(join(tmpdir(), "waitress-bench-"));
  const scripts = {};
  for (const w of opts.workloads) {
    if (!WORKLOADS[w].lua) continue;
    scripts[w] = join(tmp, `${w}.lua`);
    writeFileSync(scripts[w], WORKLOADS[w].lua);
  }

  const perRun = opts.warmup + opts.duration + 1.5;
  const total = runs * opts.rounds * perRun;
  if (env.load > 0.5) console.log(`Note: the 1-minute load average is ${env.load.toFixed(2)}; other work on this machine will skew the figures (see "other processes" in the report).`);
  console.log(`Benchmarking ${selected(opts).length} servers × ${opts.workloads.length} workload(s) × ${opts.rounds} round(s)${runs < selected(opts).length * opts.workloads.length ? ` (${runs} server runs per round: the raw servers only run ${RAW_WORKLOADS.join(", ")})` : ""}: about ${Math.ceil(total / 60)} min. ${pin.note}.`);

  const results = {};
  try {
    for (const w of opts.workloads) {
      const servers = serversFor(opts, w);
      const rounds = Object.fromEntries(servers.map((s) => [s.key, []]));
      // Rounds are interleaved across servers so slow drift (thermal, neighbours) hits all alike.
      for (let round = 1; round <= opts.rounds; round++) {
        for (const s of servers) {
          const r = await measure(s, w, opts, scripts, pin);
          rounds[s.key].push(r);
          const errs = (r.non2xx ?? 0) + Object.values(r.socket ?? {}).reduce((a, b) => a + b, 0);
          console.log(`  ${w} round ${round}/${opts.rounds} ${s.runtime} ${s.label}: ${r.error ? `FAILED ${r.error.slice(0, 300)}` : `${int(r.rps)} req/s, p50 ${ms(r.p50)}, p99 ${ms(r.p99)}, CPU ${pct(r.cpu)}${errs ? `, ${errs} errors` : ""}`}`);
        }
      }
      results[w] = Object.fromEntries(Object.entries(rounds).map(([k, v]) => [k, summarise(v)]));
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }

  const report = markdown(env, opts, results);
  console.log("\n" + report);
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, "LATEST.md"), report);
  writeFileSync(join(resultsDir, "LATEST.svg"), svg(env, opts, results));
  console.log(`Wrote ${relative(process.cwd(), join(resultsDir, "LATEST.md"))} and ${relative(process.cwd(), join(resultsDir, "LATEST.svg"))}`);
  const failed = opts.workloads.some((w) => Object.values(results[w]).some((s) => !Number.isFinite(s.rps)));
  process.exit(failed ? 1 : 0);
}

await main();
