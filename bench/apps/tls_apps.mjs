// The TLS servers of bench/tls_bench.mjs, one script for all six: ours (serve() with tlsCert/tlsKey,
// threads: 0) and each runtime's own TLS server (node:https, Deno.serve({ cert, key }),
// Bun.serve({ tls })), serving the Fetch handlers of workloads.mjs (node:https the same bytes).
// Usage: <runtime> bench/apps/tls_apps.mjs --server ours|native --workload hello|big --cert F --key F
// Prints "READY <port>" once listening on 127.0.0.1; exits on SIGTERM.
import { readFileSync } from "node:fs";
import { BIG, HELLO, fetchHandler, parseArgs } from "./workloads.mjs";

const argv = "Deno" in globalThis ? globalThis.Deno.args : process.argv.slice(2);
const opt = (name) => {
  const i = argv.indexOf(`--${name}`);
  if (i < 0 || i + 1 >= argv.length) throw new Error(`tls_apps: --${name} is required`);
  return argv[i + 1];
};
const kind = opt("server");
const certFile = opt("cert");
const keyFile = opt("key");
const { port, workload } = parseArgs(argv.filter((a, i) => !["--server", "--cert", "--key"].includes(a) && !["--server", "--cert", "--key"].includes(argv[i - 1])));
const runtime = "Bun" in globalThis ? "bun" : "Deno" in globalThis ? "deno" : "node";
const onTerm = () => process.exit(0);

if (kind === "ours") {
  const { serve } = await import(runtime === "node" ? "../../dist/mod.js" : "../../mod.ts");
  // File paths: the server reads them itself (README "HTTPS"). threads: 0 as in the plain bench.
  const server = serve(fetchHandler(workload), { host: "127.0.0.1", port, threads: 0, tlsCert: certFile, tlsKey: keyFile, logLevel: "error" });
  await server.ready;
  console.log(`READY ${server.addresses[0].port}`);
} else if (runtime === "node") {
  const { createServer } = await import("node:https");
  const big = Buffer.from(BIG.buffer, BIG.byteOffset, BIG.byteLength);
  const handler = workload === "big"
    ? (req, res) => { res.setHeader("content-type", "application/octet-stream"); res.end(big); }
    : (req, res) => { res.setHeader("content-type", "text/plain;charset=UTF-8"); res.end(HELLO); };
  const server = createServer({ cert: readFileSync(certFile), key: readFileSync(keyFile) }, handler);
  server.listen(port, "127.0.0.1", () => console.log(`READY ${server.address().port}`));
} else if (runtime === "deno") {
  globalThis.Deno.serve({
    hostname: "127.0.0.1",
    port,
    cert: readFileSync(certFile, "utf8"),
    key: readFileSync(keyFile, "utf8"),
    onListen: (addr) => console.log(`READY ${addr.port}`),
  }, fetchHandler(workload));
} else {
  const server = globalThis.Bun.serve({
    hostname: "127.0.0.1",
    port,
    tls: { cert: readFileSync(certFile, "utf8"), key: readFileSync(keyFile, "utf8") },
    fetch: fetchHandler(workload),
  });
  console.log(`READY ${server.port}`);
}
if (runtime === "deno") globalThis.Deno.addSignalListener("SIGTERM", () => globalThis.Deno.exit(0));
else process.on("SIGTERM", onTerm);
