// Bundles src/widget.js with socket.io-client into static/widget.js; the banner records the source's sha256 so a test
// can tell when the committed build is older than the source.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { build } from "esbuild";

const hash = createHash("sha256").update(readFileSync("src/widget.js")).digest("hex");
await build({
  entryPoints: ["src/widget.js"],
  bundle: true,
  format: "iife",
  target: "es2018",
  minify: true,
  legalComments: "eof",
  outfile: "static/widget.js",
  banner: { js: `/* KOSME chat widget built from src/widget.js sha256:${hash} (cd channels/web && npm ci && npm run build) */` },
});
