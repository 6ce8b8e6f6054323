// Diagnostic for the soak (issue 13): the hello-world server of ours_deno.mjs / deno_serve.mjs on Deno,
// logging its own memory to stderr every --every seconds (default 5):
//   MEM t=<s> rss=<MiB> heapUsed=<MiB> heapTotal=<MiB> external=<MiB> allocated=<MiB so far> [space=used/size ...]
// With `--v8-flags=--expose-gc` it collects garbage before each reading, so heapUsed is what is retained.
// Usage: deno run --allow-net=127.0.0.1 [--v8-flags=--expose-gc] bench/apps/deno_memlog.mjs ours|native [--port 0] [--every 5] [--spaces]
import { getHeapSpaceStatistics, getHeapStatistics } from "node:v8";
import { fetchHandler, parseArgs } from "./workloads.mjs";

const kind = Deno.args[0] === "native" ? "native" : "ours";
const { port } = parseArgs(Deno.args.slice(1));
const everyIndex = Deno.args.indexOf("--every");
const every = everyIndex >= 0 ? Number(Deno.args[everyIndex + 1]) : 5;
const spaces = Deno.args.includes("--spaces");
const handler = fetchHandler("hello");
if (kind === "ours") {
  const { serve } = await import("../../mod.ts");
  const server = serve(handler, { host: "127.0.0.1", port, threads: 0 });
  await server.ready;
  console.log(`READY ${server.addresses[0].port}`);
} else {
  Deno.serve({ hostname: "127.0.0.1", port, onListen: (addr) => console.log(`READY ${addr.port}`) }, handler);
}
const MiB = 1024 * 1024;
const began = performance.now();
const log = () => {
  if (typeof globalThis.gc === "function") globalThis.gc();
  const m = Deno.memoryUsage();
  let line = `MEM t=${((performance.now() - began) / 1000).toFixed(0)} rss=${(m.rss / MiB).toFixed(1)} heapUsed=${(m.heapUsed / MiB).toFixed(1)} heapTotal=${(m.heapTotal / MiB).toFixed(1)} external=${(m.external / MiB).toFixed(1)} allocated=${(getHeapStatistics().total_allocated_bytes / MiB).toFixed(0)}`;
  if (spaces) {
    for (const s of getHeapSpaceStatistics()) {
      line += ` ${s.space_name.replace(/_space$/, "")}=${(s.space_used_size / MiB).toFixed(1)}/${(s.space_size / MiB).toFixed(1)}`;
    }
  }
  console.error(line);
};
const timer = setInterval(log, every * 1000);
Deno.unrefTimer(timer);
Deno.addSignalListener("SIGUSR2", log);
Deno.addSignalListener("SIGTERM", () => Deno.exit(0));
