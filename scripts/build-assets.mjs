// Copies the front-end files we serve from node_modules into src/guanxi/static/vendor.
// No bundler: each library ships a ready browser build; WhiteNoise serves them.
import { cpSync, mkdirSync, rmSync } from "node:fs";
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
rmSync(out, { recursive: true, force: true });
for (const [src, dst] of Object.entries(files)) {
  const target = join(out, dst);
  mkdirSync(dirname(target), { recursive: true });
  cpSync(join("node_modules", src), target);
}
console.log(`==> ${Object.keys(files).length} vendor assets copied to ${out}`);
