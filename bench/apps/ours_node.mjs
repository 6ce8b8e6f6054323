// Ours on Node: serve() from the built JS (dist/; the harness runs `npm run build` when it is stale).
// Usage: node bench/apps/ours_node.mjs --port 0 --workload hello
import { serve } from "../../dist/mod.js";
import { fetchHandler, parseArgs } from "./workloads.mjs";

const { port, workload } = parseArgs(process.argv.slice(2), process.env);
const server = serve(fetchHandler(workload), { host: "127.0.0.1", port });
await server.ready;
console.log(`READY ${server.addresses[0].port}`);
process.on("SIGTERM", () => process.exit(0));
