// Reference for the Hono comparison: the Hono app of hono_app.mjs served by @hono/node-server
// (Hono's own Node adapter, over node:http), with its defaults.
// Usage: node bench/apps/hono_node_server.mjs --port 0 --workload hello
import { serve } from "@hono/node-server";
import { honoApp } from "./hono_app.mjs";
import { parseArgs } from "./workloads.mjs";

const { port, workload } = parseArgs(process.argv.slice(2), process.env);
const app = honoApp(workload);
serve({ fetch: app.fetch, port, hostname: "127.0.0.1" }, (info) => console.log(`READY ${info.port}`));
process.on("SIGTERM", () => process.exit(0));
