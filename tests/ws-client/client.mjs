// The graphql-ws client as an integration runs it, driven by the Rust integration tests
// (tests/src/lib.rs, `NodeClient`). It prints one JSON object per line on stdout.
//
// MODE=follow: follows approvedChangeAppended with the pattern the README recommends:
//   resubscribe from the last booked sequence, never let the library resend the original one.
//   Prints {"event":"item", ...} for every item delivered.
// MODE=once: runs QUERY (with VARIABLES) once and prints what the client saw: next, error,
//   complete, and the socket's events (connected, pong, closed with its code); exits after
//   complete or error.
//
// Environment: URL (ws://…/graphql), TOKEN (optional), ROUND, AFTER (optional),
// RETRY_MS (follow: pause before resubscribing), QUERY, VARIABLES, KEEP_ALIVE_MS (once).

import { createClient } from "graphql-ws";
import WebSocket from "ws";

const env = process.env;
const print = (object) => process.stdout.write(`${JSON.stringify(object)}\n`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const closeOf = (event) => ({ code: event?.code, reason: event?.reason });

const FEED = `subscription($round: ID!, $after: String) {
  approvedChangeAppended(round: $round, after: $after) { sequence proposalNumber year amount entry }
}`;

function client(extra = {}) {
  return createClient({
    url: env.URL,
    webSocketImpl: WebSocket,
    // Evaluated on every connection: a fresh token each time.
    connectionParams: async () => (env.TOKEN ? { Authorization: `Bearer ${env.TOKEN}` } : {}),
    on: {
      connected: () => print({ event: "connected" }),
      closed: (event) => print({ event: "closed", ...closeOf(event) }),
      pong: (received) => received && print({ event: "pong" }),
    },
    ...extra,
  });
}

async function follow() {
  // The README's pattern: this loop resubscribes, from the last booked sequence.
  const feed = client({ retryAttempts: 0 });
  let after = env.AFTER || null; // the last sequence booked, from your own records
  for (;;) {
    try {
      const items = feed.iterate({ query: FEED, variables: { round: env.ROUND, after } });
      for await (const { data, errors } of items) {
        if (errors) throw new Error(errors[0].message);
        const item = data.approvedChangeAppended;
        print({ event: "item", ...item }); // book(item), with its sequence, in one transaction
        after = String(item.sequence);
      }
    } catch (error) {
      print({ event: "interrupted", ...closeOf(error), message: String(error?.message ?? "") });
    }
    await sleep(Number(env.RETRY_MS || 2000));
  }
}

// The pattern the README showed before: graphql-ws's own retry resubscribes after a restart
// with the variables of the first subscribe, so items after that cursor come again. Kept to
// show why the README's pattern is what it is (MODE=naive).
function naive() {
  client().subscribe(
    { query: FEED, variables: { round: env.ROUND, after: env.AFTER || null } },
    {
      next: ({ data }) => print({ event: "item", ...data.approvedChangeAppended }),
      error: (error) => print({ event: "interrupted", ...closeOf(error) }),
      complete: () => print({ event: "complete" }),
    },
  );
}

async function once() {
  const keepAlive = Number(env.KEEP_ALIVE_MS || 0);
  const single = client({ retryAttempts: 0, keepAlive });
  const variables = env.VARIABLES ? JSON.parse(env.VARIABLES) : {};
  await new Promise((resolve) => {
    single.subscribe(
      { query: env.QUERY, variables },
      {
        next: (payload) => print({ event: "next", payload }),
        error: (error) =>
          resolve(
            print(
              Array.isArray(error)
                ? { event: "error", errors: error }
                : { event: "error", ...closeOf(error), message: String(error?.message ?? "") },
            ),
          ),
        complete: () => resolve(print({ event: "complete" })),
      },
    );
  });
  await single.dispose();
  process.exit(0);
}

if (env.MODE === "follow") await follow();
else if (env.MODE === "naive") naive();
else await once();
