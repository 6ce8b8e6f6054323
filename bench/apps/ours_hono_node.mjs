// Ours + Hono on Node: the Hono app of hono_app.mjs served by serve() from the built JS (dist/),
// which takes the app object itself ({ fetch }), like `export default app`.
// Usage: node bench/apps/ours_hono_node.mjs --port 0 --workload hello
import { serve } from "../../dist/mod.js";
import { honoApp } from "./hono_app.mjs";
import { parseArgs } from "./workloads.mjs";

const { port, workload } = parseArgs(process.argv.slice(2), process.env);
// threads: 0, as in ours_node.mjs: the handler runs inline on the I/O thread.
const server = serve(honoApp(workload), { host: "127.0.0.1", port, threads: 0 });
await server.ready;
console.log(`READY ${server.addresses[0].port}`);
process.on("SIGTERM", () => process.exit(0));
