#!/usr/bin/env node
// HTTPS benchmark: `hello` and `big` (GET 1 MiB) over TLS, ours (serve() with tlsCert/tlsKey,
// threads: 0) against each runtime's own TLS server (node:https, Deno.serve({ cert, key }),
// Bun.serve({ tls })), on Node (dist/), Deno and Bun (TypeScript sources), in one run. The servers
// are bench/apps/tls_apps.mjs. A throw-away EC P-256 key and self-signed certificate for 127.0.0.1
// are made with `openssl` in a temp dir at the start and deleted at the end. The server is pinned
// with `taskset -c 0`, wrk with `taskset -c 1` (as bench/run.mjs); wrk keeps its connections alive,
// so each connection's handshake is paid once and amortised over its requests. CPU µs/req is the
// server's CPU (all threads, /proc) over the requests wrk counted. Traffic to 127.0.0.1 only.
// Prints a Markdown report; exits 1 if a server failed.
//
// Usage: node bench/tls_bench.mjs [--duration 3] [--warmup 1] [--connections 50]
//                                 [--only node,deno,bun] [--workload hello,big]
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { cpus, release, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { pinning } from "./lib/environment.mjs";
import { coreBusy, coreTicks, cpuSeconds } from "./lib/proc.mjs";
import { firstLine, int, ratio, runWrk, sleep, startServer, stopServer, us } from "./lib/spawn_wrk.mjs";
import { option } from "./lib/options.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const app = join(root, "bench", "apps", "tls_apps.mjs");
const bin = (name) => join(root, "node_modules", ".bin", name);

const args = process.argv.slice(2);
const opt = (name, fallback) => option(args, name, fallback);
const duration = Number(opt("duration", 3));
const warmup = Number(opt("warmup", 1));
const connections = Number(opt("connections", 50));
const only = opt("only", "node,deno,bun").split(",");
const workloads = opt("workload", "hello,big").split(",");
if (![duration, connections].every((n) => Number.isInteger(n) && n > 0) || !Number.isInteger(warmup) || warmup < 0) {
  console.error("tls_bench: --duration, --connections: whole numbers > 0; --warmup >= 0");
  process.exit(2);
}
if (workloads.some((w) => !["hello", "big"].includes(w)) || only.some((r) => !["node", "deno", "bun"].includes(r))) {
  console.error("tls_bench: --workload from hello,big; --only from node,deno,bun");
  process.exit(2);
}
if (spawnSync("wrk", ["-v"]).error !== undefined) { console.error("tls_bench: wrk is not installed"); process.exit(1); }
if (spawnSync("openssl", ["version"]).error !== undefined) { console.error("tls_bench: openssl is not installed"); process.exit(1); }
if (only.includes("node") && !existsSync(join(root, "dist", "mod.js"))) { console.error("tls_bench: dist/ is missing: run `npm run build`"); process.exit(1); }

const dir = mkdtempSync(join(tmpdir(), "waitress-tls-bench-"));
const cert = join(dir, "cert.pem");
const key = join(dir, "key.pem");
const cleanup = () => rmSync(dir, { recursive: true, force: true });
process.on("exit", cleanup);
const made = spawnSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
  "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", key, "-out", cert], { encoding: "utf8" });
if (made.status !== 0) { console.error(`tls_bench: openssl failed:\n${made.stderr}`); process.exit(1); }

const pin = pinning();
const command = (runtime, server, workload) => {
  const appArgs = [app, "--server", server, "--workload", workload, "--port", "0", "--cert", cert, "--key", key];
  if (runtime === "node") return [process.execPath, appArgs];
  if (runtime === "deno") return [bin("deno"), ["run", "--quiet", "--no-lock", "--allow-net=127.0.0.1", `--allow-read=${root},${dir}`, "--allow-env", ...appArgs]];
  return [bin("bun"), appArgs];
};

