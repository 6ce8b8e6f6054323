// The environment of `npm run bench` (bench/run.mjs): the load generator wrk and Python's Waitress
// (installed with apt-get when missing and running as root), CPU pinning, and the machine and
// versions the report's header names.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, loadavg, release } from "node:os";
import { join, relative } from "node:path";
import { DEFAULT_PYTHON, usesRuntime } from "./config.mjs";


export function ensureWrk() {
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
export function ensureWaitress(opts) {
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

/**
 * CPU pinning: the server on CPU 0, the client (wrk, h2load) on CPU 1, when taskset exists and there
 * are 2+ CPUs. `clientCore` is the core whose busy time the report shows (undefined: not pinned).
 */
export function pinning() {
  const count = cpus().length;
  const hasTaskset = spawnSync("taskset", ["-V"]).error === undefined;
  if (hasTaskset && count >= 2) return { server: ["taskset", "-c", "0"], client: ["taskset", "-c", "1"], clientCore: 1, note: "server `taskset -c 0`, client (wrk, h2load) `taskset -c 1`" };
  return { server: [], client: [], clientCore: undefined, note: hasTaskset ? "not pinned (only one CPU)" : "not pinned (taskset not found)" };
}

function firstLine(cmd, argv) {
  const r = spawnSync(cmd, argv, { encoding: "utf8" });
  if (r.error) return "not found";
  return `${r.stdout ?? ""}${r.stderr ?? ""}`.trim().split("\n")[0];
}

/**
 * What the report's header says about the run: date, machine, load, versions, the command as typed
 * (`script`: the runner's path) and the pinning.
 */
export function environment(opts, pin, root, script) {
  let model = "unknown";
  try {
    const info = readFileSync("/proc/cpuinfo", "utf8");
    model = /^model name\s*:\s*(.+)$/m.exec(info)?.[1]?.trim() ?? model;
  } catch { /* not Linux */ }
  const wrkVersion = firstLine("wrk", ["-v"]).replace(/\s*Copyright.*$/, "").replace(/^wrk\s+/, "");
  const versions = { node: process.version, wrk: wrkVersion };
  const bin = (name) => join(root, "node_modules", ".bin", name);
  if (usesRuntime(opts, "deno")) versions.deno = firstLine(bin("deno"), ["--version"]);
  if (usesRuntime(opts, "bun")) versions.bun = firstLine(bin("bun"), ["--version"]);
  if (opts.h2load) versions.h2load = opts.h2load;
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
    : `node ${relative(process.cwd(), script) || "bench/run.mjs"}${args.length ? ` ${quoted}` : ""}`;
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
