// Copies the front-end files we serve from node_modules into src/guanxi/static/vendor.
// No bundler: each library ships a ready browser build; WhiteNoise serves them.
//
// CSS and JS are rewritten on the way: the `sourceMappingURL` comment is dropped (the .map
// files are not shipped, and ManifestStaticFilesStorage refuses references to missing files),
// and the build fails if a file would make the browser fetch anything from another host.
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

const out = "src/guanxi/static/vendor";
const files = {
  "@tabler/core/dist/css/tabler.min.css": "tabler/tabler.min.css",
  "@tabler/core/dist/js/tabler.min.js": "tabler/tabler.min.js",
  "@tabler/icons-webfont/dist/tabler-icons.min.css": "tabler-icons/tabler-icons.min.css",
  "@tabler/icons-webfont/dist/fonts/tabler-icons.woff2": "tabler-icons/fonts/tabler-icons.woff2",
  "@tabler/icons-webfont/dist/fonts/tabler-icons.woff": "tabler-icons/fonts/tabler-icons.woff",
  "@tabler/icons-webfont/dist/fonts/tabler-icons.ttf": "tabler-icons/fonts/tabler-icons.ttf",
  "htmx.org/dist/htmx.min.js": "htmx/htmx.min.js",
  "echarts/dist/echarts.min.js": "echarts/echarts.min.js",
  "tom-select/dist/js/tom-select.complete.min.js": "tom-select/tom-select.complete.min.js",
  "tom-select/dist/css/tom-select.bootstrap5.min.css": "tom-select/tom-select.bootstrap5.min.css",
  "sortablejs/Sortable.min.js": "sortablejs/Sortable.min.js",
};

const sourceMap = /\n?\/[*/][#@] ?sourceMappingURL=[^\s*]+(?: ?\*\/)?\s*$/;
// What a stylesheet could load at runtime: @import and url(...) that name another host.
const externalCss = /@import\s+(?:url\()?\s*["']?(?:https?:)?\/\/|url\(\s*["']?(?:https?:)?\/\//i;

rmSync(out, { recursive: true, force: true });
for (const [src, dst] of Object.entries(files)) {
  const target = join(out, dst);
  mkdirSync(dirname(target), { recursive: true });
  if (/\.(css|js)$/.test(dst)) {
    let text = readFileSync(join("node_modules", src), "utf8").replace(sourceMap, "\n");
    if (dst.endsWith(".css") && externalCss.test(text)) {
      throw new Error(`${src} loads something from another host; strip it here before shipping`);
    }
    writeFileSync(target, text);
  } else {
    cpSync(join("node_modules", src), target);
  }
}
console.log(`==> ${Object.keys(files).length} vendor assets copied to ${out}`);
