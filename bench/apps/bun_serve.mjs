// Reference server: Bun.serve with the Fetch handlers of workloads.mjs.
// Usage: bun bench/apps/bun_serve.mjs --port 0 --workload hello
import { fetchHandler, parseArgs } from "./workloads.mjs";

const { port, workload } = parseArgs(process.argv.slice(2), process.env);
const server = Bun.serve({ hostname: "127.0.0.1", port, fetch: fetchHandler(workload) });
console.log(`READY ${server.port}`);
process.on("SIGTERM", () => process.exit(0));
