import { defineConfig } from "vitest/config";

// `npm run test:browser`: the live dashboard in headless chromium (Debian's package, installed by
// scripts/setup-browser.sh) against a real testnet of processes. One file at a time, like the
// scenario suite: a network and a browser at once already fill two cores.
export default defineConfig({
  test: {
    include: ["test/browser/**/*.test.ts"],
    pool: "forks",
    maxWorkers: 1,
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 180_000,
    reporters: ["default", "json"],
    outputFile: { json: ".ci/results-browser.json" },
  },
});
