// Ours on Node: serve() from the built JS (dist/; the harness runs `npm run build` when it is stale).
// Usage: node bench/apps/ours_node.mjs --port 0 --workload hello
import { serve } from "../../dist/mod.js";
import { fetchHandler, parseArgs } from "./workloads.mjs";

const { port, workload } = parseArgs(process.argv.slice(2), process.env);
// threads: 0 runs the handler inline on the I/O thread, like the native servers (a function
// cannot move to worker threads; the default pool of 4 needs a module to import).
const server = serve(fetchHandler(workload), { host: "127.0.0.1", port, threads: 0 });
await server.ready;
console.log(`READY ${server.addresses[0].port}`);
process.on("SIGTERM", () => process.exit(0));
