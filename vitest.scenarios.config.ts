import { defineConfig } from "vitest/config";

// `npm run test:scenarios`: Byzantine and fault networks of real processes (the shipped
// scenarios, `triad net`, Byzantine and twin testnets), each running for tens of seconds. One
// file at a time: two networks at once on two cores would starve each other's nodes.
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
