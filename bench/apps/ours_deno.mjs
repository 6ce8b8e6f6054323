// Ours on Deno: serve() from the TypeScript sources (mod.ts).
// Usage: deno run --allow-net=127.0.0.1 bench/apps/ours_deno.mjs --port 0 --workload hello
import { serve } from "../../mod.ts";
import { fetchHandler, parseArgs } from "./workloads.mjs";

const { port, workload } = parseArgs(Deno.args);
// threads: 0 runs the handler inline on the I/O thread, like the native servers (a function
// cannot move to worker threads; the default pool of 4 needs a module to import).
const server = serve(fetchHandler(workload), { host: "127.0.0.1", port, threads: 0 });
await server.ready;
console.log(`READY ${server.addresses[0].port}`);
Deno.addSignalListener("SIGTERM", () => Deno.exit(0));
