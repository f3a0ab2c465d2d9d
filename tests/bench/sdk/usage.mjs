// usage.mjs: fetches the pages of a usage backfill with the official
// OpenAI SDK, one after another, following next_page: the same queries
// orgaudit-collect makes on an org's first pull (daily buckets of the
// window, hourly ones of the last 48 hours, costs).  Stores nothing.
// Prints one JSON line: {"pages": N, "results": N, "seconds": S}.
//   OPENAI_ADMIN_KEY, OPENAI_BASE_URL   as for list.mjs
//   USAGE_DAYS (90), USAGE_PAGE_DAYS (7), COSTS_PAGE_DAYS (30),
//   USAGE_PAGE_HOURS (48)
import OpenAI from "openai";

const client = new OpenAI({
  adminAPIKey: process.env.OPENAI_ADMIN_KEY,
  apiKey: "unused-for-admin-endpoints",
  baseURL: process.env.OPENAI_BASE_URL,
  maxRetries: 5,
});
const usage = client.admin.organization.usage;
const env = (k, d) => parseInt(process.env[k] || d, 10);
const DAY = 86400, HOUR = 3600;
const now = Math.floor(Date.now() / 1000);
const today = now - (now % DAY);
const from = today - env("USAGE_DAYS", "90") * DAY;
const hours = now - (now % HOUR) - 48 * HOUR;
const full = ["project_id", "user_id", "api_key_id", "model"];
const endpoints = [
  ["completions", full], ["embeddings", full], ["moderations", full],
  ["images", full], ["audioSpeeches", full], ["audioTranscriptions", full],
  ["vectorStores", ["project_id"]], ["codeInterpreterSessions", ["project_id"]],
  ["fileSearchCalls", ["project_id", "user_id", "api_key_id"]],
  ["webSearchCalls", full],
];
let pages = 0, results = 0;
async function walk(fn, query) {
  let page;
  for (;;) {
    const r = await fn(page === undefined ? query : { ...query, page });
    pages++;
    for (const b of r.data) results += b.results.length;
    if (!r.has_more) return;
    page = r.next_page;
  }
}
const t0 = performance.now();
for (const [name, group_by] of endpoints) {
  const fn = usage[name].bind(usage);
  await walk(fn, { start_time: from, end_time: now, bucket_width: "1d",
    limit: env("USAGE_PAGE_DAYS", "7"), group_by });
  await walk(fn, { start_time: hours, end_time: now, bucket_width: "1h",
    limit: env("USAGE_PAGE_HOURS", "48"), group_by });
}
await walk(usage.costs.bind(usage), { start_time: from, end_time: now,
  bucket_width: "1d", limit: env("COSTS_PAGE_DAYS", "30"),
  group_by: ["project_id", "line_item", "api_key_id"] });
console.log(JSON.stringify({ pages, results,
  seconds: (performance.now() - t0) / 1000 }));
