import { defineConfig } from "vitest/config";

// `npm run test:scenarios`: the shipped scenarios, each a network of real processes for tens of
// seconds. One at a time: two runs at once on two cores would starve each other's nodes.
export default defineConfig({
  test: {
    include: ["test/scenarios/**/*.test.ts"],
    pool: "forks",
    maxWorkers: 1,
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 60_000,
    reporters: ["default", "json"],
    outputFile: { json: ".ci/results-scenarios.json" },
  },
});
