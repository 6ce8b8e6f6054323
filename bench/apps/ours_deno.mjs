// Ours on Deno: serve() from the TypeScript sources (mod.ts).
// Usage: deno run --allow-net=127.0.0.1 bench/apps/ours_deno.mjs --port 0 --workload hello
import { serve } from "../../mod.ts";
import { fetchHandler, parseArgs } from "./workloads.mjs";

const { port, workload } = parseArgs(Deno.args);
const server = serve(fetchHandler(workload), { host: "127.0.0.1", port });
await server.ready;
console.log(`READY ${server.addresses[0].port}`);
Deno.addSignalListener("SIGTERM", () => Deno.exit(0));
