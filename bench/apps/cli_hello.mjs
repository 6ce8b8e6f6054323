// The app of bench/workers_bench.mjs, served by `waitress-serve --workers=N cli_hello.mjs`: hello
// world (11 bytes, text/plain) as a Fetch handler, the default export the CLI imports.
import { fetchHandler } from "./workloads.mjs";

export default { fetch: fetchHandler("hello") };
