// list.mjs: pages through an organization's whole audit log with the
// official OpenAI SDK, as a client that only lists would.  Prints one
// JSON line: {"entries": N, "seconds": S}.
//   OPENAI_ADMIN_KEY   the admin key
//   OPENAI_BASE_URL    e.g. http://127.0.0.1:PORT/v1 (the simulator)
import OpenAI from "openai";

const client = new OpenAI({
  adminAPIKey: process.env.OPENAI_ADMIN_KEY,
  apiKey: "unused-for-admin-endpoints",
  baseURL: process.env.OPENAI_BASE_URL,
  maxRetries: 5,
});
const t0 = performance.now();
let entries = 0;
for await (const entry of client.admin.organization.auditLogs.list({ limit: 100 })) {
  if (typeof entry.id !== "string") throw new Error("an entry without an id");
  entries++;
}
console.log(JSON.stringify({ entries, seconds: (performance.now() - t0) / 1000 }));
