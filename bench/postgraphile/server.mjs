// PostGraphile 5 contender of bench/topics_rate.py: studygraph's own `topics` table, served
// by the amber preset with JWT authentication and row-level security done the PostGraphile
// way. One Node process, production settings (no GraphiQL, no explain, no watch).
//
// The HS256 bearer token (studygraph's own access token, same secret, issuer and audience)
// is verified on every request in `grafast.context`; its `sub` claim becomes the
// transaction-local setting `jwt.claims.user_id`. The pool connects as a role without
// BYPASSRLS, so the policy topics_rate.py creates on `topics` keeps other users' rows out.
//
// Run by topics_rate.py as `bench/.node/node_modules/.bin/node bench/postgraphile/server.mjs`
// after bench/postgraphile/setup.sh installed the packages into bench/.node. Environment:
//   BENCH_PGL_DATABASE_URL  postgres://role@host:port/db (a non-superuser role)
//   BENCH_PGL_HOST, BENCH_PGL_PORT
//   BENCH_PGL_JWT_SECRET, BENCH_PGL_JWT_ISSUER, BENCH_PGL_JWT_AUDIENCE, BENCH_PGL_JWT_TYPE
// GET /healthz answers 200 once the GraphQL schema is built; POST /graphql is PostGraphile.

import { createServer } from "node:http";
import { createRequire } from "node:module";

// The packages live in the git-ignored bench/.node, not beside this file.
const require = createRequire(new URL("../.node/package.json", import.meta.url));
const jwt = require("jsonwebtoken");
const { postgraphile } = require("postgraphile");
const { PostGraphileAmberPreset } = require("postgraphile/presets/amber");
const { makePgService } = require("postgraphile/adaptors/pg");
const { grafserv } = require("postgraphile/grafserv/node");

// Same pool size as studygraph's engine and the raw baseline.
const POOL_SIZE = 10;

function setting(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set`);
  }
  return value;
}

const host = setting("BENCH_PGL_HOST");
const port = Number(setting("BENCH_PGL_PORT"));
const secret = setting("BENCH_PGL_JWT_SECRET");
const verifyOptions = {
  algorithms: ["HS256"],
  issuer: setting("BENCH_PGL_JWT_ISSUER"),
  audience: setting("BENCH_PGL_JWT_AUDIENCE"),
};
const tokenType = setting("BENCH_PGL_JWT_TYPE");

function unauthorized(message) {
  // grafserv answers an error carrying statusCode with that status.
  return Object.assign(new Error(message), { statusCode: 401 });
}

/** The pgSettings of one request: its verified user id, or a 401. */
function pgSettingsFor(request) {
  const header = request?.headers?.authorization;
  const [scheme, token] = typeof header === "string" ? header.split(" ") : [];
  if (scheme?.toLowerCase() !== "bearer" || !token) {
    throw unauthorized("a bearer token is required");
  }
  let claims;
  try {
    claims = jwt.verify(token, secret, verifyOptions);
  } catch {
    throw unauthorized("invalid token");
  }
  if (claims.typ !== tokenType || !/^[0-9]+$/.test(claims.sub ?? "")) {
    throw unauthorized("invalid token");
  }
  return { "jwt.claims.user_id": claims.sub };
}

const preset = {
  extends: [PostGraphileAmberPreset],
  pgServices: [
    makePgService({
      connectionString: setting("BENCH_PGL_DATABASE_URL"),
      schemas: ["public"],
      poolConfig: { max: POOL_SIZE },
      pubsub: false,
    }),
  ],
  grafast: {
    explain: false,
    context(requestContext) {
      return { pgSettings: pgSettingsFor(requestContext.node?.req) };
    },
  },
  grafserv: { graphiql: false, watch: false, websockets: false, graphqlOverGET: false },
};

const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
// createHandler (rather than addTo) so /healthz can be answered next to it.
const handleGraphql = serv.createHandler();
let schemaReady = false;
pgl.getSchemaResult().then(
  () => {
    schemaReady = true;
  },
  (error) => {
    console.error("schema build failed:", error);
    process.exit(1);
  },
);

const server = createServer((req, res) => {
  if (req.url === "/healthz") {
    res.writeHead(schemaReady ? 200 : 503, { "content-type": "application/json" });
    res.end(JSON.stringify({ status: schemaReady ? "ok" : "starting" }));
    return;
  }
  handleGraphql(req, res);
});

function shutdown() {
  server.close(() => {
    pgl.release().finally(() => process.exit(0));
  });
  server.closeAllConnections();
}
process.once("SIGTERM", shutdown);
process.once("SIGINT", shutdown);

server.listen(port, host, () => {
  console.log(`postgraphile listening on http://${host}:${port}/graphql`);
});
