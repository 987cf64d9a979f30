import { configDefaults, defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Byzantine and fault networks (the shipped scenarios, `triad net`, twins) have their own
    // suite: vitest.scenarios.config.ts, `npm run test:scenarios`.
    // The dashboard in a real browser too: vitest.browser.config.ts, `npm run test:browser`.
    // Crash points, fuzzing, hostile clients and peers: vitest.reliability.config.ts,
    // `npm run test:reliability`.
    exclude: [...configDefaults.exclude, "test/scenarios/**", "test/browser/**", "test/reliability/**"],
    // Two cores: e2e tests spawn real processes; keep the pool small so they do not starve.
    pool: "forks",
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ["default", "json"],
    outputFile: { json: ".ci/results.json" },
  },
});
