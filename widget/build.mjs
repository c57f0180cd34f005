// Builds dist/: the one-file widget (socket.io-client bundled in, no globals leaked) and the demo page.
import { copyFile, mkdir, readFile, writeFile } from "node:fs/promises";

const client = await readFile("node_modules/socket.io-client/dist/socket.io.min.js", "utf8");
const widget = await readFile("src/clinic-chat.js", "utf8");

// The UMD bundle sees a CommonJS `module` here, so it neither sets window.io nor calls the page's `define`.
const bundle = `(function () {
var module = { exports: {} }, exports = module.exports, define;
${client.replace(/^\/\/# sourceMappingURL=.*$/m, "")}
var io = module.exports;
${widget}
})();
`;

await mkdir("dist", { recursive: true });
await writeFile("dist/clinic-chat.js", bundle);
await copyFile("demo/index.html", "dist/index.html");
console.log(`dist/clinic-chat.js: ${(bundle.length / 1024).toFixed(1)} KiB`);
