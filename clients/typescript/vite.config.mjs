// The demo page, built into dist/ and served by the gateway at /demo/ in dev mode (make up).
// `npx vite` serves it on :5173 instead, calling the gateway at VITE_KETNOI_API (default
// http://127.0.0.1:8000), which allows that origin in dev mode.
import { defineConfig } from "vite";

export default defineConfig({
  root: "demo",
  base: "/demo/",
  build: { outDir: "../dist", emptyOutDir: true },
});