const rows = [];
let failed = 0;
for (const workload of workloads) {
  for (const runtime of only) {
    const result = {};
    for (const server of ["ours", "native"]) {
      const [cmd, cmdArgs] = command(runtime, server, workload);
      let s;
      try {
        s = await startServer(pin.server[0] ?? cmd, pin.server.length ? [...pin.server.slice(1), cmd, ...cmdArgs] : cmdArgs, { cwd: root });
        const url = `https://127.0.0.1:${s.port}/`;
        if (warmup > 0) await runWrk(pin.client, url, { duration: warmup, connections });
        const before = cpuSeconds(s.child.pid);
        const core0 = coreTicks(pin.clientCore);
        const t0 = performance.now();
        const w = await runWrk(pin.client, url, { duration, connections });
        const elapsed = (performance.now() - t0) / 1000;
        const core1 = coreTicks(pin.clientCore);
        const after = cpuSeconds(s.child.pid);
        if (s.child.exitCode !== null) throw new Error(`exited during the run:\n${s.output()}`);
        result[server] = { rps: w.rps, cpu: ((after - before) / w.requests) * 1e6, busy: (after - before) / elapsed, client: coreBusy(core0, core1), errors: w.errors };
      } catch (error) {
        failed++;
        console.error(`tls_bench: ${runtime} ${server} ${workload} failed: ${error.message}`);
        result[server] = { rps: NaN, cpu: NaN, busy: NaN, client: NaN, errors: NaN };
      } finally {
        if (s) await stopServer(s.child);
      }
      await sleep(300);
    }
    rows.push({ workload, runtime, ...result });
  }
}

let model = "unknown";
try { model = /^model name\s*:\s*(.+)$/m.exec((await import("node:fs")).readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? model; } catch { /* not Linux */ }
const f2 = (n) => (Number.isFinite(n) ? n.toFixed(2) : "—");
const pc = (n) => (Number.isFinite(n) ? `${Math.round(n * 100)}%` : "—");
const native = { node: "node:https `createServer`", deno: "`Deno.serve({ cert, key })`", bun: "`Bun.serve({ tls })`" };
const quoted = args.map((a) => (/^[\w./,=:-]+$/.test(a) ? a : JSON.stringify(a))).join(" ");
const out = [];
out.push("## HTTPS: ours against each runtime's own TLS server", "");
out.push(`- command: \`node bench/tls_bench.mjs${quoted ? ` ${quoted}` : ""}\``);
out.push(`- date: ${new Date().toISOString().replace(/\.\d+Z$/, "Z")}; ${cpus().length} × ${model}; ${process.platform} ${release()}`);
out.push(`- versions: node ${process.version}${only.includes("deno") ? `, ${firstLine(bin("deno"), ["--version"])}` : ""}${only.includes("bun") ? `, bun ${firstLine(bin("bun"), ["--version"])}` : ""}, wrk ${firstLine("wrk", ["-v"]).replace(/\s*Copyright.*$/, "").replace(/^wrk\s+/, "")}, ${firstLine("openssl", ["version"])}`);
out.push(`- ${duration} s measured after ${warmup} s warm-up, 1 round, wrk -t1 -c${connections}, keep-alive (one TLS handshake per connection, amortised); ${pin.note}`);
out.push("- certificate: throw-away self-signed EC P-256 for 127.0.0.1 (openssl, deleted after the run); TLS version and cipher are each runtime's defaults (not set by the script)");
out.push("");
out.push("| workload | runtime | native server | ours req/s | native req/s | req/s ours/native | ours CPU µs/req | native CPU µs/req | CPU ours/native | server cores busy (ours/native) | wrk core busy (ours/native) | errors (ours/native) |");
out.push("|---|---|---|---:|---:|---:|---:|---:|---:|---|---|---|");
for (const r of rows) {
  out.push(`| ${r.workload} | ${r.runtime} | ${native[r.runtime]} | ${int(r.ours.rps)} | ${int(r.native.rps)} | ${ratio(r.ours.rps, r.native.rps)} | ${us(r.ours.cpu)} | ${us(r.native.cpu)} | ${ratio(r.ours.cpu, r.native.cpu)} | ${f2(r.ours.busy)}/${f2(r.native.busy)} | ${pc(r.ours.client)}/${pc(r.native.client)} | ${r.ours.errors}/${r.native.errors} |`);
}
out.push("", "req/s ours/native above 1 and CPU ours/native below 1 favour ours. One short round on a shared 2-core machine: read differences under ~10% as noise. A server below ~0.9 cores busy while the wrk core is near 100% was limited by the client (wrk -t1 decrypting TLS on one core), not by itself: then its req/s understates it and CPU µs/req is the figure to compare.");
console.log(out.join("\n"));
cleanup();
process.exit(failed ? 1 : 0);
