import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// Built into dist/ (gitignored), which Clew serves at /.
export default defineConfig({
  plugins: [react()],
  base: "/",
  build: { outDir: "dist", emptyOutDir: true, chunkSizeWarningLimit: 1000 },
});
