// Prints the JavaScript and CSS the browser downloads, raw and gzipped (level 9).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const assets = join(process.argv[2], "assets");
let raw = 0;
let gzipped = 0;
for (const name of readdirSync(assets).sort()) {
  if (!/\.(js|css)$/.test(name)) continue;
  const bytes = readFileSync(join(assets, name));
  const gz = gzipSync(bytes, { level: 9 }).length;
  raw += bytes.length;
  gzipped += gz;
  console.log(`${name}\t${bytes.length} B\t${gz} B gzipped`);
}
console.log(`total\t${raw} B\t${gzipped} B gzipped (${(gzipped / 1024).toFixed(1)} KiB)`);
