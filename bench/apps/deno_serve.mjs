// Reference server: Deno.serve with the Fetch handlers of workloads.mjs.
// Usage: deno run --allow-net=127.0.0.1 bench/apps/deno_serve.mjs --port 0 --workload hello
import { fetchHandler, parseArgs } from "./workloads.mjs";

const { port, workload } = parseArgs(Deno.args);
Deno.serve({
  hostname: "127.0.0.1",
  port,
  onListen: (addr) => console.log(`READY ${addr.port}`),
}, fetchHandler(workload));
Deno.addSignalListener("SIGTERM", () => Deno.exit(0));
