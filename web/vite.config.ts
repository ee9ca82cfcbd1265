import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// `npm run dev` talks to a running `studygraph serve` through this proxy, so the page,
// /graphql and its websocket share one origin as they do when studygraph serves the
// build. STUDYGRAPH_URL points it at another server.
const api = process.env.STUDYGRAPH_URL ?? "http://127.0.0.1:8000";
const proxied = ["/graphql", "/healthz", "/readyz", "/schema.graphql", "/graphiql", "/start"];

export default defineConfig({
  plugins: [react()],
  base: "/",
  build: {
    // Inside the Python package: `studygraph serve` ships and serves it with no Node.
    outDir: "../api/webapp/dist",
    emptyOutDir: true,
    assetsDir: "assets",
    // The polyfill would be an inline script; every browser we target has modulepreload.
    modulePreload: { polyfill: false },
    sourcemap: false,
    reportCompressedSize: false,
    target: "es2022",
  },
  server: {
    port: 5173,
    proxy: Object.fromEntries(
      proxied.map((path) => [path, { target: api, changeOrigin: false, ws: path === "/graphql" }]),
    ),
  },
});
